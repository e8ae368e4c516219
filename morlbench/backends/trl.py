"""``--backend trl``: TRL's GRPOTrainer samples and updates; morlbench keeps everything else.

The method, the task's rewards, evaluation, logging, checkpoints and the run directory are morlbench's (the
public ``Loop``); TRL draws the prompts, generates with ``model.generate``, and takes the GRPO step with
morlbench's own AdamW. Each task objective is one TRL reward function, and before every step the method's
``reward_weights()`` are written into the trainer's ``reward_weights``, which TRL applies to the reward
columns before its group normalisation. That is exactly a method whose advantages are the run's GRPO
estimate of a linear scalarisation (``Capabilities.linear_scalarisation``): static (linear), hypervolume,
hv-meta-reward and plugins of that form; and, with ``multi_objective_aggregation="normalize_then_sum"``, a
method whose advantages are GDPO's decoupled normalisation (``Capabilities.decoupled_normalisation``: gdpo).
TRL adds 1e-4 to every standard deviation where the engine adds the paper's 1e-6. Everything else is refused
before anything is written. The trainer is driven by ``morlbench.integrations.trl``'s callback, the one a user's
own TRL script uses (docs/trl.md).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from morlbench.backends.base import Backend
from morlbench.engine.precision import MERGED
from morlbench.errors import UsageError

if TYPE_CHECKING:
    from morlbench.run.loop import Loop
    from morlbench.run.resolve import Resolved

USE_ENGINE = "use --backend morlbench"


class TRLBackend(Backend):
    name = "trl"
    description = ("TRL's GRPOTrainer samples and updates (methods that scalarise rewards linearly; "
                   "pip install 'morlbench[trl]')")

    def check(self, resolved: Resolved, resume: bool, processes: int) -> None:
        """Refuse, in one line, what TRL's GRPOTrainer cannot run the way the method describes."""
        name, spec, can = resolved.spec.method, resolved.spec, resolved.method.capabilities()
        try:
            import trl  # noqa: F401
        except ImportError:
            raise UsageError("--backend trl needs TRL: pip install 'morlbench[trl]'") from None
        if can.own_schedule:
            raise UsageError(f"method {name} schedules its own training, which TRL's GRPOTrainer cannot run; "
                             f"{USE_ENGINE}")
        if can.conditions_prompts:
            raise UsageError(f"method {name} conditions its prompts (Method.condition), which TRL's GRPOTrainer "
                             f"samples from its own dataset; {USE_ENGINE}")
        if can.objective_gradients:
            raise UsageError(f"method {name} needs per-objective policy gradients, which TRL's GRPOTrainer does "
                             f"not expose; {USE_ENGINE}")
        if not (can.linear_scalarisation or can.decoupled_normalisation):
            raise UsageError(f"method {name} (with these settings) neither scalarises rewards linearly nor "
                             f"normalises them decoupled (GDPO), which is all TRL's reward_weights and "
                             f"multi_objective_aggregation can express; {USE_ENGINE}")
        if can.decoupled_normalisation and not (resolved.method.settings.batch_norm
                                                and resolved.method.settings.eps == 1e-4):
            raise UsageError(f"method {name} on --backend trl is TRL's normalize_then_sum, whose batch "
                             "normalisation is always on and whose epsilon is 1e-4: pass --method-opt eps=0.0001 "
                             f"(and batch_norm=true), or {USE_ENGINE}")
        refusals = {
            spec.estimator != "grpo": f"--estimator {spec.estimator}: TRL's GRPOTrainer normalises rewards per "
                                      "group (grpo) only",
            spec.lora_rank > 0: "--lora-rank is not wired to TRL's peft support",
            resume: "--resume: TRL's prompt sampler cannot continue from a morlbench checkpoint",
            processes > 1: "several processes: the TRL backend runs in one process",
            spec.dtype == MERGED: f"--dtype {MERGED}: TRL samples from its own model, not from merged copies",
        }
        for refused, reason in refusals.items():
            if refused:
                raise UsageError(f"--backend trl: {reason}; {USE_ENGINE}")

    def train(self, loop: Loop) -> None:
        from morlbench.integrations.trl import train_with_trl  # the same callback a user's TRL script uses

        train_with_trl(loop)
