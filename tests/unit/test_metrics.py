import numpy as np
import pytest

from morlbench.metrics.pareto import c_metric, hypervolume, nondominated


def test_hypervolume_2d_hand_checked():
    # staircase: [0,.5]x[0,.5] + [.5,1]x[0,.2] = .25 + .1
    assert hypervolume([[0.5, 0.5], [1.0, 0.2]]) == pytest.approx(0.35)
    assert hypervolume([[0.5, 0.5], [1.0, 0.2], [0.4, 0.4]]) == pytest.approx(0.35)  # dominated point adds nothing


def test_hypervolume_3d_hand_checked():
    # two boxes: .5*.5*.5 + 1*.2*.2 - overlap .5*.2*.2
    assert hypervolume([[0.5, 0.5, 0.5], [1.0, 0.2, 0.2]]) == pytest.approx(0.125 + 0.04 - 0.02)
    assert hypervolume([[1, 1, 1]]) == pytest.approx(1.0)


def test_hypervolume_4d_hand_checked():
    # two boxes of volume .5^4 = .0625 and 1*.5^3 = .125 whose intersection is .5^4: .125
    assert hypervolume([[0.5, 0.5, 0.5, 0.5], [1.0, 0.5, 0.5, 0.5]]) == pytest.approx(0.125)
    # .125 + .125 - their intersection .5*.5*.5*.5
    assert hypervolume([[1.0, 0.5, 0.5, 0.5], [0.5, 1.0, 0.5, 0.5]]) == pytest.approx(0.1875)
    # three boxes 1*.2*.5*.5, .2*1*.5*.5, .5*.5*1*.2 by inclusion-exclusion
    pts = [[1.0, 0.2, 0.5, 0.5], [0.2, 1.0, 0.5, 0.5], [0.5, 0.5, 1.0, 0.2]]
    singles = 0.05 * 3
    pairs = 0.2 * 0.2 * 0.5 * 0.5 + 0.5 * 0.2 * 0.5 * 0.2 + 0.2 * 0.5 * 0.5 * 0.2
    triple = 0.2 * 0.2 * 0.5 * 0.2
    assert hypervolume(pts) == pytest.approx(singles - pairs + triple)


def test_hypervolume_ignores_points_on_or_below_the_reference():
    assert hypervolume([[0.0, 0.7, 0.7]]) == 0.0
    assert hypervolume(np.zeros((0, 3))) == 0.0
    assert hypervolume([[0.5, 0.5]], ref=[0.2, 0.2]) == pytest.approx(0.09)


def test_nondominated_front():
    pts = [[0.5, 0.5], [1.0, 0.2], [0.4, 0.4], [0.5, 0.5], [0.2, 1.0]]
    front = nondominated(pts)
    assert sorted(map(tuple, front)) == [(0.2, 1.0), (0.5, 0.5), (1.0, 0.2)]


def test_c_metric_hand_checked():
    a = [[0.6, 0.6], [1.0, 0.1]]
    b = [[0.5, 0.5], [0.1, 1.0], [1.0, 0.1]]
    assert c_metric(a, b) == pytest.approx(2 / 3)  # (.5,.5) dominated, (1,.1) weakly, (.1,1) not
    assert c_metric(b, a) == pytest.approx(1 / 2)  # only (1,.1) is weakly covered
    assert c_metric(a, a) == 1.0


def test_t_interval_and_format():
    """Three seeds (0.1, 0.2, 0.9): mean 0.4, sd 0.4359; half-width t_{0.975, 2} x sd / sqrt 3 = 4.303 x 0.2517."""
    from scipy import stats as st

    from morlbench.metrics.stats import format_mean_ci, t_interval

    mean, low, high = t_interval([0.1, 0.2, 0.9])
    half = st.t.ppf(0.975, 2) * np.std([0.1, 0.2, 0.9], ddof=1) / np.sqrt(3)
    assert mean == pytest.approx(0.4) and high - mean == pytest.approx(half) and low < 0.1  # wider than min-max
    assert t_interval([0.5]) == (0.5, None, None) and format_mean_ci([0.5]) == "0.500"
    assert format_mean_ci([1.0, 1.0], digits=2) == "1.00 [1.00, 1.00]"
