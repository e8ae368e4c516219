"""The method surface, shared by built-in methods and plugins.

A weighting method implements ``advantages(batch)``: K reward columns in, one advantage per completion out.
Optional hooks: ``setup(context)`` once before training, ``after_step(info)`` after each update (return
numbers to log), ``weights()`` for the current weight vector, ``state_dict``/``load_state_dict`` for resume.
Declared needs (``needs_objective_gradients``) make the engine do that work only when asked.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np
import torch

from morlbench.settings import settings_from_options


@dataclass
class NoSettings:
    """A method without settings."""


@dataclass
class MethodContext:
    """What a method learns about its run before training."""

    objectives: tuple[str, ...]
    initial_weights: np.ndarray  # from --weights; uniform when not given
    estimator: str
    group_size: int
    total_steps: int
    lr: float
    seed: int
    # Greedy evaluation of the current policy on the validation split (normalised objective vector).
    # Its generated tokens are counted in the run's budget.
    validate: Callable[[], np.ndarray] | None = None
    # Names of the policy's trainable parameters, to choose a subset for objective_gradients.
    parameter_names: tuple[str, ...] = ()


@dataclass
class RewardBatch:
    """The K reward columns of one training batch, ordered group by group."""

    rewards: torch.Tensor  # (N, K) float64
    group_size: int
    step: int
    estimate: Callable[[torch.Tensor], torch.Tensor]  # the run's estimator applied to one column (N,)
    # Exact per-objective policy gradients: (advantages (N, K), parameter names or None) -> (K, D); only for
    # methods that set needs_objective_gradients.
    objective_gradients: Callable[..., torch.Tensor] | None = None

    @property
    def num_objectives(self) -> int:
        return int(self.rewards.shape[1])


@dataclass
class StepInfo:
    step: int  # number of updates done, this one included
    reward_means: np.ndarray  # (K,)
    engine_stats: dict[str, float] = field(default_factory=dict)


class Method:
    """Base class for methods; subclass it in a plugin exactly as the built-ins do."""

    name: ClassVar[str]
    description: ClassVar[str]
    Settings: ClassVar[type] = NoSettings
    needs_objective_gradients: ClassVar[bool] = False

    def __init__(self, settings: Any | None = None) -> None:
        self.settings = settings if settings is not None else self.Settings()
        self.context: MethodContext | None = None

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "Method":
        return cls(settings_from_options(cls.Settings, options, owner=f"method {cls.name}"))

    def setup(self, context: MethodContext) -> None:
        self.context = context

    def advantages(self, batch: RewardBatch) -> torch.Tensor:
        raise NotImplementedError

    def after_step(self, info: StepInfo) -> dict[str, Any]:
        return {}

    def weights(self) -> np.ndarray | None:
        return None

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable state needed to resume."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass
