"""The trade-off diagnostic: cosines between per-objective policy gradients, at steps N, 2N, ... of a run.

It is not part of any method and is timed apart from training, so turning it on changes no result.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from morlbench.engine.engine import Engine
from morlbench.estimators import estimate
from morlbench.methods.base import Rollout
from morlbench.metrics.tradeoffs import cosine_matrix, matrix_record


def objective_advantages(rewards: np.ndarray, estimator: str, group_size: int) -> np.ndarray:
    """Each reward column through the run's estimator, (N, K)."""
    return np.stack([estimate(estimator, rewards[:, k], group_size) for k in range(rewards.shape[1])], axis=1)


class GradientDiagnostic:
    def __init__(self, engine: Engine, estimator: str, group_size: int, every: int) -> None:
        self.engine, self.estimator, self.group_size, self.every = engine, estimator, group_size, every
        self._pending: dict[str, Any] = {}

    def due(self, step: int) -> bool:
        """Updates N, 2N, ... (``step`` is 0-based): runs shorter than N pay nothing."""
        return bool(self.every) and (step + 1) % self.every == 0

    def cosines(self, rollout: Rollout) -> np.ndarray:
        """Cosines (K, K) between the per-objective policy gradients at the sampling policy: each reward column
        through the run's estimator, every trainable weight."""
        advantages = torch.as_tensor(objective_advantages(rollout.rewards, self.estimator, self.group_size))
        gradients = self.engine.objective_gradients(rollout.generation, advantages[rollout.rows])
        return cosine_matrix(gradients.cpu().numpy())

    def measure(self, rollout: Rollout) -> None:
        began = time.perf_counter()
        cosines = self.cosines(rollout)
        self._pending = {"gradient_cosine": matrix_record(cosines, 6),
                         "diagnostic_seconds": round(time.perf_counter() - began, 4)}

    def pop(self) -> dict[str, Any]:
        """The last measurement for the step record (empty when the step was not diagnosed)."""
        pending, self._pending = self._pending, {}
        return pending
