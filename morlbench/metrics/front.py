"""A run's front under evaluation protocol v2: chosen on the selection split, valued on the report split.

Every evaluated point (one per evaluation, or one per served preference) has a selection vector; a point that
no earlier point weakly dominates also has a report vector (``morlbench.run.protocol``). The run's front is the
set of points no other point dominates on the selection split — of equal selection vectors, the earliest — and
its value is those points' report vectors. Every chosen point was undominated when it was evaluated, so it has
a report vector.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from morlbench.metrics.pareto import as_points, hypervolume


@dataclass(frozen=True)
class EvaluatedPoint:
    step: int
    index: int  # position in its record (0 for a single policy)
    selection: tuple[float, ...]
    report: tuple[float, ...] | None
    preference: tuple[float, ...] | None = None


def record_entries(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The point entries of one eval record: the served preferences (``points``) or the record itself."""
    return record["points"] if "points" in record else [record]


def evaluated_points(evals: Sequence[dict[str, Any]]) -> list[EvaluatedPoint]:
    points = []
    for record in sorted(evals, key=lambda r: r["step"]):
        for i, entry in enumerate(record_entries(record)):
            report = entry.get("report")
            preference = entry.get("preference")
            points.append(EvaluatedPoint(record["step"], i, tuple(entry["objectives"]),
                                         None if report is None else tuple(report),
                                         None if preference is None else tuple(preference)))
    return points


def chosen(points: Sequence[EvaluatedPoint]) -> list[EvaluatedPoint]:
    """The selection front: points no other point strictly dominates, and no earlier point equals."""
    sel = [np.asarray(p.selection) for p in points]
    kept = []
    for i, p in enumerate(sel):
        beaten = any((np.all(q >= p) and (j < i or np.any(q > p))) for j, q in enumerate(sel) if j != i)
        if not beaten:
            kept.append(points[i])
    return kept


def front_points(evals: Sequence[dict[str, Any]]) -> np.ndarray:
    """The run's front valued on the report split, shape (n, K)."""
    return as_points([p.report for p in chosen(evaluated_points(evals)) if p.report is not None])


def selection_points(evals: Sequence[dict[str, Any]]) -> np.ndarray:
    """Every selection vector the run evaluated, shape (n, K)."""
    return as_points([p.selection for p in evaluated_points(evals)])


def front_by_step(evals: Sequence[dict[str, Any]]) -> list[tuple[dict[str, Any], np.ndarray]]:
    """(record, the run's front as of that evaluation, on the report split), evaluation by evaluation."""
    ordered = sorted(evals, key=lambda r: r["step"])
    return [(record, front_points(ordered[: i + 1])) for i, record in enumerate(ordered)]


def hypervolume_by_step(evals: Sequence[dict[str, Any]]) -> list[tuple[int, float]]:
    return [(record["step"], hypervolume(front)) for record, front in front_by_step(evals)]


def steps_to_front(evals: Sequence[dict[str, Any]], hv_ref: float, tau: float) -> dict[str, int] | None:
    """First evaluation at which the hypervolume of the run's front so far reaches tau * HV_ref; None: unreached."""
    for record, front in front_by_step(evals):
        if hypervolume(front) >= tau * hv_ref:
            return {"step": record["step"], "rollouts": record["rollouts"], "tokens": record["tokens"]}
    return None


def anytime_hypervolume(evals: Sequence[dict[str, Any]], hv_ref: float) -> float:
    """Normalised area under the front's hypervolume over steps: the trapezoid integral of HV(s) / HV_ref from
    the first to the last evaluation, divided by the steps it spans. It never saturates."""
    rows = hypervolume_by_step(evals)
    if len(rows) < 2 or rows[-1][0] == rows[0][0]:
        return rows[-1][1] / hv_ref if rows else 0.0
    steps = np.asarray([s for s, _ in rows], dtype=np.float64)
    values = np.asarray([v for _, v in rows]) / hv_ref
    return float(np.sum((values[1:] + values[:-1]) / 2 * np.diff(steps)) / (steps[-1] - steps[0]))


def current_points(record: dict[str, Any], split: str = "selection") -> list[list[float]]:
    """The vectors of one record's served policies on a split (report vectors only where they were valued)."""
    key = "objectives" if split == "selection" else "report"
    return [list(e[key]) for e in record_entries(record) if e.get(key) is not None]
