"""``dirichlet-weights``: random scalarisation, a classic multi-objective baseline.

Every step draws fresh weights w ~ Dirichlet(concentration) and trains on the scalarised reward w . r, so
over a run the policy sees the whole simplex instead of one fixed trade-off. Draws come from a generator
seeded by the run's seed; its state is saved with the run, so a resumed run draws the same weights.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from morlbench.methods.base import Method, MethodContext, RewardBatch
from morlbench.settings import setting


@dataclass
class DirichletSettings:
    concentration: float = setting(1.0, "1: uniform over the simplex; larger: closer to equal weights", low=0,
                                   high=1e6, open_low=True)


class DirichletWeights(Method):
    name = "dirichlet-weights"
    description = "random scalarisation: fresh Dirichlet weights every step (example plugin)"
    Settings = DirichletSettings

    def setup(self, context: MethodContext) -> None:
        super().setup(context)
        self._rng = np.random.default_rng(context.seed)
        self._weights = np.asarray(context.initial_weights, dtype=np.float64)

    def advantages(self, batch: RewardBatch) -> np.ndarray:
        k = batch.num_objectives
        self._weights = self._rng.dirichlet(np.full(k, self.settings.concentration))
        return batch.estimate(batch.rewards @ self._weights)

    def weights(self) -> np.ndarray:
        return self._weights

    def state_dict(self) -> dict[str, Any]:
        return {"weights": self._weights.tolist(), "rng": self._rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._weights = np.asarray(state["weights"], dtype=np.float64)
        self._rng.bit_generator.state = state["rng"]
