"""``meta-policy``: bi-level, preference-conditioned MORL (spec section 3), and ``soups``, its ablation.

Lower level: one LoRA expert per objective on the frozen base, each trained with the run's estimator on its
own objective (non-accuracy experts get ``anchor`` x r_accuracy added, so that a conciseness expert does not
learn to answer nothing). Upper level: a small network phi(w) -> per-block mixing coefficients over the
experts, alpha = w + phi(w) (phi starts at zero, so the mix starts as Rewarded Soups), trained on the
w-scalarised reward with one w per prompt group, drawn from the simplex vertices and edge midpoints or from
Dirichlet(alpha). Both levels share the run's step budget: ``mixer_share`` of the steps go to the upper level.

``soups`` trains the same experts with the whole budget and serves w by interpolating them linearly.
One trained artifact serves any preference; the protocol serves it at each preference of its set W.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from morlbench.errors import UsageError
from morlbench.methods.base import Capabilities, Method, MethodContext, TrainingLoop
from morlbench.preferences import das_dennis, training_preferences
from morlbench.settings import setting

RESIDUAL_GRID = 4  # Das-Dennis partitions of the preferences the mixer's distance from soups is averaged over


def split_steps(total: int, parts: int) -> list[int]:
    """``total`` steps in ``parts`` contiguous chunks, the first ones one step longer when it does not divide."""
    base, extra = divmod(total, parts)
    return [base + (i < extra) for i in range(parts)]


@dataclass
class ExpertSettings:
    rank: int = setting(8, "LoRA rank of every expert", low=1, high=1024)
    lora_alpha: float = setting(16.0, "LoRA alpha of every expert", low=0, high=1e6, open_low=True)
    # 0: the run's --lr, so that a tuning search over the run's lr tunes the experts as it tunes every other
    # entry (the default until issue 32 was 1e-3, 10x the engine's default lr: LoRA often wants a larger step).
    expert_lr: float = setting(0.0, "learning rate of the experts; 0 (default): the run's --lr", low=0, high=1)
    anchor: float = setting(0.2, "+ anchor * r_{anchor_objective} in the reward of every other expert", low=0,
                            high=1e6)
    anchor_objective: str = setting("accuracy", "the objective added to every other expert's reward")


@dataclass
class MetaPolicySettings(ExpertSettings):
    mixer_share: float = setting(0.25, "share of the run's steps given to the upper level (soups is the method "
                                 "without one)", low=0, high=0.99, open_low=True)
    mixer_lr: float = setting(1e-2, "learning rate of the preference network", low=0, high=10, open_low=True)
    mixer_hidden: int = setting(32, "hidden units of the preference network", low=1, high=65_536)
    vertex_share: float = setting(0.5, "prompt groups whose w is a simplex vertex or edge midpoint; the rest "
                                  "Dirichlet", low=0, high=1)
    dirichlet: float = setting(1.0, "Dirichlet concentration of the other preferences", low=0, high=1e6,
                               open_low=True)


class Soups(Method):
    name = "soups"
    description = "one LoRA expert per objective; preference w served by interpolating the experts (Rewarded Soups)"
    Settings = ExpertSettings
    # the experts route one preference per batch row, set for the whole batch: one process only
    declares = Capabilities(serves_preferences=True, own_schedule=True, own_adapters=True, data_parallel=False)
    mixer_share = 0.0

    # -- building the policy --------------------------------------------------------------------
    def validate_run(self, objectives: tuple[str, ...], steps: int) -> None:
        s = self.settings
        if s.anchor > 0 and s.anchor_objective not in objectives:
            raise UsageError(f"anchor_objective {s.anchor_objective!r} is not an objective of this task "
                             f"({', '.join(objectives)}); set anchor=0 or another anchor_objective")
        self.budget_split(len(objectives), steps)

    def budget_split(self, experts: int, steps: int) -> tuple[int, int]:
        """(lower-level steps, upper-level steps) of a ``steps`` budget."""
        mixer_steps = max(1, round(steps * self.mixer_share)) if self.mixer_share > 0 else 0
        if steps - mixer_steps < experts:
            raise UsageError(f"--steps {steps}: {self.name} needs at least one step per expert ({experts}) "
                             f"besides {mixer_steps} mixer step(s)")
        return steps - mixer_steps, mixer_steps

    def prepare_policy(self, policy: Any, objectives: tuple[str, ...]) -> list[dict[str, Any]]:
        from morlbench.methods.multi_lora import MixedExperts

        s = self.settings
        self.objectives = objectives
        self.experts = MixedExperts(policy, len(objectives), s.rank, s.lora_alpha,
                                    getattr(s, "mixer_hidden", 1))
        lr = {"lr": s.expert_lr} if s.expert_lr > 0 else {}  # no lr: the optimizer's, i.e. the run's --lr
        groups = [{"params": self.experts.expert_parameters(e), **lr} for e in range(len(objectives))]
        if self.mixer_share > 0:
            groups.append({"params": list(self.experts.mixer.parameters()), "lr": s.mixer_lr})
        return groups

    def setup(self, context: MethodContext) -> None:
        super().setup(context)
        k = len(context.objectives)
        self.expert_steps, _ = self.budget_split(k, context.total_steps)
        self.chunks = split_steps(self.expert_steps, k)
        self.grid = das_dennis(k, RESIDUAL_GRID)  # where the mixer's distance from soups is measured

    # -- the schedule ---------------------------------------------------------------------------
    def expert_at(self, step: int) -> int | None:
        """The expert trained at ``step`` (0-based), or None during the upper level."""
        bounds = np.cumsum(self.chunks)
        return int(np.searchsorted(bounds, step, side="right")) if step < self.expert_steps else None

    def expert_reward(self, rewards: np.ndarray, expert: int) -> np.ndarray:
        reward = rewards[:, expert].copy()
        anchor = self.objectives.index(self.settings.anchor_objective) if self.settings.anchor > 0 else expert
        if anchor != expert:
            reward = reward + self.settings.anchor * rewards[:, anchor]
        return reward

    def train(self, loop: TrainingLoop) -> None:
        k = len(self.objectives)
        for step in loop.remaining_steps():
            expert = self.expert_at(step)
            self.experts.train_only(expert)
            if expert is not None:
                preferences = np.tile(np.eye(k)[expert], (loop.prompts_per_step, 1))
            else:
                preferences = self.draw_preferences(step, loop.prompts_per_step)
            rows = np.repeat(preferences, loop.group_size, axis=0)
            self.experts.set_preferences(rows)
            rollout = loop.rollout(step)
            batch = loop.reward_batch(rollout)
            if expert is not None:
                scalar = self.expert_reward(batch.rewards, expert)
                log: dict[str, Any] = {"level": "expert", "expert": self.objectives[expert]}
            else:
                scalar = (batch.rewards * rows).sum(axis=1)
                log = {"level": "mixer", "preferences": preferences.round(4).tolist()}
            stats = loop.update(rollout, batch.estimate(scalar))
            if expert is None:
                log["mixer_residual"] = round(self.mixer_residual(), 6)
            loop.end_step(rollout, stats, log)

    def draw_preferences(self, step: int, groups: int) -> np.ndarray:
        raise UsageError(f"method {self.name} has no upper level")

    def mixer_residual(self) -> float:
        """Mean |phi(w)| over a Das-Dennis grid of preferences: how far the learned mix has moved from soups."""
        return self.experts.mean_residual(self.grid)

    # -- serving --------------------------------------------------------------------------------
    def serve(self, preference: np.ndarray | None) -> None:
        if preference is None:
            self.experts.set_preferences(None)
            return
        self.experts.set_preferences(np.asarray(preference, dtype=np.float64)[None, :])


class MetaPolicy(Soups):
    name = "meta-policy"
    description = "bi-level: LoRA expert per objective, then a preference network mixing them per layer"
    Settings = MetaPolicySettings

    @property
    def mixer_share(self) -> float:  # type: ignore[override]
        return self.settings.mixer_share

    def draw_preferences(self, step: int, groups: int) -> np.ndarray:
        """One w per prompt group: a vertex or edge midpoint (share ``vertex_share``), else Dirichlet."""
        s = self.settings
        return training_preferences(len(self.objectives), groups, [self.context.seed, step, 7], s.vertex_share,
                                    s.dirichlet)
