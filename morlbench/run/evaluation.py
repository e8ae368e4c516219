"""Greedy evaluation of a policy on a fixed split: the normalised objective vector of spec section 1, and each
problem's own values; and the prompts a policy reads when its method conditions them (``Method.condition``)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from morlbench.engine.distributed import ONE_PROCESS, Ranks
from morlbench.engine.sampling import Generation, generate
from morlbench.methods.base import Method
from morlbench.models.base import LoadedModel
from morlbench.tasks.base import Problem, Sample, Task
from morlbench.tasks.objectives import ScoreContext


@dataclass
class Evaluation:
    objectives: np.ndarray  # (K,)
    by_difficulty: dict[int, list[float]]
    generated_tokens: int
    samples: list[Sample]

    def per_problem(self, task: Task) -> list[dict[str, Any]]:
        """Every problem's completion and objective values (the records of eval_samples/)."""
        ctx = ScoreContext(max_new_tokens=task.max_new_tokens, running_mean_len=float("nan"))
        columns = [o.eval_values(self.samples, ctx) for o in task.active_objectives]
        return [{"id": s.problem.id, "completion": s.text, "tokens": s.num_tokens,
                 "values": [round(float(c[i]), 6) for c in columns]} for i, s in enumerate(self.samples)]

    def to_record(self, names: tuple[str, ...]) -> dict[str, Any]:
        return {
            "objectives": [round(float(v), 6) for v in self.objectives],
            "objective_names": list(names),
            "by_difficulty": {str(d): [round(v, 6) for v in vec] for d, vec in sorted(self.by_difficulty.items())},
            "eval_tokens": self.generated_tokens,
        }


def conditioned_texts(method: Method, prompts: list[str]) -> list[str]:
    """The texts the policy reads for these task prompts: through ``method.condition`` when the method declares
    ``conditions_prompts``, else the prompts themselves."""
    if not method.capabilities().conditions_prompts:
        return prompts
    texts = method.condition(list(prompts))
    if not isinstance(texts, list) or len(texts) != len(prompts) or not all(isinstance(t, str) for t in texts):
        raise TypeError(f"method {method.name}: condition(prompts) must return a list of one str per prompt "
                        f"({len(prompts)}), got {type(texts).__name__}")
    return texts


@dataclass
class ConditionedModel(LoadedModel):
    """The loaded model as a prompt-conditioning method's policy reads prompts: every prompt it encodes goes
    through the method first (evaluations, validation, serving). Same policy and tokenizer objects."""

    method: Method | None = None

    def encode_prompt(self, prompt: str) -> list[int]:
        return super().encode_prompt(conditioned_texts(self.method, [prompt])[0])


def policy_view(model: LoadedModel, method: Method) -> LoadedModel:
    """``model`` as ``method``'s policy reads prompts: itself, or a ConditionedModel when the method conditions."""
    if not method.capabilities().conditions_prompts:
        return model
    return ConditionedModel(model.policy, model.tokenizer, model.name, model.info, model.autocast, method=method)


def to_samples(tokenizer, problems: list[Problem], gen: Generation) -> list[Sample]:
    """Decode completions (EOS and padding dropped) into samples the objectives score."""
    samples = []
    for row, problem in enumerate(problems):
        ids = gen.completion_ids[row, : gen.lengths[row]].tolist()
        samples.append(Sample(problem, tokenizer.decode(ids, skip_special_tokens=True), gen.lengths[row]))
    return samples


def evaluate(model: LoadedModel, task: Task, problems: list[Problem], max_new_tokens: int, batch_size: int,
             ranks: Ranks = ONE_PROCESS, on_batch: Callable[[int, int], None] | None = None) -> Evaluation:
    """Greedy decoding of ``problems``, in batches of similar prompt lengths, samples in the problems' order; under
    data parallelism each rank decodes every count-th problem.
    ``on_batch(done, total)`` before the first batch and after every one: problems decoded so far (this rank's
    count times the ranks, capped at the total, under data parallelism)."""
    model.policy.eval()
    mine = problems[ranks.index :: ranks.count]
    encoded = [model.encode_prompt(p.prompt) for p in mine]
    # batches of similar prompt lengths: a batch is left-padded to its longest prompt (prefill 30% faster)
    order = sorted(range(len(mine)), key=lambda i: len(encoded[i]))
    samples: list[Sample | None] = [None] * len(mine)
    tokens = 0
    if on_batch is not None:
        on_batch(0, len(problems))
    for start in range(0, len(mine), batch_size):
        rows = order[start : start + batch_size]
        gen = generate(model.policy, [encoded[i] for i in rows], max_new_tokens=max_new_tokens,
                       eos_id=model.eos_token_id, pad_id=model.pad_token_id, greedy=True)
        for i, sample in zip(rows, to_samples(model.tokenizer, [mine[i] for i in rows], gen)):
            samples[i] = sample
        tokens += gen.generated_tokens
        if on_batch is not None:
            on_batch(min((start + len(rows)) * ranks.count, len(problems)), len(problems))
    samples = ranks.gather_strided(samples)
    tokens = int(ranks.sum_numbers([tokens])[0])
    by_difficulty = {}
    for d in sorted({p.difficulty for p in problems}):
        subset = [s for s in samples if s.problem.difficulty == d]
        by_difficulty[d] = [float(v) for v in task.eval_vector(subset)]
    return Evaluation(task.eval_vector(samples), by_difficulty, tokens, samples)
