"""The method surface, shared by built-in methods and plugins.

A weighting method implements ``advantages(batch)``: K reward columns in (a float64 numpy array, N x K), one
advantage per completion out (N,). Optional hooks: ``setup(context)`` once before training,
``after_step(info)`` after each update (return JSON values to log), ``weights()`` for the current weight
vector, ``state_dict``/``load_state_dict`` for resume. What a method needs from the loop and offers to it is
declared in one place, its ``Capabilities``.

A method that owns its training schedule (the bi-level meta-policy) also overrides ``prepare_policy`` (add
modules such as adapters; say which parameters train at which learning rate), ``train(loop)`` (built from the
public loop's primitives: rollout, reward_batch, update, end_step), and, when one artifact serves many
preferences, ``serve`` (the protocol serves the artifact at each preference of its set W). Method modules need
no torch at import time.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from morlbench.errors import UsageError
from morlbench.methods.declarations import check_declarations, undeclared
from morlbench.settings import settings_from_options

if TYPE_CHECKING:
    import torch


@dataclass
class NoSettings:
    """A method without settings."""


@dataclass(frozen=True)
class Capabilities:
    """What a method needs from the training loop and what it offers; checked before a run starts."""

    objective_gradients: bool = False  # uses batch.objective_gradients (exact per-objective policy gradients)
    validation: bool = False  # uses context.validate (greedy evaluations on the val split, counted as tokens)
    serves_preferences: bool = False  # one trained artifact serves any preference (evaluation sweeps, ``serve``)
    own_schedule: bool = False  # overrides ``train(loop)``
    own_adapters: bool = False  # ``prepare_policy`` adds trainable modules (so --lora-rank does not apply)
    # Runs data-parallel (accelerate launch): each process samples a share of the prompt groups and sees the
    # whole batch's rewards. Methods that keep per-row state in the model say False.
    data_parallel: bool = True
    # advantages(batch) == batch.estimate(batch.rewards @ reward_weights()) for every batch: a backend that
    # scalarises and normalises rewards itself (--backend trl) can run the method.
    linear_scalarisation: bool = False
    # advantages are GDPO's decoupled normalisation of the rewards with reward_weights(): whiten(sum_k w_k
    # grpo(r_k)); --backend trl runs it as multi_objective_aggregation="normalize_then_sum".
    decoupled_normalisation: bool = False
    # Estimators under which the mechanism cannot change the advantages (e.g. a global reward scale under grpo's
    # group normalisation): the method runs there, as the method it reduces to; recorded in config.json, and
    # protocol 3 reports such a configuration "not tested", never "no difference".
    inert_estimators: tuple[str, ...] = ()
    # overrides ``condition``: the policy reads each prompt through the method (e.g. a preference prefix), in
    # training rollouts, evaluations, validation and serving alike
    conditions_prompts: bool = False


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
    max_new_tokens: int = 0  # the generation limit L (the length bound of conciseness)


@dataclass
class RewardBatch:
    """The K reward columns of one training batch, ordered group by group (``group_size`` rollouts each)."""

    rewards: np.ndarray  # (N, K) float64
    group_size: int
    step: int
    estimate: Callable[[np.ndarray], np.ndarray]  # the run's estimator applied to one column (N,) -> (N,)
    # Exact per-objective policy gradients of the surrogate: (advantages (N, K), parameter names or None,
    # with_kl=False) -> torch.Tensor (K, D). Only for methods that declare objective_gradients; for the others a
    # callable that stops the run with one line naming the declaration.
    objective_gradients: Callable[..., torch.Tensor] | None = None

    def __post_init__(self) -> None:
        if self.objective_gradients is None:
            self.objective_gradients = undeclared("objective_gradients", "batch.objective_gradients")

    @property
    def num_objectives(self) -> int:
        return int(self.rewards.shape[1])

    def estimate_columns(self) -> np.ndarray:
        """Each reward column through the run's estimator, (N, K)."""
        return np.stack([self.estimate(self.rewards[:, k]) for k in range(self.num_objectives)], axis=1)


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


class TrainingLoop(Protocol):
    """The public loop ``Method.train`` drives (``morlbench.run.loop.Loop``): the primitives of one step."""

    prompts_per_step: int
    group_size: int
    total_steps: int

    def remaining_steps(self) -> Iterator[int]: ...  # steps not yet done (resume-aware)
    def rollout(self, step: int) -> Rollout: ...  # draw prompts, sample G completions each, score them
    def reward_batch(self, rollout: Rollout, with_gradients: bool = False) -> RewardBatch: ...
    def update(self, rollout: Rollout, advantages: np.ndarray) -> dict[str, float]: ...
    def end_step(self, rollout: Rollout, stats: dict[str, float], method_log: dict[str, Any]) -> None: ...


class Method:
    """Base class for methods; subclass it in a plugin exactly as the built-ins do."""

    name: ClassVar[str]
    description: ClassVar[str]
    Settings: ClassVar[type] = NoSettings
    declares: ClassVar[Capabilities] = Capabilities()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        check_declarations(cls, Capabilities)

    def __init__(self, settings: Any | None = None) -> None:
        self.settings = settings if settings is not None else self.Settings()
        self.context: MethodContext | None = None

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> Method:
        return cls(settings_from_options(cls.Settings, options, owner=f"method {cls.name}"))

    def capabilities(self) -> Capabilities:
        """What this method, with its settings, needs and offers. Default: the class's ``declares``."""
        return self.declares

    def validate_run(self, objectives: tuple[str, ...], steps: int) -> None:
        """Refuse a task or budget this method cannot work with; runs before anything touches the disk."""

    def prepare_policy(self, policy: Any, objectives: tuple[str, ...]) -> list[dict[str, Any]] | None:
        """Change the policy before training (e.g. add adapters); return optimizer parameter groups
        (``{"params": [...], "lr": x}``) or None to train every parameter at the run's learning rate.
        Called after the KL reference is copied and before checkpoints are restored or loaded."""
        return None

    def setup(self, context: MethodContext) -> None:
        self.context = context

    def train(self, loop: TrainingLoop) -> None:
        """The training schedule. Default: one weighted update per step through ``advantages``."""
        gradients = self.capabilities().objective_gradients
        for step in loop.remaining_steps():
            rollout = loop.rollout(step)
            batch = loop.reward_batch(rollout, with_gradients=gradients)
            stats = loop.update(rollout, self.advantages(batch))
            log = self.after_step(StepInfo(step + 1, rollout.rewards.mean(axis=0), stats))
            loop.end_step(rollout, stats, log)

    def serve(self, preference: np.ndarray | None) -> None:
        """Set the policy to serve ``preference``; methods that train one policy accept only None."""
        if preference is not None:
            raise UsageError(f"method {self.name} trains one policy; --preference applies to methods that "
                             "serve preferences (meta-policy, soups, conditioned)")

    def condition(self, prompts: list[str]) -> list[str]:
        """The texts the policy reads for these task prompts (only called when ``conditions_prompts`` is declared).
        A training rollout passes the step's prompts group by group (``group_size`` rows each, the order of the
        reward rows); evaluations, validation and serving pass theirs after ``serve``. Scoring always sees the
        task's own problem. Default: the prompts unchanged."""
        return prompts

    def advantages(self, batch: RewardBatch) -> np.ndarray:
        raise NotImplementedError

    def after_step(self, info: StepInfo) -> dict[str, Any]:
        return {}

    def weights(self) -> np.ndarray | None:
        return None

    def reward_weights(self) -> np.ndarray:
        """The weights on the reward columns for the next step, any scale included (see linear_scalarisation)."""
        raise NotImplementedError(f"method {self.name} does not scalarise its rewards linearly")

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable state needed to resume."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass
