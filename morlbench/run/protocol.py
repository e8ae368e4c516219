"""The evaluations a run makes (evaluation protocol 3, docs/leaderboard.md).

The protocol, not the method, decides what is evaluated. Every evaluation (step 0, every ``eval_every`` steps, the
last step) scores greedily on the selection split: the single policy, or, for a method that serves preferences,
its artifact served at each preference of the protocol's set W (``Resolved.preferences``). These points are the
run's trajectory. The report split, larger and more expensive, is paid only for what the run delivers: the final
policy (served at each w of W). Methods' own validation keeps the val split.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from morlbench.engine.distributed import ONE_PROCESS, Ranks
from morlbench.methods.base import Method
from morlbench.models.base import LoadedModel
from morlbench.results.atomic import atomic_write_jsonl
from morlbench.run.budget import Budget
from morlbench.run.evaluation import Evaluation, evaluate
from morlbench.tasks.base import Task


def rounded(values: Any) -> list[float]:
    return [round(float(v), 6) for v in values]


class Evaluator:
    """Validation for methods (counted in the budget) and the benchmark's evaluations on the selection and
    report splits (timed apart from training, their tokens counted as evaluation tokens)."""

    def __init__(self, model: LoadedModel, task: Task, selection: str, report: str, max_new_tokens: int,
                 batch_size: int, budget: Budget, ranks: Ranks = ONE_PROCESS, samples_dir: Path | None = None,
                 preferences: tuple[tuple[float, ...], ...] = ()) -> None:
        self.model, self.task, self.budget, self.ranks = model, task, budget, ranks
        self.preferences = preferences  # W: where a preference-serving artifact is evaluated
        self.max_new_tokens, self.batch_size = max_new_tokens, batch_size
        self.selection, self.report = task.split(selection), task.split(report)
        self.samples_dir = samples_dir
        self.on_stage: Callable[[str | None], None] = lambda text: None  # what is being evaluated (progress bar)
        self.doing = ""  # the evaluation under way, e.g. "evaluating step 5, preference 2/15"

    def _evaluate(self, problems: list, role: str = "val") -> Evaluation:
        """Greedy evaluation of ``problems``; ``role`` (selection, report) names them on the progress bar."""
        def shown(done: int, total: int) -> None:
            self.on_stage(f"{self.doing}, {role} {done}/{total}")

        return evaluate(self.model, self.task, problems, self.max_new_tokens, self.batch_size, self.ranks,
                        on_batch=shown if self.doing else None)

    def _stage(self, text: str) -> None:
        self.doing = text
        self.on_stage(text)

    def validate(self) -> np.ndarray:
        """Greedy evaluation on the val split, counted in the budget as method-internal tokens."""
        result = self._evaluate(self.task.split("val"))
        self.budget.method_tokens += result.generated_tokens
        return result.objectives

    def record(self, method: Method, total_steps: int) -> dict[str, Any]:
        """The eval record at the current step: the single policy, or the artifact served at each w of W; the
        report split too at the final evaluation (what the run delivers)."""
        began = time.perf_counter()
        done = self.budget.step
        final = done >= total_steps
        record: dict[str, Any] = {"step": done, "rollouts": self.budget.rollouts, "tokens": self.budget.tokens,
                                  "objective_names": list(self.task.objective_names)}
        samples: list[dict[str, Any]] = []
        spent = 0
        self._stage(f"evaluating step {done}")
        if not method.capabilities().serves_preferences:
            point, spent = self._point(samples, 0, None, report=final)
            record.update(point)
            weights = method.weights()
            if weights is not None:
                record["weights"] = rounded(weights)
        else:
            points = []
            for i, preference in enumerate(self.preferences):
                self._stage(f"evaluating step {done}, preference {i + 1}/{len(self.preferences)}")
                method.serve(np.asarray(preference, dtype=np.float64))
                point, tokens = self._point(samples, i, preference, report=final)
                points.append({"preference": rounded(preference), **point})
                spent += tokens
            record["points"] = points
        self.budget.eval_tokens += spent
        record["eval_tokens"] = spent
        record["eval_tokens_total"] = self.budget.eval_tokens
        self._write_samples(done, samples)
        self.budget.eval_seconds += time.perf_counter() - began
        self.doing = ""
        self.on_stage(None)
        return record

    def _point(self, samples: list[dict[str, Any]], index: int, preference: Any, report: bool
               ) -> tuple[dict[str, Any], int]:
        """One served policy: its selection vector, and its report vector when it is delivered."""
        chosen = self._evaluate(self.selection, "selection")
        point: dict[str, Any] = {"objectives": rounded(chosen.objectives),
                                 "by_difficulty": chosen.to_record(self.task.objective_names)["by_difficulty"]}
        tokens = chosen.generated_tokens
        self._collect(samples, index, preference, "selection", chosen)
        if report:
            valued = self._evaluate(self.report, "report")
            point["report"] = rounded(valued.objectives)
            point["report_by_difficulty"] = valued.to_record(self.task.objective_names)["by_difficulty"]
            tokens += valued.generated_tokens
            self._collect(samples, index, preference, "report", valued)
        return point, tokens

    def _collect(self, samples: list[dict[str, Any]], index: Any, preference: Any, split: str,
                 result: Evaluation) -> None:
        if self.samples_dir is None:
            return
        extra = {"point": index, "split": split} | ({} if preference is None else {"preference": rounded(preference)})
        samples.extend({**extra, **row} for row in result.per_problem(self.task))

    def _write_samples(self, step: int, samples: list[dict[str, Any]]) -> None:
        if self.samples_dir is not None and samples and self.ranks.is_main:
            atomic_write_jsonl(self.samples_dir / f"step-{step:06d}.jsonl", samples)
