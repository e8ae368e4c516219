"""``mo-grpo``: each reward normalised by its own group statistics, then summed (MO-GRPO, arXiv 2509.22047).

GRPO on a sum of rewards lets the reward with the largest variance within a group dominate the advantage; MO-GRPO
normalises every reward column within its prompt group, (r_k - mean_k) / std_k, and sums the normalised columns,
so each reward contributes evenly whatever its scale. This is GDPO's first stage (``morlbench.estimators.
decoupled``) without GDPO's batch whitening. Weights (``--weights``, fixed) multiply the normalised columns scaled
by K, so that the default uniform weights give the paper's plain sum: A = sum_k K w_k (r_k - mean_k) / std_k.

The normalisation is the run's estimator applied to each column: under ``grpo`` exactly the formula above (std
unbiased, + eps, as everywhere in morlbench); under ``reinforce++`` each column is whitened over the batch; under
``rloo`` no column is divided by anything, so the sum of per-column leave-one-out advantages is the
leave-one-out advantage of the weighted sum: static weighting (``inert_estimators``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from morlbench.estimators import EPS, decoupled
from morlbench.methods.base import Capabilities, Method, MethodContext, RewardBatch
from morlbench.settings import setting


@dataclass
class MOGRPOSettings:
    eps: float = setting(EPS, "added to every group std (morlbench's and verl's 1e-6)", low=0, high=1)


def mo_grpo(rewards: np.ndarray, weights: np.ndarray, group_size: int, estimator: str = "grpo",
            eps: float = EPS) -> np.ndarray:
    """sum_k K w_k estimate(r_k): every column normalised by the estimator, summed with the weights scaled by K."""
    weights = np.asarray(weights, dtype=np.float64)
    return decoupled(rewards, len(weights) * weights, group_size, estimator, eps, batch_norm=False)


class MOGRPO(Method):
    name = "mo-grpo"
    description = "MO-GRPO: each reward normalised within its group by its own std, then summed (no batch whitening)"
    Settings = MOGRPOSettings
    declares = Capabilities(inert_estimators=("rloo",))

    def setup(self, context: MethodContext) -> None:
        super().setup(context)
        self._weights = np.asarray(context.initial_weights, dtype=np.float64)

    def advantages(self, batch: RewardBatch) -> np.ndarray:
        return mo_grpo(batch.rewards, self._weights, batch.group_size, self.context.estimator, self.settings.eps)

    def weights(self) -> np.ndarray:
        return self._weights

    def state_dict(self) -> dict[str, Any]:
        return {"weights": self._weights.tolist()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._weights = np.asarray(state["weights"], dtype=np.float64)
