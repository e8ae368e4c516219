"""morlbench inside a TRL script: ``MorlbenchCallback``, a ``transformers.TrainerCallback`` that lets a user's own
``trl.GRPOTrainer`` run a morlbench method's dynamic weights and writes a morlbench run directory (docs/trl.md).

Before each step the method's ``reward_weights()`` are written into the trainer's ``reward_weights``, which TRL
applies to the reward columns before its group normalisation: exactly a method whose advantages are the GRPO
estimate of a linear scalarisation (``Capabilities.linear_scalarisation``: static, hypervolume, hv-meta-reward,
plugins of that form) or, under ``multi_objective_aggregation="normalize_then_sum"``, GDPO's decoupled
normalisation. After each step the method's ``after_step`` runs and morlbench's loop records the step, evaluates
when due (the Pareto evaluation: front and hypervolume on the task's selection and report splits) and writes
metrics.jsonl and eval.jsonl; at the end of training, the run's report. ``--backend trl`` is the same callback
on a trainer morlbench builds itself (``train_with_trl``).
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback

from morlbench.errors import UsageError
from morlbench.integrations.trl_config import check_grpo_args, grpo_config, grpo_record, spec_from_grpo_args
from morlbench.integrations.trl_steps import StepRewards, reward_functions, train_dataset, trl_stats
from morlbench.methods.base import Rollout, StepInfo
from morlbench.run.loop import Loop


class LoopCallback(TrainerCallback):
    """Drives a morlbench ``Loop`` from a GRPOTrainer: the method's weights into the trainer before each step; the
    method's hook and morlbench's step record (and evaluation when due) after it."""

    def __init__(self, loop: Loop | None = None) -> None:
        self.loop = loop
        self.rewards = StepRewards(loop)
        self.trainer: Any = None

    def attach(self, trainer: Any) -> Any:
        """The trainer whose ``reward_weights`` this callback sets each step (callbacks are not handed it)."""
        self.trainer = trainer
        return trainer

    def on_train_begin(self, args, state, control, **kwargs):
        loop, trainer = self.loop, self.trainer
        if trainer.ref_model is not None and loop.engine.reference is not None:
            trainer.ref_model.load_state_dict(loop.engine.reference.state_dict())  # the run's initial policy

    def on_step_begin(self, args, state, control, **kwargs):
        self.loop.begin_step()
        self.trainer.reward_weights = torch.as_tensor(self.loop.method.reward_weights(), dtype=torch.float32)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not logs or "loss" not in logs:
            return
        loop, batch = self.loop, self.rewards
        step = state.global_step - 1
        rollout = Rollout(step, batch.problems, None, batch.rewards, batch.mean_length, slice(None), batch.lengths,
                          batch.tokens)
        stats = trl_stats(logs, loop.spec.engine.kl_coef)
        log = loop.method.after_step(StepInfo(step + 1, batch.rewards.mean(axis=0), stats))
        loop.end_step(rollout, stats, log)


class MorlbenchCallback(LoopCallback):
    """A morlbench run inside a user's GRPOTrainer script.

    ``args`` is the trainer's GRPOConfig: the budget (``max_steps``), the batch (``generation_batch_size`` /
    ``num_generations`` prompts of ``num_generations`` rollouts), the generation limit, the seed and the optimiser
    settings are TRL's and recorded as the run's. ``out`` is the run directory (new or empty). ``settings`` are
    morlbench run settings (``morlbench.spec.RunSpec`` fields): ``task`` (default arith), ``method`` (default
    static), ``model`` (default the task's), ``eval_every``, ``weights``, ``objectives``, ``method_options``,
    ``task_options``, ... Everything is checked here, before anything is written.

    Hand TRL what the callback built: ``GRPOTrainer(model=cb.model.policy, processing_class=cb.model.tokenizer,
    reward_funcs=cb.reward_funcs, train_dataset=cb.train_dataset, args=args, callbacks=[cb])``, then
    ``cb.attach(trainer)`` before ``trainer.train()``.
    """

    def __init__(self, args: Any, out: str | Path, progress: bool = False, **settings: Any) -> None:
        from morlbench.run.resolve import load_model, resolve

        super().__init__()
        self.args, self.out, self.progress = args, Path(out), progress
        self.spec = spec_from_grpo_args(args, settings)
        self.resolved = r = resolve(self.spec)
        r.backend.check(r, False, args.world_size)  # what TRL's reward weights cannot express, refused in one line
        aggregation = "normalize_then_sum" if r.method.capabilities().decoupled_normalisation else "sum_then_normalize"
        if args.multi_objective_aggregation != aggregation:
            raise UsageError(f"MorlbenchCallback: method {self.spec.method} needs GRPOConfig "
                             f"multi_objective_aggregation={aggregation!r}, not {args.multi_objective_aggregation!r}")
        if self.out.exists() and any(self.out.iterdir()):
            raise UsageError(f"MorlbenchCallback: {self.out} exists and is not empty; choose a new directory")
        torch.manual_seed(self.spec.seed)
        self.model = load_model(r)
        self.reward_funcs = reward_functions(self.rewards, r.task.objective_names)
        self.train_dataset = train_dataset(r.task.split("train"), self.model.tokenizer)

    def on_train_begin(self, args, state, control, **kwargs):
        from morlbench.run.directory import prepare_run_dir
        from morlbench.run.execute import say_start
        from morlbench.run.policy import check_model_fits
        from morlbench.run.provenance import build_config

        self.check_trainer(args)
        r = self.resolved
        check_model_fits(r, self.model)
        config = build_config(r, self.model)
        config["trl"] = grpo_record(args)  # what TRL ran, beside the run spec it maps to
        run = prepare_run_dir(self.out, False, config)
        say_start(self.spec, r, self.out, False)
        self.loop = self.rewards.loop = Loop(r, self.model, run, self.progress)
        self.loop.evaluate_now()  # step 0
        super().on_train_begin(args, state, control, **kwargs)

    def check_trainer(self, args: Any) -> None:
        """The trainer trains the policy this callback evaluates, on its rewards, as configured when it was built."""
        trainer = self.trainer
        if trainer is None:
            raise UsageError("MorlbenchCallback: call callback.attach(trainer) before trainer.train()")
        if trainer.model is not self.model.policy:
            raise UsageError("MorlbenchCallback: GRPOTrainer(model=...) must be callback.model.policy, the policy "
                             "the callback evaluates")
        if list(trainer.reward_funcs) != self.reward_funcs:
            raise UsageError("MorlbenchCallback: GRPOTrainer(reward_funcs=...) must be callback.reward_funcs, one per "
                             f"objective ({', '.join(self.resolved.task.objective_names)}), the columns the method "
                             "weights")
        if args is not self.args:
            check_grpo_args(args)
            if spec_from_grpo_args(args, {}).to_dict()["engine"] != self.spec.to_dict()["engine"]:
                raise UsageError("MorlbenchCallback: the trainer's GRPOConfig is not the one given to the callback")

    def on_train_end(self, args, state, control, **kwargs):
        from morlbench.report.run_report import stored_reference, write_run_report
        from morlbench.run.execute import record_failure

        loop = self.loop
        loop.progress.close()
        if loop.budget.step < loop.total_steps:  # stopped early: the records are not a finished run
            record_failure(self.out, RuntimeError(f"training stopped at step {loop.budget.step} of "
                                                  f"{loop.total_steps}"), loop.budget.step)
            print(f"morlbench: training stopped at step {loop.budget.step} of {loop.total_steps}; no report "
                  f"(failure.json in {self.out})", file=sys.stderr)
            return
        write_run_report(self.out, *stored_reference(self.out))
        print(f"morlbench: report in {self.out / 'report.md'} (rebuild it with morlbench report {self.out})",
              file=sys.stderr)


def train_with_trl(loop: Loop) -> None:
    """``--backend trl``: train ``loop``'s policy for the run's budget with a GRPOTrainer morlbench builds, driven by
    the same callback as a user's trainer."""
    from transformers.trainer_callback import PrinterCallback
    from trl import GRPOTrainer

    callback = LoopCallback(loop)
    constant = torch.optim.lr_scheduler.LambdaLR(loop.engine.optimizer, lambda _: 1.0)
    with tempfile.TemporaryDirectory(prefix="morlbench-trl-") as scratch:
        trainer = GRPOTrainer(model=loop.model.policy, reward_funcs=reward_functions(callback.rewards,
                                                                                     loop.task.objective_names),
                              args=grpo_config(loop, scratch), train_dataset=train_dataset(loop.train_problems,
                                                                                           loop.model.tokenizer),
                              processing_class=loop.model.tokenizer, callbacks=[callback],
                              optimizers=(loop.engine.optimizer, constant))
        trainer.remove_callback(PrinterCallback)  # its raw log dicts: every number is in morlbench's step records
        callback.attach(trainer)
        trainer.train()
