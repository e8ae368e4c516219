"""``static``: fixed-weight scalarisation, linear (the paper's baseline) or Tchebycheff."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from morlbench.errors import UsageError
from morlbench.methods.base import Method, MethodContext, RewardBatch

SCALARISATIONS = ("linear", "tchebycheff")


@dataclass
class StaticSettings:
    scalarisation: str = "linear"
    # Tchebycheff's ideal point z*: the best reward of every objective (1 for the {0,1} rewards of spec 1).
    ideal: float = 1.0

    def validate(self) -> None:
        if self.scalarisation not in SCALARISATIONS:
            raise UsageError(f"scalarisation {self.scalarisation!r} is not one of {', '.join(SCALARISATIONS)}")


def scalarise(rewards: torch.Tensor, weights: torch.Tensor, how: str = "linear", ideal: float = 1.0) -> torch.Tensor:
    """One scalar reward per row of (N, K) rewards.

    linear: sum_k w_k r_k. Tchebycheff: -max_k w_k (z*_k - r_k), which reaches non-convex parts of a front.
    """
    if how == "linear":
        return rewards @ weights
    if how == "tchebycheff":
        return -((ideal - rewards) * weights).max(dim=1).values
    raise UsageError(f"scalarisation {how!r} is not one of {', '.join(SCALARISATIONS)}")


class Static(Method):
    name = "static"
    description = "fixed weights, linear or Tchebycheff scalarisation of the objective rewards"
    Settings = StaticSettings

    def setup(self, context: MethodContext) -> None:
        super().setup(context)
        self._weights = np.asarray(context.initial_weights, dtype=np.float64)

    def advantages(self, batch: RewardBatch) -> torch.Tensor:
        w = torch.as_tensor(self._weights, dtype=batch.rewards.dtype)
        return batch.estimate(scalarise(batch.rewards, w, self.settings.scalarisation, self.settings.ideal))

    def weights(self) -> np.ndarray:
        return self._weights

    def scalarises_linearly(self) -> bool:
        return self.settings.scalarisation == "linear"

    def reward_weights(self) -> np.ndarray:
        return self._weights

    def state_dict(self) -> dict[str, Any]:
        return {"weights": self._weights.tolist()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._weights = np.asarray(state["weights"], dtype=np.float64)
