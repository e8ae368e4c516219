"""Advantage estimators (spec section 2). Rewards arrive flat, ordered group by group (G rollouts each)."""
from __future__ import annotations

import torch

from morlbench.errors import UsageError

ESTIMATORS = ("grpo", "rloo", "reinforce++")
EPS = 1e-6


def grpo(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """(R - mean_group) / (std_group + 1e-6), with the unbiased std as in the paper's code."""
    groups = rewards.view(-1, group_size)
    mean = groups.mean(dim=1, keepdim=True)
    std = groups.std(dim=1, keepdim=True)
    return ((groups - mean) / (std + EPS)).reshape(-1)


def rloo(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """Leave-one-out baseline: G/(G-1) * (R - mean_group) = R - mean of the other G-1 rollouts."""
    if group_size < 2:
        raise UsageError("rloo needs a group size of at least 2")
    groups = rewards.view(-1, group_size)
    return (group_size / (group_size - 1) * (groups - groups.mean(dim=1, keepdim=True))).reshape(-1)


def reinforce_pp(rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """REINFORCE++: whitening over the whole batch, no group baseline."""
    return (rewards - rewards.mean()) / (rewards.std() + EPS)


_BY_NAME = {"grpo": grpo, "rloo": rloo, "reinforce++": reinforce_pp}


def estimate(name: str, rewards: torch.Tensor, group_size: int) -> torch.Tensor:
    """Advantages of one reward column (N,) under the estimator ``name``."""
    try:
        fn = _BY_NAME[name]
    except KeyError:
        raise UsageError(f"unknown estimator {name!r}; accepted: {', '.join(ESTIMATORS)}") from None
    if rewards.dim() != 1 or rewards.numel() % group_size:
        raise ValueError(f"rewards of shape {tuple(rewards.shape)} do not split into groups of {group_size}")
    return fn(rewards.to(torch.float64), group_size)
