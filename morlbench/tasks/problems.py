"""What tasks and objectives exchange: a problem, and one completion of it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One prompt with its reference answer; ``difficulty`` is task-defined (number of operations for arith)."""

    id: str
    prompt: str
    answer: str
    difficulty: int = 0


@dataclass(frozen=True)
class Sample:
    """One completion of a problem, as the objectives see it: its decoded text and its generated token count
    (EOS excluded)."""

    problem: Problem
    text: str
    num_tokens: int
