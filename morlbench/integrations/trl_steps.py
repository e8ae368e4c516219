"""What morlbench puts into a TRL step, shared by ``--backend trl`` and ``MorlbenchCallback``: the task's objectives
as TRL reward functions (the K rewards of a batch computed once), the prompts as TRL's dataset, and the engine's
step statistics read from TRL's log of the step. Imports neither TRL nor transformers until they are used."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from morlbench.tasks.problems import Problem, Sample

if TYPE_CHECKING:
    from morlbench.run.loop import Loop


class StepRewards:
    """The K task rewards of TRL's current batch, computed once for the K reward functions TRL calls. ``loop``
    may be bound after the reward functions are handed to TRL (before its first step)."""

    def __init__(self, loop: Loop | None = None) -> None:
        self.loop = loop
        self.key: int | None = None
        self.rewards = np.zeros((0, 0))
        self.problems: list[Any] = []
        self.lengths: list[int] = []
        self.tokens = 0
        self.mean_length = 0.0

    def column(self, k: int, completions: list[str], completion_ids: list[list[int]], problem_index: list[int]
               ) -> list[float]:
        if self.key != id(completion_ids):  # TRL passes the same list to every reward function of a batch
            self.score(completions, completion_ids, problem_index)
        return self.rewards[:, k].tolist()

    def score(self, completions: list[str], completion_ids: list[list[int]], problem_index: list[int]) -> None:
        loop = self.loop
        if loop is None:
            raise RuntimeError("morlbench's reward functions were called before the training began (no run yet)")
        eos = loop.model.eos_token_id
        self.key = id(completion_ids)
        self.problems = [loop.train_problems[i] for i in problem_index]
        self.lengths = [len(ids) - int(bool(ids) and ids[-1] == eos) for ids in completion_ids]  # EOS excluded
        self.tokens = sum(len(ids) for ids in completion_ids)  # EOS included, as the engine counts
        samples = [Sample(p, text, n) for p, text, n in zip(self.problems, completions, self.lengths)]
        self.rewards, self.mean_length = loop.score(samples, self.lengths)


def reward_functions(batch: StepRewards, names: tuple[str, ...]) -> list[Any]:
    """One TRL reward function per objective, named after it (TRL logs ``rewards/<name>/mean``)."""
    def function(k: int):
        def reward(prompts, completions, completion_ids, problem_index, **_):
            return batch.column(k, completions, completion_ids, problem_index)

        reward.__name__ = names[k]
        return reward

    return [function(k) for k in range(len(names))]


def prompt_text(tokenizer: Any, prompt: str) -> str | list[dict[str, str]]:
    """What TRL tokenises: the chat form for chat models (TRL applies the template), else the plain prompt."""
    if getattr(tokenizer, "chat_template", None):
        return [{"role": "user", "content": prompt}]
    return prompt


def train_dataset(problems: list[Problem], tokenizer: Any) -> Any:
    """The task's training problems as TRL's dataset: the prompt, and its index for the reward functions."""
    from datasets import Dataset

    return Dataset.from_dict({"prompt": [prompt_text(tokenizer, p.prompt) for p in problems],
                              "problem_index": list(range(len(problems)))})


def trl_stats(logs: dict[str, float], kl_coef: float) -> dict[str, float]:
    """The engine's per-step statistics from TRL's log record of that step."""
    kl = float(logs.get("kl", 0.0))
    return {"loss": float(logs["loss"]), "policy_loss": float(logs["loss"]) - kl_coef * kl, "kl": kl,
            "grad_norm": float(logs.get("grad_norm", float("nan"))),
            "clip_fraction": float(logs.get("clip_ratio/region_mean", 0.0)),
            "trl_reward": float(logs.get("reward", float("nan")))}
