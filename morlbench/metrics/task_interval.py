"""Intervals that describe the task, not one problem set (protocol 3, docs/leaderboard.md).

Every seed of a group is valued on the same report problems, so the spread over seeds leaves out how much the
mean would move on another draw of problems from the task: an interval over seeds alone describes that problem
set. Here a statistic f of each seed's mean vector (the front hypervolume of the delivered points) gets two
variance parts: over seeds, var(f_s) / n, and over problems, by the delta method on the shared problems. With
u_sp = grad f(x_s) . (x_sp - x_s) (x_sp: seed s's values on problem p, x_s their mean) and u_p its mean over
seeds, the problems' own part is var(u_p) less the seed-by-problem part that var(f_s) already holds (a two-way
decomposition of u_sp), divided by the number of problems. The interval is mean +- t sqrt(both), t with the
Welch-Satterthwaite degrees of freedom of the two parts. Its coverage of the task-level mean is simulated in
tests/unit/test_protocol3_stats.py.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats

STEP = 1e-4  # central differences of f: hypervolume is piecewise polynomial in the coordinates


def gradient(statistic: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    grad = np.zeros_like(x)
    for i in range(x.size):
        up, down = x.copy(), x.copy()
        up[i] += STEP
        down[i] -= STEP
        grad[i] = (statistic(up) - statistic(down)) / (2 * STEP)
    return grad


def task_interval(per_seed: Sequence[np.ndarray], statistic: Callable[[np.ndarray], float], level: float = 0.95
                  ) -> tuple[float, float | None, float | None]:
    """(mean over seeds of f(mean over problems), low, high). ``per_seed``: one (problems, D) array per seed, the
    same problems in the same order for every seed. No interval below 2 seeds."""
    means = [np.asarray(v, dtype=np.float64).mean(axis=0) for v in per_seed]
    values = np.asarray([statistic(m) for m in means])
    n = values.size
    if n == 0:
        return float("nan"), None, None
    mean = float(values.mean())
    if n < 2:
        return mean, None, None
    seed_var = float(values.var(ddof=1) / n)
    problem_var = problem_variance(per_seed, means, statistic)
    problems = len(per_seed[0])
    total = seed_var + problem_var
    parts = seed_var**2 / (n - 1) + (problem_var**2 / (problems - 1) if problems > 1 else 0.0)
    dof = total**2 / parts if parts > 0 else n - 1
    half = float(stats.t.ppf(0.5 + level / 2, dof)) * math.sqrt(total)
    return mean, mean - half, mean + half


def problem_variance(per_seed: Sequence[np.ndarray], means: list[np.ndarray],
                     statistic: Callable[[np.ndarray], float]) -> float:
    """The variance the draw of problems adds to the mean over seeds (delta method, interaction removed)."""
    influence = np.stack([np.asarray(v, dtype=np.float64) @ gradient(statistic, m) - gradient(statistic, m) @ m
                          for v, m in zip(per_seed, means)])  # (seeds, problems)
    n, problems = influence.shape
    if problems < 2:
        return 0.0
    by_problem = influence.mean(axis=0)
    interaction = float(np.sum((influence - by_problem) ** 2) / ((n - 1) * (problems - 1)))
    return max(0.0, float(np.var(by_problem, ddof=1)) - interaction / n) / problems
