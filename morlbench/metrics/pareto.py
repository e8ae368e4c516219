"""Pareto-front indicators on normalised objective vectors (higher is better, reference point 0).

Hypervolume and non-dominance come from moocore (exact algorithms); nothing here re-implements them.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import moocore
import numpy as np

from morlbench.preferences import utility_grid


def as_points(points: Any) -> np.ndarray:
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1) if arr.size else arr.reshape(0, 0)
    return arr


def hypervolume(points: Any, ref: Sequence[float] | None = None) -> float:
    """Exact hypervolume dominated by ``points`` above ``ref`` (default: the origin)."""
    pts = as_points(points)
    if pts.size == 0:
        return 0.0
    reference = np.zeros(pts.shape[1]) if ref is None else np.asarray(ref, dtype=np.float64)
    # moocore counts only points strictly better than the reference in every objective.
    inside = pts[(pts > reference).all(axis=1)]
    if len(inside) == 0:
        return 0.0
    return float(moocore.hypervolume(inside, ref=reference, maximise=True))


def nondominated(points: Any) -> np.ndarray:
    """The non-dominated subset (duplicates collapsed to one point), in input order."""
    pts = as_points(points)
    if pts.size == 0:
        return pts
    unique = np.unique(pts, axis=0)
    return unique[moocore.is_nondominated(unique, maximise=True)]


def weakly_dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a >= b))


def c_metric(a: Any, b: Any) -> float:
    """C(A, B): share of B's front points weakly dominated by at least one point of A's front."""
    front_a, front_b = nondominated(a), nondominated(b)
    if len(front_b) == 0:
        return 0.0
    covered = sum(any(weakly_dominates(p, q) for p in front_a) for q in front_b)
    return covered / len(front_b)


def served_utility(preferences: Any, objectives: Any) -> float:
    """Mean over preferences of w . J(w): what users with these preferences get from the policies served to them."""
    w, j = as_points(preferences), as_points(objectives)
    return float(np.mean(np.sum(w * j, axis=1))) if len(w) else float("nan")


def best_stored_utility(preferences: Any, points: Any) -> float:
    """Mean over preferences of max_a w . a: each user picks the best of a fixed set of stored policies."""
    w, a = as_points(preferences), as_points(points)
    return float(np.mean((w @ a.T).max(axis=1))) if len(w) and len(a) else float("nan")


def controllability(preferences: Any, objectives: Any) -> list[float | None]:
    """Per objective k, Spearman's rank correlation of w_k with J_k across served preferences (None if constant)."""
    from scipy.stats import spearmanr

    w, j = as_points(preferences), as_points(objectives)
    values: list[float | None] = []
    for k in range(w.shape[1]):
        if np.ptp(w[:, k]) == 0 or np.ptp(j[:, k]) == 0:
            values.append(None)  # undefined: one side does not vary
        else:
            values.append(float(spearmanr(w[:, k], j[:, k]).statistic))
    return values


def expected_utility(points: Any, preferences: Any | None = None) -> float:
    """EUM: mean over preferences w of the best w . p over the points (linear utility)."""
    pts = as_points(points)
    prefs = utility_grid(pts.shape[1]) if preferences is None else np.asarray(preferences, dtype=np.float64)
    return float((prefs @ pts.T).max(axis=1).mean())


def igd_plus(points: Any, reference_front: Any) -> float:
    """IGD+ of the points against a reference front (maximising; lower is better), moocore."""
    return float(moocore.igd_plus(as_points(points), ref=as_points(reference_front), maximise=True))
