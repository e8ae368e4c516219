"""``gdpo``: decoupled reward normalisation (GDPO, arXiv 2601.05242) with fixed weights.

Each reward column is normalised within its prompt group by the run's estimator (GRPO: (r - mean) / (std +
eps)), the normalised columns are combined with the weights, and the sum is whitened over the batch. Where
static weighting normalises the weighted sum (GRPO(sum_k w_k r_k)), an objective with little variance in a group
is not drowned by one with much. TRL 1.16 runs it as ``multi_objective_aggregation="normalize_then_sum"``
(``--backend trl``); verl as ``AdvantageEstimator.GDPO``. docs/methods.md says where the three differ.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from morlbench.estimators import EPS, decoupled
from morlbench.methods.base import Capabilities, Method, MethodContext, RewardBatch
from morlbench.settings import setting


@dataclass
class GDPOSettings:
    batch_norm: bool = setting(True, "whiten the weighted sum over the batch (the paper, TRL and verl do)")
    eps: float = setting(EPS, "added to every std (the paper's and verl's 1e-6; TRL adds 1e-4)", low=0, high=1)


class GDPO(Method):
    name = "gdpo"
    description = "decoupled normalisation: each reward normalised within its group, then weighted and whitened"
    Settings = GDPOSettings
    declares = Capabilities(decoupled_normalisation=True)

    def setup(self, context: MethodContext) -> None:
        super().setup(context)
        self._weights = np.asarray(context.initial_weights, dtype=np.float64)

    def advantages(self, batch: RewardBatch) -> np.ndarray:
        s = self.settings
        return decoupled(batch.rewards, self._weights, batch.group_size, self.context.estimator, s.eps, s.batch_norm)

    def weights(self) -> np.ndarray:
        return self._weights

    def reward_weights(self) -> np.ndarray:
        return self._weights

    def state_dict(self) -> dict[str, Any]:
        return {"weights": self._weights.tolist()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._weights = np.asarray(state["weights"], dtype=np.float64)
