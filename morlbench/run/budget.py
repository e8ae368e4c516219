"""What a run has spent, and the one piece of training state the conciseness reward needs."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class Budget:
    """Counters of a run: updates done, rollouts, generated tokens (training and method-internal), seconds."""

    step: int = 0
    rollouts: int = 0
    train_tokens: int = 0
    method_tokens: int = 0  # validation generations a method asks for (counted in the budget)
    seconds: float = 0.0  # sampling, scoring, method and update; evaluations and diagnostics are timed apart
    eval_seconds: float = 0.0

    @property
    def tokens(self) -> int:
        return self.train_tokens + self.method_tokens

    def state_dict(self) -> dict[str, Any]:
        return asdict(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, value)


class RunningMeanLength:
    """Mean completion length over all training rollouts so far (the conciseness reward's threshold);
    training state, checkpointed with the run."""

    def __init__(self) -> None:
        self.total_tokens = 0
        self.count = 0

    def update(self, lengths: Sequence[int]) -> float:
        self.total_tokens += int(sum(lengths))
        self.count += len(lengths)
        return self.value

    @property
    def value(self) -> float:
        return self.total_tokens / self.count if self.count else float("nan")

    def state_dict(self) -> dict[str, int]:
        return {"total_tokens": self.total_tokens, "count": self.count}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.total_tokens, self.count = int(state["total_tokens"]), int(state["count"])
