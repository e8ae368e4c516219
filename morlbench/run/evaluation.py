"""Greedy evaluation of a policy on a fixed split (the normalised objective vector of spec section 1), and the
evaluations a run makes: of its single policy, or of every preference its artifact serves."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from morlbench.engine.distributed import ONE_PROCESS, Ranks
from morlbench.engine.sampling import Generation, generate
from morlbench.methods.base import Method, PreferenceSweep
from morlbench.models.base import LoadedModel
from morlbench.run.budget import Budget
from morlbench.tasks.base import Problem, Sample, Task


@dataclass
class Evaluation:
    objectives: np.ndarray  # (K,)
    by_difficulty: dict[int, list[float]]
    generated_tokens: int
    samples: list[Sample]

    def to_record(self, names: tuple[str, ...]) -> dict[str, Any]:
        return {
            "objectives": [round(float(v), 6) for v in self.objectives],
            "objective_names": list(names),
            "by_difficulty": {str(d): [round(v, 6) for v in vec] for d, vec in sorted(self.by_difficulty.items())},
            "eval_tokens": self.generated_tokens,
        }


def to_samples(tokenizer, problems: list[Problem], gen: Generation) -> list[Sample]:
    """Decode completions (EOS and padding dropped) into samples the objectives score."""
    samples = []
    for row, problem in enumerate(problems):
        ids = gen.completion_ids[row, : gen.lengths[row]].tolist()
        samples.append(Sample(problem, tokenizer.decode(ids, skip_special_tokens=True), gen.lengths[row]))
    return samples


def evaluate(model: LoadedModel, task: Task, problems: list[Problem], max_new_tokens: int, batch_size: int,
             ranks: Ranks = ONE_PROCESS) -> Evaluation:
    """Greedy decoding of ``problems``; under data parallelism each rank decodes every count-th problem."""
    model.policy.eval()
    mine = problems[ranks.index :: ranks.count]
    samples: list[Sample] = []
    tokens = 0
    for start in range(0, len(mine), batch_size):
        chunk = mine[start : start + batch_size]
        gen = generate(model.policy, [model.encode_prompt(p.prompt) for p in chunk], max_new_tokens=max_new_tokens,
                       eos_id=model.eos_token_id, pad_id=model.pad_token_id, greedy=True)
        samples.extend(to_samples(model.tokenizer, chunk, gen))
        tokens += gen.generated_tokens
    samples = ranks.gather_strided(samples)
    tokens = int(ranks.sum_numbers([tokens])[0])
    by_difficulty = {}
    for d in sorted({p.difficulty for p in problems}):
        subset = [s for s in samples if s.problem.difficulty == d]
        by_difficulty[d] = [float(v) for v in task.eval_vector(subset)]
    return Evaluation(task.eval_vector(samples), by_difficulty, tokens, samples)


def rounded(values: Any) -> list[float]:
    return [round(float(v), 6) for v in values]


class Evaluator:
    """The evaluations of one run: validation for methods (counted in the budget), and the benchmark's own
    evaluations on the eval split (timed apart from training)."""

    def __init__(self, model: LoadedModel, task: Task, eval_split: str, max_new_tokens: int, batch_size: int,
                 budget: Budget, ranks: Ranks = ONE_PROCESS) -> None:
        self.model, self.task, self.budget, self.ranks = model, task, budget, ranks
        self.max_new_tokens, self.batch_size = max_new_tokens, batch_size
        self.problems = task.split(eval_split)

    def _evaluate(self, problems: list[Problem]) -> Evaluation:
        return evaluate(self.model, self.task, problems, self.max_new_tokens, self.batch_size, self.ranks)

    def validate(self) -> np.ndarray:
        """Greedy evaluation on the val split, counted in the budget as method-internal tokens."""
        result = self._evaluate(self.task.split("val"))
        self.budget.method_tokens += result.generated_tokens
        return result.objectives

    def record(self, method: Method, total_steps: int) -> dict[str, Any]:
        """The eval record at the current step: the single policy, or every preference the method serves."""
        began = time.perf_counter()
        done = self.budget.step
        record: dict[str, Any] = {"step": done, "rollouts": self.budget.rollouts, "tokens": self.budget.tokens}
        sweep = method.evaluation_preferences(done, final=done >= total_steps)
        if sweep is None:
            record.update(self._evaluate(self.problems).to_record(self.task.objective_names))
            weights = method.weights()
            if weights is not None:
                record["weights"] = rounded(weights)
        else:
            record.update(self.sweep(method, sweep))
        self.budget.eval_seconds += time.perf_counter() - began
        return record

    def sweep(self, method: Method, sweep: PreferenceSweep) -> dict[str, Any]:
        """One objective vector per served preference; held-out preferences are scored apart from the front."""
        tokens = 0

        def served(preferences: np.ndarray) -> list[dict[str, Any]]:
            nonlocal tokens
            rows = []
            for preference in preferences:
                method.serve(np.asarray(preference, dtype=np.float64))
                result = self._evaluate(self.problems)
                tokens += result.generated_tokens
                rows.append({"preference": rounded(preference), "objectives": rounded(result.objectives)})
            return rows

        record: dict[str, Any] = {"objective_names": list(self.task.objective_names), "points": served(sweep.grid)}
        if sweep.held_out is not None:
            record["held_out"] = served(sweep.held_out)
        record["eval_tokens"] = tokens
        return record
