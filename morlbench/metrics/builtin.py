"""Registry entries of the built-in metrics (``morlbench.metrics.base`` says what each kind takes)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from morlbench.metrics import front, pareto
from morlbench.metrics.base import Metric

# The tau of steps-to-front (spec section 4).
TAUS = (0.8, 0.9, 0.95, 1.0)


class Hypervolume(Metric):
    name = "hypervolume"
    description = "exact hypervolume of the points' front above the origin (moocore)"
    kind = "front"

    def __call__(self, points: Any) -> float:
        return pareto.hypervolume(points)


class FrontSize(Metric):
    name = "front"
    description = "non-dominated front of the points; its value is the cardinality"
    kind = "front"
    higher_is_better = None

    def __call__(self, points: Any) -> float:
        return float(len(pareto.nondominated(points)))


class ExpectedUtility(Metric):
    name = "eum"
    description = "expected utility: mean over a Das-Dennis preference grid of the best w . p on the front"
    kind = "front"

    def __call__(self, points: Any) -> float:
        return pareto.expected_utility(pareto.nondominated(points))


class IGDPlus(Metric):
    name = "igd-plus"
    description = "IGD+ of the front against the reference front (moocore; lower is better)"
    kind = "pair"
    higher_is_better = False

    def __call__(self, points: Any, reference: Any) -> float:
        return pareto.igd_plus(pareto.nondominated(points), reference)


class CMetric(Metric):
    name = "c-metric"
    description = "Pareto dominance C(A,B): share of the reference front weakly dominated by the run's front"
    kind = "pair"

    def __call__(self, a: Any, b: Any) -> float:
        return pareto.c_metric(a, b)


class StepsToFront(Metric):
    name = "steps-to-front"
    description = "first eval step whose cumulative front reaches tau * HV_ref, tau in 0.8, 0.9, 0.95, 1.0"
    kind = "trajectory"
    higher_is_better = False

    def __call__(self, evals: Sequence[dict[str, Any]], hv_ref: float) -> dict[str, int | None]:
        hits = {tau: front.steps_to_front(evals, hv_ref, tau) for tau in TAUS}
        return {str(tau): None if hit is None else hit["step"] for tau, hit in hits.items()}


class AnytimeHypervolume(Metric):
    name = "hv-auc"
    description = "normalised area under HV(front so far) / HV_ref over steps (anytime; never saturates)"
    kind = "trajectory"

    def __call__(self, evals: Sequence[dict[str, Any]], hv_ref: float) -> float:
        return front.anytime_hypervolume(evals, hv_ref)


class ServedUtility(Metric):
    name = "served-utility"
    description = "mean over preferences w of w . J(w), J(w) the objectives of the policy served for w"
    kind = "served"

    def __call__(self, preferences: Any, objectives: Any) -> float:
        return pareto.served_utility(preferences, objectives)


class Controllability(Metric):
    name = "controllability"
    description = "per objective, Spearman correlation of w_k with J_k(w) across served preferences"
    kind = "served"

    def __call__(self, preferences: Any, objectives: Any) -> list[float | None]:
        return pareto.controllability(preferences, objectives)
