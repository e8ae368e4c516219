"""The task surface: problems in fixed splits, objectives that score completions."""
from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from morlbench.contract import check_rewards, owner
from morlbench.errors import UsageError
from morlbench.settings import settings_from_options
from morlbench.tasks.objectives import Objective, ScoreContext
from morlbench.tasks.problems import Problem, Sample

__all__ = ["Problem", "Sample", "Task"]


class Task(ABC):
    """A benchmark task. Subclasses set ``name``, ``description`` and a ``Settings`` dataclass."""

    name: ClassVar[str]
    description: ClassVar[str]
    Settings: ClassVar[type]
    split_names: ClassVar[tuple[str, ...]] = ("train", "val", "select", "report")
    # Evaluation protocol v2: every evaluation scores the policy on the selection split, the run's front is chosen
    # there, and the chosen points are valued on the (larger) report split. val stays for methods' own use.
    selection_split: ClassVar[str] = "select"
    report_split: ClassVar[str] = "report"
    eval_samples_by_default: ClassVar[bool] = False  # per-problem evaluation records without --eval-samples
    default_model: ClassVar[str] = "tiny-arith"  # what runs train unless --model says otherwise

    def __init__(self, settings: Any | None = None) -> None:
        self.settings = settings if settings is not None else self.Settings()

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> Task:
        return cls(settings_from_options(cls.Settings, options, owner=f"task {cls.name}"))

    @property
    @abstractmethod
    def version(self) -> str:
        """Changes whenever data generation or scoring changes; results with different versions never compare."""

    @property
    @abstractmethod
    def objectives(self) -> tuple[Objective, ...]: ...

    @property
    @abstractmethod
    def max_new_tokens(self) -> int:
        """L: the generation limit, also the length bound of the conciseness objective."""

    @abstractmethod
    def split(self, name: str) -> list[Problem]: ...

    _selection: tuple[Objective, ...] | None = None

    @property
    def active_objectives(self) -> tuple[Objective, ...]:
        """The objectives a run scores: all of the task's, or the ones chosen with ``select_objectives``."""
        return tuple(self.objectives) if self._selection is None else self._selection

    def select_objectives(self, names: Sequence[str]) -> None:
        """Score ``names`` in the given order (2 to 4): the task's own objectives, or registered extra ones
        (entry points in ``morlbench.objectives``) built with their defaults."""
        from morlbench import registry

        if len(set(names)) != len(names) or not 2 <= len(names) <= 4:
            raise UsageError(f"--objectives {','.join(names)}: choose 2 to 4 different objectives")
        own = {o.name: o for o in self.objectives}
        extras = registry.names("objectives")
        unknown = [n for n in names if n not in own and n not in extras]
        if unknown:
            raise UsageError(f"--objectives: {', '.join(unknown)} not an objective of task {self.name} nor a "
                             f"registered one; accepted: {', '.join([*own, *(e for e in extras if e not in own)])}")
        self._selection = tuple(own[n] if n in own else registry.lookup("objectives", n)() for n in names)

    @property
    def objective_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.active_objectives)

    def format_prompt(self, question: str) -> str:
        """A user's question in the task's prompt format (what ``morlbench generate`` sends to the policy)."""
        return question

    def split_sizes(self) -> dict[str, int]:
        return {name: len(self.split(name)) for name in self.split_names}

    def train_rewards(self, samples: Sequence[Sample], ctx: ScoreContext) -> np.ndarray:
        """Training rewards, shape (N, K), in objective order."""
        return np.stack([check_rewards(o.train_rewards(samples, ctx), len(samples), owner("objectives", o.name),
                                       "train_rewards") for o in self.active_objectives], axis=1)

    def eval_vector(self, samples: Sequence[Sample]) -> np.ndarray:
        """Normalised evaluation vector, shape (K,), every coordinate in [0, 1]."""
        ctx = ScoreContext(max_new_tokens=self.max_new_tokens, running_mean_len=float("nan"))
        return np.array([check_rewards([o.eval_value(samples, ctx)], 1, owner("objectives", o.name), "eval_value")[0]
                         for o in self.active_objectives], dtype=np.float64)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "objectives": list(self.objective_names),
            "max_new_tokens": self.max_new_tokens,
            "split_sizes": self.split_sizes(),
            "settings": dataclasses.asdict(self.settings),
        }
