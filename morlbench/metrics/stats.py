"""Uncertainty over seeds, as a reviewer accepts it at small n (docs/leaderboard.md, "Statistics").

- Intervals of a mean over seeds are t-based (Student's t with n - 1 degrees of freedom): a percentile
  bootstrap over 3 seeds is only their min-max and covers about 74% of the time, not 95%.
- An entry is compared with a baseline by a paired t-test over the seeds they share: both ran the same seeds
  and were valued on the same report problems, so seed-to-seed and problem-to-problem variation cancels in
  the per-seed differences, and the test's variance includes the evaluation noise of both.
- The verdicts of one group are corrected for multiple comparisons with Holm's step-down method.
- The minimum detectable difference (two-sided alpha, power 0.8) says what a tie can and cannot rule out.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

ALPHA = 0.05
POWER = 0.8
MIN_RANKED_SEEDS = 10  # protocol 3; protocol 2's historical groups ranked from 5 (HISTORICAL_RANKED_SEEDS)
HISTORICAL_RANKED_SEEDS = 5
EXACT_SIGN_FLIPS = 20  # up to 2^20 sign vectors enumerated; beyond, a seeded Monte Carlo of as many


def _finite(values: Sequence[float | None]) -> np.ndarray:
    return np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=np.float64)


def t_interval(values: Sequence[float | None], level: float = 0.95) -> tuple[float, float | None, float | None]:
    """(mean, low, high) of the t-interval of the mean; no interval for fewer than 2 values."""
    data = _finite(values)
    if data.size == 0:
        return float("nan"), None, None
    mean = float(data.mean())
    if data.size < 2:
        return mean, None, None
    half = float(stats.t.ppf(0.5 + level / 2, data.size - 1) * data.std(ddof=1) / math.sqrt(data.size))
    return mean, mean - half, mean + half


@dataclass(frozen=True)
class PairedTest:
    n: int
    mean_difference: float
    low: float | None
    high: float | None
    sd_difference: float | None
    p_value: float | None


def paired_t(a: dict[int, float], b: dict[int, float]) -> PairedTest:
    """Paired t-test of a - b over the seeds both have (dicts seed -> value)."""
    seeds = sorted(set(a) & set(b))
    diff = np.asarray([a[s] - b[s] for s in seeds], dtype=np.float64)
    if diff.size == 0:
        return PairedTest(0, float("nan"), None, None, None, None)
    mean = float(diff.mean())
    if diff.size < 2:
        return PairedTest(1, mean, None, None, None, None)
    sd = float(diff.std(ddof=1))
    _, low, high = t_interval(diff.tolist())
    if sd == 0:
        p = 1.0 if mean == 0 else 0.0
    else:
        p = float(2 * stats.t.sf(abs(mean) / (sd / math.sqrt(diff.size)), diff.size - 1))
    return PairedTest(int(diff.size), mean, low, high, sd, p)


def sign_flip_p(differences: Sequence[float]) -> float | None:
    """Two-sided p-value of the paired sign-flip permutation test of a zero mean difference: the share of the
    2^n sign vectors whose |sum| is at least the observed |sum|. Exact (every vector) up to 20 pairs, a seeded
    Monte Carlo of 2^20 vectors beyond. Distribution-free under symmetry of the differences; None below 2 pairs.
    The smallest p it can give is 2 / 2^n (0.0625 at 5 seeds, 0.002 at 10)."""
    d = _finite(differences)
    if d.size < 2:
        return None
    observed = abs(float(d.sum())) * (1 - 1e-12) - 1e-15  # sums equal up to rounding count as reached
    if d.size <= EXACT_SIGN_FLIPS:
        sums = np.zeros(1)
        for value in d:
            sums = np.concatenate([sums + value, sums - value])
        return float(np.mean(np.abs(sums) >= observed))
    rng, hits = np.random.default_rng(0), 0
    for _ in range(2**EXACT_SIGN_FLIPS // 4096):  # in blocks: memory stays small at any number of pairs
        hits += int(np.sum(np.abs(rng.choice((-1.0, 1.0), size=(4096, d.size)) @ d) >= observed))
    return float((1 + hits) / (1 + 2**EXACT_SIGN_FLIPS))


def sign_flip_floor(n: int) -> float:
    """The smallest p ``sign_flip_p`` can give over n pairs (every difference nonzero and of one sign): 2 / 2^n
    where it enumerates, 1 / (1 + 2^20) where it samples. A level at or below it cannot be reached at any
    difference."""
    return 2.0 / 2**n if n <= EXACT_SIGN_FLIPS else 1 / (1 + 2**EXACT_SIGN_FLIPS)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-adjusted p-values (None stays None): the step-down Bonferroni correction, monotone."""
    indexed = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    adjusted: list[float | None] = [None] * len(p_values)
    running, m = 0.0, len(indexed)
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def verdict(test: PairedTest, adjusted_p: float | None, higher_is_better: bool = True, alpha: float = ALPHA) -> str:
    """better / worse when the corrected paired test rejects equality at ``alpha``, else tie."""
    if adjusted_p is None or adjusted_p >= alpha:
        return "tie"
    ahead = test.mean_difference > 0
    return "better" if ahead == higher_is_better else "worse"


def minimum_detectable(sd_difference: float | None, n: int, alpha: float = ALPHA, power: float = POWER
                       ) -> float | None:
    """The smallest true mean difference a paired t-test over n seeds detects with probability ``power`` at
    two-sided level ``alpha``: (t_{1-alpha/2} + t_{power}) x sd / sqrt(n), n - 1 degrees of freedom."""
    if sd_difference is None or n < 2:
        return None
    dof = n - 1
    return float((stats.t.ppf(1 - alpha / 2, dof) + stats.t.ppf(power, dof)) * sd_difference / math.sqrt(n))


def format_interval(mean: float, low: float | None, high: float | None, digits: int = 3) -> str:
    if not math.isfinite(mean):
        return "-"
    if low is None:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def format_mean_ci(values: Sequence[float | None], digits: int = 3) -> str:
    """``mean [low, high]``: the 95% t-interval over the finite values; the mean alone for one; ``-`` for none."""
    return format_interval(*t_interval(values), digits)


def format_reached(hits: Sequence[int | None]) -> str:
    """Steps-to-front over seeds: mean step of the seeds that reached it, and how many did."""
    reached = [h for h in hits if h is not None]
    return f"{np.mean(reached):.1f} ({len(reached)}/{len(hits)})" if reached else f"unreached (0/{len(hits)})"


def bootstrap_ci(values: Sequence[float], level: float = 0.95, resamples: int = 10_000, seed: int = 0
                 ) -> tuple[float, float, float]:
    """(mean, low, high): percentile bootstrap of the mean. Kept for many-sample uses (the trade-off cosines
    over diagnosed steps); intervals over seeds use ``t_interval``."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    alpha = (1.0 - level) / 2.0
    return float(data.mean()), float(np.quantile(means, alpha)), float(np.quantile(means, 1.0 - alpha))
