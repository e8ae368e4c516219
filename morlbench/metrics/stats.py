"""Uncertainty over seeds: mean and percentile bootstrap interval."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def bootstrap_ci(values: Sequence[float], level: float = 0.95, resamples: int = 10_000, seed: int = 0
                 ) -> tuple[float, float, float]:
    """(mean, low, high): percentile bootstrap of the mean over ``values`` (one per seed)."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    alpha = (1.0 - level) / 2.0
    return float(data.mean()), float(np.quantile(means, alpha)), float(np.quantile(means, 1.0 - alpha))


def format_ci(values: Sequence[float], digits: int = 3) -> str:
    """``mean [low, high]`` of the 95% bootstrap interval, for result tables."""
    mean, low, high = bootstrap_ci(values)
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def format_mean_ci(values: Sequence[float | None], digits: int = 3) -> str:
    """``mean [low, high]`` over the finite values; the mean alone for one value; ``-`` for none."""
    finite = [v for v in values if v is not None and np.isfinite(v)]
    if not finite:
        return "-"
    mean, low, high = bootstrap_ci(finite)
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]" if len(finite) > 1 else f"{mean:.{digits}f}"


def format_reached(hits: Sequence[int | None]) -> str:
    """Steps-to-front over seeds: mean step of the seeds that reached it, and how many did."""
    reached = [h for h in hits if h is not None]
    return f"{np.mean(reached):.1f} ({len(reached)}/{len(hits)})" if reached else f"unreached (0/{len(hits)})"
