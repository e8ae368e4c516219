"""Embedded task ``arith``: procedurally generated multi-step arithmetic word problems.

Problems have 1-4 operations on numbers of at most 2 digits (difficulty = number of operations), integer answers,
and are generated deterministically from a seed. Solutions in three styles (numbered steps, an inline
chain, a direct answer) are used by the embedded model's supervised recipe.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache

from morlbench.errors import UsageError
from morlbench.settings import setting
from morlbench.tasks.base import Problem, Task
from morlbench.tasks.objectives import Accuracy, Clarity, Conciseness, Objective

# Bump when problem generation changes (invalidates every stored result). 2: the selection and report splits of
# evaluation protocol v2, none of whose problems the shipped checkpoints were pretrained on.
DATA_VERSION = 2
# Bump when scoring changes. 2: the answer is the last \boxed{ occurrence, brace-matched, else none (the paper's).
SCORING_VERSION = 2

SPLIT_SEEDS = {"train": 1_000, "val": 2_000, "report": 3_000, "select": 4_000}
# The shipped checkpoints' recipe drew 3000 steps x 32 problems from a stream seeded 0 that skipped the first
# protocol's held-out problems (eval: seed 3000, 128; val: seed 2000, 64); regenerated to keep them out of the
# evaluation splits.
PRETRAINING_SEED, PRETRAINING_PROBLEMS = 0, 96_000
STYLES = ("numbered", "inline", "direct")
MAX_VALUE = 99

_NAMES = ("Ana", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jon", "Kim", "Leo")
_ITEMS = ("apples", "coins", "books", "stamps", "shells", "cards", "pens", "beads", "eggs", "rocks")


@dataclass(frozen=True)
class Step:
    op: str  # one of + - * /
    operand: int
    before: int
    after: int

    def equation(self) -> str:
        return f"{self.before} {self.op} {self.operand} = {self.after}"


@dataclass(frozen=True)
class ArithProblem:
    name: str
    item: str
    start: int
    steps: tuple[Step, ...]

    @property
    def answer(self) -> int:
        return self.steps[-1].after

    def text(self) -> str:
        sentences = [f"{self.name} has {self.start} {self.item}."]
        for step in self.steps:
            sentences.append(_sentence(step))
        sentences.append(f"How many {self.item} does {self.name} have now?")
        return " ".join(sentences)

    def solution(self, style: str) -> str:
        boxed = f"\\boxed{{{self.answer}}}"
        if style == "numbered":
            lines = [f"Step {i}: {s.equation()}." for i, s in enumerate(self.steps, 1)]
            return "\n".join(lines) + f"\nThe answer is {boxed}."
        if style == "inline":
            return ", ".join(s.equation() for s in self.steps) + f". {boxed}"
        if style == "direct":
            return boxed
        raise ValueError(f"unknown solution style {style!r}; accepted: {', '.join(STYLES)}")


def _sentence(step: Step) -> str:
    if step.op == "+":
        return f"Then {step.operand} more are added."
    if step.op == "-":
        return f"Then {step.operand} are taken away."
    if step.op == "*":
        return f"Then the amount is multiplied by {step.operand}."
    return f"Then it is split into {step.operand} equal parts and one part is kept."


def _random_step(rng: random.Random, value: int) -> Step:
    """One operation keeping every value a 2-digit-or-less integer (spec section 6: 3-digit is far harder)."""
    while True:
        op = rng.choice("+-*/")
        if op == "+" and value <= MAX_VALUE - 10:
            operand = rng.randint(10, MAX_VALUE - value)
            return Step(op, operand, value, value + operand)
        if op == "-" and value >= 10:
            operand = rng.randint(10, value)
            return Step(op, operand, value, value - operand)
        if op == "*" and 0 < value * 2 <= MAX_VALUE:
            operand = rng.choice([k for k in (2, 3) if value * k <= MAX_VALUE])
            return Step(op, operand, value, value * operand)
        if op == "/" and value > 0:
            divisors = [d for d in range(2, 6) if value % d == 0]
            if divisors:
                operand = rng.choice(divisors)
                return Step(op, operand, value, value // operand)


def generate_problem(rng: random.Random, num_ops: int | None = None) -> ArithProblem:
    num_ops = num_ops if num_ops is not None else rng.randint(1, 4)
    value = rng.randint(10, 99)
    start, steps = value, []
    for _ in range(num_ops):
        step = _random_step(rng, value)
        steps.append(step)
        value = step.after
    return ArithProblem(rng.choice(_NAMES), rng.choice(_ITEMS), start, tuple(steps))


PROMPT_SUFFIX = " Give the final answer in \\boxed{}.\n"


def prompt_of(problem: ArithProblem) -> str:
    return problem.text() + PROMPT_SUFFIX


def generate_split(seed: int, size: int, exclude: frozenset[str] = frozenset()) -> list[ArithProblem]:
    """``size`` distinct problems, difficulties balanced 1..4, none whose text is in ``exclude``."""
    rng = random.Random(seed)
    seen = set(exclude)
    problems: list[ArithProblem] = []
    while len(problems) < size:
        problem = generate_problem(rng, num_ops=1 + len(problems) % 4)
        if problem.text() not in seen:
            seen.add(problem.text())
            problems.append(problem)
    return problems


@cache
def pretraining_prompts() -> frozenset[str]:
    """Prompts the shipped tiny-arith checkpoints saw in pretraining (their recipe's stream, regenerated)."""
    legacy_eval = generate_split(SPLIT_SEEDS["report"], 128)
    legacy_held_out = frozenset(prompt_of(p) for p in legacy_eval)
    legacy_val = generate_split(SPLIT_SEEDS["val"], 64, frozenset(p.text() for p in legacy_eval))
    legacy_held_out |= frozenset(prompt_of(p) for p in legacy_val)
    stream = training_stream(PRETRAINING_SEED, legacy_held_out)
    return frozenset(prompt_of(next(stream)) for _ in range(PRETRAINING_PROBLEMS))


@lru_cache(maxsize=8)
def problem_splits(report: int, select: int, val: int, train: int) -> dict[str, tuple[Problem, ...]]:
    """The task's splits for these sizes, generated once per process (every resolve of a suite's runs asks).
    Held-out splits first, each excluded from the ones after it; the report and selection splits also exclude
    every problem the shipped checkpoints were pretrained on. The report split's first 128 problems are the
    first protocol's eval split."""
    seen = {p.removesuffix(PROMPT_SUFFIX) for p in pretraining_prompts()}
    splits: dict[str, list[ArithProblem]] = {}
    for name, size in (("report", report), ("select", select), ("val", val), ("train", train)):
        exclude = frozenset(p.text() for problems in splits.values() for p in problems)
        if name in ("report", "select"):
            exclude |= seen
        splits[name] = generate_split(SPLIT_SEEDS[name], size, exclude)
    return {name: tuple(Problem(id=f"{name}-{i}", prompt=prompt_of(p), answer=str(p.answer), difficulty=len(p.steps))
                        for i, p in enumerate(problems)) for name, problems in splits.items()}


@dataclass
class ArithSizes:
    """Split sizes and generation limit, shared by arith and its variants."""

    train_size: int = setting(4000, "training problems (prompts are drawn from them)", low=1, high=1_000_000)
    val_size: int = setting(64, "validation problems (method-internal evaluations)", low=1, high=100_000)
    select_size: int = setting(128, "selection split: every evaluation, the run's front is chosen on it", low=1,
                               high=100_000)
    report_size: int = setting(512, "report split: the chosen points are valued on it (accuracy SE <= 0.022)",
                               low=1, high=100_000)
    max_new_tokens: int = setting(96, "generation limit L, also the length bound of conciseness", low=1, high=4096)


@dataclass
class ArithSettings(ArithSizes):
    clarity_rule: str = setting("loose", "clarity rule: loose (the paper's) or strict (two 'Step N:' lines)",
                                choices=Clarity.rules)
    conciseness_rule: str = setting("running-mean", "conciseness training reward: running-mean (the paper's) or "
                                    "continuous", choices=Conciseness.rules)


class ArithTask(Task):
    name = "arith"
    description = "synthetic multi-step arithmetic word problems (embedded, CPU-sized)"
    Settings = ArithSettings
    split_names = ("train", "val", "select", "report")
    selection_split = "select"
    report_split = "report"
    eval_samples_by_default = True  # per-problem evaluation records: cheap on the embedded task

    @property
    def version(self) -> str:
        s = self.settings
        return f"arith-d{DATA_VERSION}s{SCORING_VERSION}-{s.clarity_rule}-{s.conciseness_rule}"

    @cached_property
    def objectives(self) -> tuple[Objective, ...]:
        return (Accuracy(), Conciseness(self.settings.conciseness_rule), Clarity(self.settings.clarity_rule))

    @property
    def max_new_tokens(self) -> int:
        return self.settings.max_new_tokens

    @cached_property
    def _splits(self) -> dict[str, list[Problem]]:
        s = self.settings
        splits = problem_splits(s.report_size, s.select_size, s.val_size, s.train_size)
        return {name: list(splits[name]) for name in self.split_names}

    def format_prompt(self, question: str) -> str:
        question = question.rstrip()
        return question + PROMPT_SUFFIX if not question.endswith(PROMPT_SUFFIX.strip()) else question + "\n"

    def split(self, name: str) -> list[Problem]:
        if name not in self._splits:
            raise UsageError(f"unknown split {name!r} for task arith; accepted: {', '.join(self.split_names)}")
        return self._splits[name]

    def held_out_texts(self) -> frozenset[str]:
        """Prompts of the val, selection and report splits, which supervised pretraining must never see."""
        return frozenset(p.prompt for name in ("val", "select", "report") for p in self.split(name))


def training_stream(seed: int, held_out_prompts: frozenset[str]) -> Iterator[ArithProblem]:
    """Fresh seeded problems for supervised pretraining, skipping held-out prompts."""
    rng = random.Random(seed)
    while True:
        problem = generate_problem(rng)
        if prompt_of(problem) not in held_out_prompts:
            yield problem
