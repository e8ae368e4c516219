"""The evaluations a run makes (evaluation protocol v2, docs/leaderboard.md).

Every evaluation scores the policy — or each preference its artifact serves — greedily on the selection split.
The report split, larger and more expensive, is paid only where it matters: for a point that no earlier point of
the run weakly dominates on the selection split (only such a point can be on the run's front), for the initial
point, and at the final evaluation. A run's front is chosen on the selection split and valued on the report
split (``morlbench.metrics.pareto.front_points``), so a method that evaluates more points does not get a larger
front from the noise of the split it is valued on. Methods' own validation keeps the val split.
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


def weakly_dominated(point: np.ndarray, earlier: list[np.ndarray]) -> bool:
    return any(bool(np.all(q >= point)) for q in earlier)


class Evaluator:
    """Validation for methods (counted in the budget) and the benchmark's evaluations on the selection and
    report splits (timed apart from training, their tokens counted as evaluation tokens)."""

    def __init__(self, model: LoadedModel, task: Task, selection: str, report: str, max_new_tokens: int,
                 batch_size: int, budget: Budget, ranks: Ranks = ONE_PROCESS, samples_dir: Path | None = None) -> None:
        self.model, self.task, self.budget, self.ranks = model, task, budget, ranks
        self.max_new_tokens, self.batch_size = max_new_tokens, batch_size
        self.selection, self.report = task.split(selection), task.split(report)
        self.samples_dir = samples_dir
        self.seen: list[np.ndarray] = []  # every selection point of the run so far, in order
        self.on_stage: Callable[[str | None], None] = lambda text: None  # what is being evaluated (progress bar)
        self.doing = ""  # the evaluation under way, e.g. "evaluating step 5, preference 2/15"

    def restore(self, evals: list[dict[str, Any]]) -> None:
        """The selection points of the records kept on resume."""
        from morlbench.metrics.front import evaluated_points

        self.seen = [np.asarray(p.selection) for p in evaluated_points(evals) if p.selection is not None]

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
        """The eval record at the current step: the single policy, or every preference the method serves."""
        began = time.perf_counter()
        done = self.budget.step
        final = done >= total_steps
        record: dict[str, Any] = {"step": done, "rollouts": self.budget.rollouts, "tokens": self.budget.tokens,
                                  "objective_names": list(self.task.objective_names)}
        samples: list[dict[str, Any]] = []
        spent = 0
        sweep = method.evaluation_preferences(done, final=final)
        self._stage(f"evaluating step {done}")
        if sweep is None:
            point, tokens = self._point(samples, 0, None, always_report=final or done == 0)
            record.update(point)
            spent += tokens
            weights = method.weights()
            if weights is not None:
                record["weights"] = rounded(weights)
        else:
            points = []
            for i, preference in enumerate(sweep.grid):
                self._stage(f"evaluating step {done}, preference {i + 1}/{len(sweep.grid)}")
                method.serve(np.asarray(preference, dtype=np.float64))
                point, tokens = self._point(samples, i, preference, always_report=final)
                points.append({"preference": rounded(preference), **point})
                spent += tokens
            record["points"] = points
            if sweep.held_out is not None:
                record["held_out"], tokens = self._held_out(method, sweep.held_out, samples)
                spent += tokens
        self.budget.eval_tokens += spent
        record["eval_tokens"] = spent
        record["eval_tokens_total"] = self.budget.eval_tokens
        self._write_samples(done, samples)
        self.budget.eval_seconds += time.perf_counter() - began
        self.doing = ""
        self.on_stage(None)
        return record

    def _point(self, samples: list[dict[str, Any]], index: int, preference: Any, always_report: bool
               ) -> tuple[dict[str, Any], int]:
        """One served policy: its selection vector, and its report vector when it may be on the front."""
        chosen = self._evaluate(self.selection, "selection")
        point: dict[str, Any] = {"objectives": rounded(chosen.objectives),
                                 "by_difficulty": chosen.to_record(self.task.objective_names)["by_difficulty"]}
        tokens = chosen.generated_tokens
        self._collect(samples, index, preference, "selection", chosen)
        vector = np.asarray(point["objectives"])
        if always_report or not weakly_dominated(vector, self.seen):
            valued = self._evaluate(self.report, "report")
            point["report"] = rounded(valued.objectives)
            point["report_by_difficulty"] = valued.to_record(self.task.objective_names)["by_difficulty"]
            tokens += valued.generated_tokens
            self._collect(samples, index, preference, "report", valued)
        self.seen.append(vector)
        return point, tokens

    def _held_out(self, method: Method, preferences: np.ndarray, samples: list[dict[str, Any]]
                  ) -> tuple[list[dict[str, Any]], int]:
        """Off-grid preferences, valued on the report split only: served utility where nothing was chosen."""
        rows, tokens = [], 0
        for i, preference in enumerate(preferences):
            self._stage(f"evaluating step {self.budget.step}, held-out preference {i + 1}/{len(preferences)}")
            method.serve(np.asarray(preference, dtype=np.float64))
            valued = self._evaluate(self.report, "report")
            rows.append({"preference": rounded(preference), "report": rounded(valued.objectives)})
            tokens += valued.generated_tokens
            self._collect(samples, f"held_out-{i}", preference, "report", valued)
        return rows, tokens

    def _collect(self, samples: list[dict[str, Any]], index: Any, preference: Any, split: str,
                 result: Evaluation) -> None:
        if self.samples_dir is None:
            return
        extra = {"point": index, "split": split} | ({} if preference is None else {"preference": rounded(preference)})
        samples.extend({**extra, **row} for row in result.per_problem(self.task))

    def _write_samples(self, step: int, samples: list[dict[str, Any]]) -> None:
        if self.samples_dir is not None and samples and self.ranks.is_main:
            atomic_write_jsonl(self.samples_dir / f"step-{step:06d}.jsonl", samples)
