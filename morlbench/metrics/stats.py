"""Uncertainty over seeds: mean and percentile bootstrap interval."""
from __future__ import annotations

from typing import Sequence

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
