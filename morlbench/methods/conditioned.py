"""``conditioned``: one policy that reads the preference in its prompt (Rewards-in-Context style, ICML 2024).

Rewards-in-Context (Yang et al., arXiv 2402.10207, github.com/YangRui2015/RiC) writes the targets of several
rewards into the prompt and fine-tunes a single model on them, so that at inference one artifact serves any
preference by changing the text it is given. Here the preference vector w itself enters the prompt, as one short
line (``preference 0.50 0.25 0.25``) after the task prompt (``position=end``, next to the completion as RiC's
reward tokens are) or before it; training is online RL: every prompt group of a step draws its own w (a simplex
vertex or edge midpoint for a share ``vertex_share`` of the groups, Dirichlet(``dirichlet``) for the rest, as
meta-policy's upper level does), its completions are sampled from the prompt conditioned on w, and their rewards
are scalarised by that w (sum_k w_k r_k) before the run's estimator. The protocol serves the artifact at each
preference of its set W (evaluation protocol 3) by conditioning the prompts on it.

The prompt change goes through the plugin API's ``Method.condition`` (declared by ``conditions_prompts``), which
the training loop, every evaluation and ``morlbench generate`` apply: exactly what a plugin would use.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from morlbench.errors import UsageError
from morlbench.methods.base import Capabilities, Method, MethodContext, TrainingLoop
from morlbench.preferences import training_preferences
from morlbench.settings import setting

POSITIONS = ("end", "start")


@dataclass
class ConditionedSettings:
    position: str = setting("end", "where the preference line goes: end (after the task prompt, next to the "
                            "completion, as RiC's reward tokens) or start", choices=POSITIONS)
    vertex_share: float = setting(0.5, "prompt groups whose w is a simplex vertex or edge midpoint; the rest "
                                  "Dirichlet", low=0, high=1)
    dirichlet: float = setting(1.0, "Dirichlet concentration of the other preferences", low=0, high=1e6,
                               open_low=True)


def preference_line(preference: np.ndarray) -> str:
    """The text a preference becomes in the prompt: its weights to two decimals, in objective order."""
    return "preference " + " ".join(f"{float(v):.2f}" for v in preference) + "\n"


def conditioned_prompt(prompt: str, preference: np.ndarray, position: str) -> str:
    line = preference_line(preference)
    return prompt + line if position == "end" else line + prompt


class Conditioned(Method):
    name = "conditioned"
    description = "Rewards-in-Context style: one policy, the preference written into its prompt; any w served"
    Settings = ConditionedSettings
    declares = Capabilities(serves_preferences=True, own_schedule=True, conditions_prompts=True)

    def __init__(self, settings: Any | None = None) -> None:
        super().__init__(settings)
        self.served: np.ndarray | None = None  # the preference evaluations and serving condition on
        self.rows: np.ndarray | None = None  # (N, K): one preference per training row, during a rollout only

    def setup(self, context: MethodContext) -> None:
        super().setup(context)
        self.served = np.asarray(context.initial_weights, dtype=np.float64)

    # -- the prompt hook ------------------------------------------------------------------------
    def condition(self, prompts: list[str]) -> list[str]:
        if self.rows is not None:
            if len(self.rows) != len(prompts):
                raise RuntimeError(f"{len(prompts)} prompts for {len(self.rows)} training preferences")
            preferences: Any = self.rows
        elif self.served is not None:
            preferences = [self.served] * len(prompts)
        else:
            raise UsageError(f"method {self.name} serves preferences: give one (--preference)")
        return [conditioned_prompt(p, w, self.settings.position) for p, w in zip(prompts, preferences)]

    # -- training -------------------------------------------------------------------------------
    def draw_preferences(self, step: int, groups: int) -> np.ndarray:
        s = self.settings
        return training_preferences(len(self.context.objectives), groups, [self.context.seed, step, 11],
                                    s.vertex_share, s.dirichlet)

    def train(self, loop: TrainingLoop) -> None:
        for step in loop.remaining_steps():
            preferences = self.draw_preferences(step, loop.prompts_per_step)
            self.rows = np.repeat(preferences, loop.group_size, axis=0)
            try:
                rollout = loop.rollout(step)
            finally:
                rows, self.rows = self.rows, None
            batch = loop.reward_batch(rollout)
            scalar = (batch.rewards * rows).sum(axis=1)  # each group's rewards scalarised by its own w
            stats = loop.update(rollout, batch.estimate(scalar))
            loop.end_step(rollout, stats, {"preferences": preferences.round(4).tolist()})

    # -- serving --------------------------------------------------------------------------------
    def serve(self, preference: np.ndarray | None) -> None:
        """Condition evaluations and generation on ``preference``; None: the run's --weights."""
        if preference is not None:
            self.served = np.asarray(preference, dtype=np.float64)
        elif self.context is not None:
            self.served = np.asarray(self.context.initial_weights, dtype=np.float64)
