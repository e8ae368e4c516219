"""Registry entries of the built-in metrics. A metric has a ``kind`` that says what it takes:

- ``front``: a set of points (n, K) -> a number;
- ``pair``: two sets of points -> a number;
- ``trajectory``: a run's eval records, a reference hypervolume and tau -> first step reaching it, or None.
- ``served``: preferences (n, K) and the objectives J(w) of the policies served for them (n, K) -> a value.
"""
from __future__ import annotations

from typing import Any, ClassVar, Sequence

from morlbench.metrics import pareto


class Metric:
    name: ClassVar[str]
    description: ClassVar[str]
    kind: ClassVar[str]


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

    def __call__(self, points: Any) -> float:
        return float(len(pareto.nondominated(points)))


class CMetric(Metric):
    name = "c-metric"
    description = "Pareto dominance C(A,B): share of B's front weakly dominated by A's front"
    kind = "pair"

    def __call__(self, a: Any, b: Any) -> float:
        return pareto.c_metric(a, b)


class StepsToFront(Metric):
    name = "steps-to-front"
    description = "first eval step whose cumulative front reaches tau * HV_ref (steps, rollouts, tokens)"
    kind = "trajectory"

    def __call__(self, evals: Sequence[dict[str, Any]], hv_ref: float, tau: float) -> dict[str, int] | None:
        return pareto.steps_to_front(evals, hv_ref, tau)



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
