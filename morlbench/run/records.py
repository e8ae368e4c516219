"""The layout of a run's step records (metrics.jsonl)."""
from __future__ import annotations

from typing import Any

import numpy as np

from morlbench.methods.base import Rollout
from morlbench.metrics.tradeoffs import centred_cross_products
from morlbench.run.budget import Budget


def step_record(rollout: Rollout, names: tuple[str, ...], weights: np.ndarray | None, stats: dict[str, float],
                method_log: dict[str, Any], budget: Budget, seconds: float, group_size: int,
                diagnostics: dict[str, Any]) -> dict[str, Any]:
    """One training step: rewards, weights, engine statistics, lengths, counters, the method's log, the within-
    prompt reward cross-products of the trade-off analysis and, on diagnosed steps, gradient cosines."""
    return {
        "step": budget.step,
        "rewards": {n: round(float(v), 6) for n, v in zip(names, rollout.rewards.mean(axis=0))},
        "weights": None if weights is None else [round(float(w), 6) for w in weights],
        **{k: round(v, 6) for k, v in stats.items()},
        "mean_length": round(float(np.mean(rollout.lengths)), 3),
        "running_mean_length": round(rollout.mean_length, 3),
        "rollouts": budget.rollouts,
        "tokens": budget.tokens,
        "method": method_log,
        "seconds": round(seconds, 4),
        "reward_cross_products": np.round(centred_cross_products(rollout.rewards, group_size), 6).tolist(),
        **diagnostics,
    }
