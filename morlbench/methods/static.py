"""``static``: fixed-weight scalarisation, linear (the paper's baseline) or Tchebycheff."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from morlbench.errors import UsageError
from morlbench.methods.base import Capabilities, Method, MethodContext, RewardBatch
from morlbench.settings import setting

SCALARISATIONS = ("linear", "tchebycheff")


@dataclass
class StaticSettings:
    scalarisation: str = setting("linear", "linear (the paper's baseline) or tchebycheff", choices=SCALARISATIONS)
    # Tchebycheff's ideal point z*: the best reward of every objective (1 for the {0,1} rewards of spec 1).
    ideal: float = setting(1.0, "Tchebycheff's ideal point z* (the best reward of every objective)", low=-1e6,
                           high=1e6)


def scalarise(rewards: np.ndarray, weights: np.ndarray, how: str = "linear", ideal: float = 1.0) -> np.ndarray:
    """One scalar reward per row of (N, K) rewards.

    linear: sum_k w_k r_k. Tchebycheff: -max_k w_k (z*_k - r_k), which reaches non-convex parts of a front.
    """
    if how == "linear":
        return rewards @ weights
    if how == "tchebycheff":
        return -((ideal - rewards) * weights).max(axis=1)
    raise UsageError(f"scalarisation {how!r} is not one of {', '.join(SCALARISATIONS)}")


class Static(Method):
    name = "static"
    description = "fixed weights, linear or Tchebycheff scalarisation of the objective rewards"
    Settings = StaticSettings
    declares = Capabilities(linear_scalarisation=True)

    def capabilities(self) -> Capabilities:
        return dataclasses.replace(self.declares, linear_scalarisation=self.settings.scalarisation == "linear")

    def setup(self, context: MethodContext) -> None:
        super().setup(context)
        self._weights = np.asarray(context.initial_weights, dtype=np.float64)

    def advantages(self, batch: RewardBatch) -> np.ndarray:
        return batch.estimate(scalarise(batch.rewards, self._weights, self.settings.scalarisation,
                                        self.settings.ideal))

    def weights(self) -> np.ndarray:
        return self._weights

    def reward_weights(self) -> np.ndarray:
        return self._weights

    def state_dict(self) -> dict[str, Any]:
        return {"weights": self._weights.tolist()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._weights = np.asarray(state["weights"], dtype=np.float64)
