"""Scoring rules of the math-reasoning objectives (spec section 1).

Each objective gives a training reward per completion and a normalised evaluation value in [0, 1].
Evaluation never uses the running mean length, so points from different runs stay comparable.
"""
from __future__ import annotations

import dataclasses
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from morlbench.errors import UsageError
from morlbench.tasks.problems import Sample


@dataclass(frozen=True)
class ScoreContext:
    """What a reward may depend on beyond the completion itself."""

    max_new_tokens: int
    running_mean_len: float  # mean completion length over all training rollouts so far, current batch included


class Objective(ABC):
    """A scoring rule: a training reward per completion, and per-completion evaluation scores in [0, 1] whose
    mean is the objective's coordinate of the evaluation vector. Subclasses define ``train_rewards`` and
    ``eval_values`` (``eval_value`` may be overridden where the mean is computed another way)."""

    name: str
    description: str

    @abstractmethod
    def train_rewards(self, samples: Sequence[Sample], ctx: ScoreContext) -> np.ndarray: ...

    @abstractmethod
    def eval_values(self, samples: Sequence[Sample], ctx: ScoreContext) -> np.ndarray:
        """Per-sample evaluation scores (N,), each in [0, 1]."""

    def eval_value(self, samples: Sequence[Sample], ctx: ScoreContext) -> float:
        return float(np.mean(self.eval_values(samples, ctx)))

    def counters(self) -> dict[str, int]:
        """Running counts of how the scoring went (e.g. checks that timed out), logged with each step."""
        return {}


BOX = "\\boxed{"


def last_boxed(text: str) -> str | None:
    """Content of the LAST ``\\boxed{`` occurrence, brace-matched; None when there is none or it is not closed.

    The paper's rule (``last_boxed_only_string`` of the released code): an unterminated last box is no answer, even
    after a closed one. One forward scan from the last occurrence, so hostile text stays linear.
    """
    start = text.rfind(BOX)
    if start < 0:
        return None
    depth = 1
    for i in range(start + len(BOX), len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + len(BOX) : i]
    return None


_INTEGER = re.compile(r"^([+-]?)(\d+)$")


def canonical_integer(text: str) -> str | None:
    """An integer's canonical digits (``+056`` -> ``56``, ``-0`` -> ``0``), or None; compared as text, so that a
    number of any length is read in linear time (``int()`` refuses over 4300 digits)."""
    match = _INTEGER.match(text.strip().replace(" ", "").replace(",", ""))
    if match is None:
        return None
    digits = match.group(2).lstrip("0") or "0"
    return f"-{digits}" if match.group(1) == "-" and digits != "0" else digits


def integer_equal(boxed: str | None, answer: str) -> bool:
    """Exact integer equality: wrapping of any kind (``{56}``, ``(56)``, ``56.0``) is no integer, at any depth."""
    if boxed is None:
        return False
    value = canonical_integer(boxed)
    return value is not None and value == canonical_integer(answer)


class Accuracy(Objective):
    name = "accuracy"
    description = "1 if the last \\boxed{} equals the reference answer"

    def __init__(self, equal: Callable[[str | None, str], bool] = integer_equal) -> None:
        self.equal = equal

    def correct(self, samples: Sequence[Sample]) -> np.ndarray:
        return np.array([float(self.equal(last_boxed(s.text), s.problem.answer)) for s in samples])

    def train_rewards(self, samples, ctx):
        return self.correct(samples)

    def eval_values(self, samples, ctx):
        return self.correct(samples)

    def counters(self):
        stats = getattr(self.equal, "stats", None)  # the math-verify checker counts checks, timeouts, restarts
        return {} if stats is None else dataclasses.asdict(stats)


class Conciseness(Objective):
    """Training: ``running-mean`` (the paper's rule: 1 if shorter than the running mean length) or
    ``continuous`` (1 - min(len, L)/L). Evaluation: 1 - mean(len)/L."""

    name = "conciseness"
    rules = ("running-mean", "continuous")

    def __init__(self, rule: str = "running-mean") -> None:
        if rule not in self.rules:
            raise UsageError(f"conciseness rule {rule!r} is not one of {', '.join(self.rules)}")
        self.rule = rule
        self.description = f"shorter completions ({rule} training reward)"

    def train_rewards(self, samples, ctx):
        lengths = np.array([s.num_tokens for s in samples], dtype=np.float64)
        if self.rule == "continuous":
            return 1.0 - np.minimum(lengths, ctx.max_new_tokens) / ctx.max_new_tokens
        return (lengths < ctx.running_mean_len).astype(np.float64)

    def eval_values(self, samples, ctx):
        lengths = np.array([min(s.num_tokens, ctx.max_new_tokens) for s in samples], dtype=np.float64)
        return 1.0 - lengths / ctx.max_new_tokens

    def eval_value(self, samples, ctx):
        lengths = np.array([min(s.num_tokens, ctx.max_new_tokens) for s in samples], dtype=np.float64)
        return float(1.0 - lengths.mean() / ctx.max_new_tokens)


# The paper's loose rule: enumerators anywhere in the text ("Step 1:", "1.", "a)", bullets) or ordinal words.
_ENUMERATOR = re.compile(r"Step\s*\d+\s*:|\b\d+\.(?!\d)|\b[a-z]\)|(?:^|\s)[-*\u2022]\s", re.MULTILINE)
_ORDINAL = re.compile(
    r"\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|next|then)\b", re.IGNORECASE
)
_STRICT_STEP = re.compile(r"^Step\s+\d+:", re.MULTILINE)


def is_clear(text: str, rule: str = "loose") -> bool:
    boxed = last_boxed(text)
    if not boxed or not boxed.strip():
        return False
    if rule == "strict":
        return len(_STRICT_STEP.findall(text)) >= 2
    return len(_ENUMERATOR.findall(text)) >= 2 or len(_ORDINAL.findall(text)) >= 2


class Clarity(Objective):
    """A non-empty ``\\boxed{}`` and step structure; ``loose`` is the paper's rule, ``strict`` needs
    at least two lines starting "Step N:"."""

    name = "clarity"
    rules = ("loose", "strict")

    def __init__(self, rule: str = "loose") -> None:
        if rule not in self.rules:
            raise UsageError(f"clarity rule {rule!r} is not one of {', '.join(self.rules)}")
        self.rule = rule
        self.description = f"boxed answer with step structure ({rule} rule)"

    def clear(self, samples) -> np.ndarray:
        return np.array([float(is_clear(s.text, self.rule)) for s in samples])

    def train_rewards(self, samples, ctx):
        return self.clear(samples)

    def eval_values(self, samples, ctx):
        return self.clear(samples)


class LengthBudget(Objective):
    """1 when the completion has at most ``budget`` tokens (EOS excluded), else 0: a hard budget, unlike the
    relative conciseness reward. With the default 8 only a direct ``\\boxed{}`` answer fits on arith."""

    name = "length-budget"
    description = "completion within a hard token budget (default 8)"

    def __init__(self, budget: int = 8) -> None:
        if budget < 1:
            raise UsageError(f"length budget {budget} must be at least 1 token")
        self.budget = budget
        self.description = f"completion within {budget} tokens"

    def within(self, samples) -> np.ndarray:
        return np.array([float(s.num_tokens <= self.budget) for s in samples])

    def train_rewards(self, samples, ctx):
        return self.within(samples)

    def eval_values(self, samples, ctx):
        return self.within(samples)


class ClosingPhrase(Objective):
    """1 when the completion ends with ``phrase`` (trailing whitespace ignored), else 0."""

    name = "closing-phrase"
    description = "completion ends with a closing phrase (default 'Done.')"

    def __init__(self, phrase: str = "Done.") -> None:
        if not phrase.strip():
            raise UsageError("closing phrase must not be empty")
        self.phrase = phrase.strip()
        self.description = f"ends with {self.phrase!r}"

    def closed(self, samples) -> np.ndarray:
        return np.array([float(s.text.rstrip().endswith(self.phrase)) for s in samples])

    def train_rewards(self, samples, ctx):
        return self.closed(samples)

    def eval_values(self, samples, ctx):
        return self.closed(samples)
