"""Evaluation noise of a run's front: how much its hypervolume moves when the report problems are resampled.

The chosen points' per-problem report values (result files keep them) are resampled together, problem by
problem, so the correlation between points is kept; the standard deviation of the front's hypervolume over the
resamples is the evaluation-noise part of the seed-to-seed spread the paired tests see.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from morlbench.metrics.pareto import hypervolume
from morlbench.results.perproblem import decode_column


def per_problem_values(per_problem: dict[str, Any] | None) -> np.ndarray | None:
    """(points, objectives, problems) report values, or None when the run kept none."""
    if not per_problem or not per_problem.get("points"):
        return None
    return np.asarray([[decode_column(c) for c in p["values"]] for p in per_problem["points"]], dtype=np.float64)


def front_noise_sd(per_problem: dict[str, Any] | None, resamples: int = 200, seed: int = 0) -> float | None:
    values = per_problem_values(per_problem)
    if values is None:
        return None
    rng = np.random.default_rng(seed)
    problems = values.shape[2]
    draws = [hypervolume(values[:, :, rng.integers(0, problems, problems)].mean(axis=2)) for _ in range(resamples)]
    return float(np.std(draws, ddof=1))
