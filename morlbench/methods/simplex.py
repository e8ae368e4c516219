"""Weight vectors on the probability simplex: validation, mirror-ascent steps, and a floor."""
from __future__ import annotations

import numpy as np

from morlbench.errors import UsageError


def mirror_ascent(weights: np.ndarray, signal: np.ndarray, eta: float) -> np.ndarray:
    """Exponentiated-gradient step: w <- softmax(log w + eta * signal)."""
    logits = np.log(np.clip(weights, 1e-300, None)) + eta * signal
    logits -= logits.max()
    new = np.exp(logits)
    return new / new.sum()


def with_floor(weights: np.ndarray, floor: float) -> np.ndarray:
    """Mix with the uniform floor, (1 - K floor) w + floor: on the simplex, every weight >= floor."""
    k = len(weights)
    return (1.0 - k * floor) * weights + floor


def check_floor(floor: float, k: int) -> None:
    if not 0 <= floor < 1.0 / k:
        raise UsageError(f"weight floor {floor} must be in [0, 1/{k}) for {k} objectives")
