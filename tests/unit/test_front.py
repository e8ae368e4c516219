"""A run's front under protocol v2: chosen on the selection split, valued on the report split (metrics/front.py)."""
import pytest

from morlbench.metrics.front import anytime_hypervolume, chosen, evaluated_points, front_points, steps_to_front


def record(step, selection, report=None, **extra):
    r = {"step": step, "rollouts": step * 64, "tokens": step * 900, "objectives": selection, **extra}
    if report is not None:
        r["report"] = report
    return r


EVALS = [
    record(0, [0.2, 0.2], [0.2, 0.2]),
    record(10, [0.5, 0.5], [0.4, 0.5]),
    record(20, [0.45, 0.45]),  # dominated on the selection split when evaluated: never valued on the report split
    record(30, [1.0, 0.2], [0.9, 0.2]),
]


def test_the_front_is_chosen_on_selection_and_valued_on_report():
    assert [p.step for p in chosen(evaluated_points(EVALS))] == [10, 30]
    assert front_points(EVALS).tolist() == [[0.4, 0.5], [0.9, 0.2]]


def test_of_equal_selection_vectors_the_earliest_is_chosen():
    evals = [record(0, [0.5, 0.5], [0.3, 0.3]), record(5, [0.5, 0.5], [0.6, 0.6])]
    assert front_points(evals).tolist() == [[0.3, 0.3]]


def test_steps_to_front_on_the_report_values():
    """Fronts so far: {(.2,.2)} HV .04; {(.4,.5)} HV .2 at step 10; {(.4,.5), (.9,.2)} HV .2 + .5 x .2 = .3."""
    assert steps_to_front(EVALS, hv_ref=0.3, tau=0.6) == {"step": 10, "rollouts": 640, "tokens": 9000}
    assert steps_to_front(EVALS, hv_ref=0.3, tau=1.0) == {"step": 30, "rollouts": 1920, "tokens": 27000}
    assert steps_to_front(EVALS, hv_ref=0.3, tau=1.01) is None


def test_anytime_hypervolume_is_the_normalised_area():
    """HV/HV_ref at steps 0, 10, 20, 30: .04, .2, .2, .3 over HV_ref .3; trapezoids over 10 steps each:
    (.04 + .2)/2 + (.2 + .2)/2 + (.2 + .3)/2 = .57, times 10 / .3, divided by the 30 steps spanned = .6333."""
    assert anytime_hypervolume(EVALS, 0.3) == pytest.approx(0.57 / 0.3 / 3)
