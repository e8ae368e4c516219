"""The method surface, shared by built-in methods and plugins.

A weighting method implements ``advantages(batch)``: K reward columns in, one advantage per completion out.
Optional hooks: ``setup(context)`` once before training, ``after_step(info)`` after each update (return
numbers to log), ``weights()`` for the current weight vector, ``state_dict``/``load_state_dict`` for resume.
Declared needs (``needs_objective_gradients``) make the engine do that work only when asked.

A method that owns its training schedule (the bi-level meta-policy) also overrides ``prepare_policy`` (add
modules such as adapters; say which parameters train at which learning rate), ``train(loop)`` (built from the
loop's primitives: rollout, update, end_step), and, when one artifact serves many preferences,
``evaluation_preferences`` and ``serve``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterator, Protocol

import numpy as np
import torch

from morlbench.errors import UsageError
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


@dataclass
class Rollout:
    """One step's sampled batch: prompts repeated group by group, completions, and their K reward columns."""

    step: int
    problems: list[Any]
    generation: Any  # morlbench.engine.sampling.Generation
    rewards: np.ndarray  # (N, K)
    mean_length: float  # running mean completion length (the conciseness normaliser)
    # Under data parallelism ``generation`` holds only this process's rows of the batch: ``rows`` says which.
    # ``lengths`` and ``tokens`` cover the whole batch.
    rows: slice = field(default_factory=lambda: slice(None))
    lengths: list[int] = field(default_factory=list)
    tokens: int = 0


@dataclass
class PreferenceSweep:
    """Preferences an evaluation serves from one artifact: a grid (the front) and optional held-out ones."""

    grid: np.ndarray  # (n, K)
    held_out: np.ndarray | None = None  # (m, K), scored for served utility, not part of the front


class TrainingLoop(Protocol):
    """What the runner gives ``Method.train``: the same primitives the default weighting loop uses."""

    prompts_per_step: int
    group_size: int
    total_steps: int

    def remaining_steps(self) -> Iterator[int]: ...  # steps not yet done (resume-aware), with a progress bar
    def rollout(self, step: int) -> Rollout: ...  # draw prompts, sample G completions each, score them
    def reward_batch(self, rollout: Rollout, with_gradients: bool = False) -> RewardBatch: ...
    def update(self, rollout: Rollout, advantages: torch.Tensor) -> dict[str, float]: ...
    def end_step(self, rollout: Rollout, stats: dict[str, float], method_log: dict[str, Any]) -> None: ...


class Method:
    """Base class for methods; subclass it in a plugin exactly as the built-ins do."""

    name: ClassVar[str]
    description: ClassVar[str]
    Settings: ClassVar[type] = NoSettings
    needs_objective_gradients: ClassVar[bool] = False
    serves_preferences: ClassVar[bool] = False  # one trained artifact, any preference (see ``serve``)
    # Whether the method runs data-parallel (accelerate launch): each process samples a share of the prompt
    # groups and sees the whole batch's rewards. Methods that keep per-row state in the model say False.
    supports_processes: ClassVar[bool] = True

    def __init__(self, settings: Any | None = None) -> None:
        self.settings = settings if settings is not None else self.Settings()
        self.context: MethodContext | None = None

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "Method":
        return cls(settings_from_options(cls.Settings, options, owner=f"method {cls.name}"))

    def validate_run(self, objectives: tuple[str, ...], steps: int) -> None:
        """Refuse a task or budget this method cannot work with; runs before anything touches the disk."""

    def prepare_policy(self, policy: torch.nn.Module, objectives: tuple[str, ...]) -> list[dict[str, Any]] | None:
        """Change the policy before training (e.g. add adapters); return optimizer parameter groups
        (``{"params": [...], "lr": x}``) or None to train every parameter at the run's learning rate.
        Called after the KL reference is copied and before checkpoints are restored or loaded."""
        return None

    def setup(self, context: MethodContext) -> None:
        self.context = context

    def train(self, loop: TrainingLoop) -> None:
        """The training schedule. Default: one weighted update per step through ``advantages``."""
        for step in loop.remaining_steps():
            rollout = loop.rollout(step)
            batch = loop.reward_batch(rollout, with_gradients=self.needs_objective_gradients)
            stats = loop.update(rollout, self.advantages(batch))
            log = self.after_step(StepInfo(step + 1, rollout.rewards.mean(axis=0), stats))
            loop.end_step(rollout, stats, log)

    def evaluation_preferences(self, step: int, final: bool) -> PreferenceSweep | None:
        """Preferences to serve and score at an evaluation; None scores the single trained policy."""
        return None

    def serve(self, preference: np.ndarray | None) -> None:
        """Set the policy to serve ``preference``; methods that train one policy accept only None."""
        if preference is not None:
            raise UsageError(f"method {self.name} trains one policy; --preference applies to methods that "
                             "serve preferences (meta-policy, soups)")

    def advantages(self, batch: RewardBatch) -> torch.Tensor:
        raise NotImplementedError

    def after_step(self, info: StepInfo) -> dict[str, Any]:
        return {}

    def weights(self) -> np.ndarray | None:
        return None

    def scalarises_linearly(self) -> bool:
        """True when, for every batch, ``advantages(batch) == batch.estimate(batch.rewards @ reward_weights())``.
        A backend that scalarises and normalises rewards itself (``--backend trl``) runs only such methods."""
        return False

    def reward_weights(self) -> np.ndarray:
        """The weights on the reward columns for the next step, any scale included (see scalarises_linearly)."""
        raise NotImplementedError(f"method {self.name} does not scalarise its rewards linearly")

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable state needed to resume."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass
