"""Advantage estimators (spec section 2), in float64 numpy. Rewards arrive flat, ordered group by group
(G rollouts each)."""
from __future__ import annotations

import numpy as np

from morlbench.errors import UsageError

ESTIMATORS = ("grpo", "rloo", "reinforce++")
EPS = 1e-6


def grpo(rewards: np.ndarray, group_size: int, eps: float = EPS) -> np.ndarray:
    """(R - mean_group) / (std_group + eps), with the unbiased std as in the paper's code, verl's and TRL's (TRL
    adds eps = 1e-4, the paper and verl 1e-6)."""
    groups = rewards.reshape(-1, group_size)
    mean = groups.mean(axis=1, keepdims=True)
    std = groups.std(axis=1, ddof=1, keepdims=True) if group_size > 1 else np.zeros_like(mean)
    return ((groups - mean) / (std + eps)).reshape(-1)


def rloo(rewards: np.ndarray, group_size: int, eps: float = EPS) -> np.ndarray:
    """Leave-one-out baseline: G/(G-1) * (R - mean_group) = R - mean of the other G-1 rollouts (no division:
    ``eps`` is unused)."""
    if group_size < 2:
        raise UsageError("rloo needs a group size of at least 2")
    groups = rewards.reshape(-1, group_size)
    return (group_size / (group_size - 1) * (groups - groups.mean(axis=1, keepdims=True))).reshape(-1)


def whiten(values: np.ndarray, eps: float = EPS) -> np.ndarray:
    """(x - mean) / (std + eps) over the whole batch, unbiased std."""
    std = values.std(ddof=1) if values.size > 1 else 0.0
    return (values - values.mean()) / (std + eps)


def reinforce_pp(rewards: np.ndarray, group_size: int, eps: float = EPS) -> np.ndarray:
    """REINFORCE++: whitening over the whole batch, no group baseline."""
    return whiten(rewards, eps)



_BY_NAME = {"grpo": grpo, "rloo": rloo, "reinforce++": reinforce_pp}


def estimate(name: str, rewards: np.ndarray, group_size: int, eps: float = EPS) -> np.ndarray:
    """Advantages of one reward column (N,) under the estimator ``name`` (``eps`` where it divides by a std)."""
    try:
        fn = _BY_NAME[name]
    except KeyError:
        raise UsageError(f"unknown estimator {name!r}; accepted: {', '.join(ESTIMATORS)}") from None
    values = np.asarray(rewards, dtype=np.float64)
    if values.ndim != 1 or values.size % group_size:
        raise ValueError(f"rewards of shape {values.shape} do not split into groups of {group_size}")
    return fn(values, group_size, eps)


def decoupled(rewards: np.ndarray, weights: np.ndarray, group_size: int, estimator: str = "grpo", eps: float = EPS,
              batch_norm: bool = True) -> np.ndarray:
    """GDPO's decoupled normalisation (arXiv 2601.05242): each reward column through the estimator (GRPO: its own
    group normalisation), combined with the weights, then whitened over the batch when ``batch_norm``."""
    columns = np.asarray(rewards, dtype=np.float64)
    combined = sum(w * estimate(estimator, columns[:, k], group_size, eps) for k, w in enumerate(weights))
    return whiten(combined, eps) if batch_norm else combined
