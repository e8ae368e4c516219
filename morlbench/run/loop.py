"""The public training loop: the primitives ``Method.train`` drives, over the engine.

``rollout`` draws the step's prompts (seeded from the run's seed and the step alone), samples G completions
each and scores them; ``reward_batch`` hands the K reward columns to the method; ``update`` takes one policy
step with the method's advantages; ``end_step`` counts the step, logs it, and evaluates and checkpoints when
due. A backend that does the sampling and the update itself (TRL) uses ``score`` and ``end_step`` only.
"""
from __future__ import annotations

import random
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from morlbench.contract import check_advantages, check_json, check_loss, check_weights, owner
from morlbench.engine.distributed import ONE_PROCESS, Ranks
from morlbench.engine.engine import Engine
from morlbench.errors import UsageError
from morlbench.estimators import estimate
from morlbench.methods.base import MethodContext, RewardBatch, Rollout
from morlbench.models.base import LoadedModel
from morlbench.results.rundir import RunDir
from morlbench.run import checkpointing, progress
from morlbench.run.budget import Budget, RunningMeanLength
from morlbench.run.diagnostics import GradientDiagnostic
from morlbench.run.evaluation import conditioned_texts, policy_view, to_samples
from morlbench.run.policy import prepare_policy
from morlbench.run.protocol import Evaluator
from morlbench.run.records import step_record
from morlbench.run.resolve import Resolved
from morlbench.run.tracking import Tracking
from morlbench.tasks.objectives import ScoreContext
from morlbench.tasks.problems import Problem, Sample


def step_seed(seed: int, step: int, rank: int = 0) -> int:
    """Seed of the sampling at ``step`` (on data-parallel ``rank``): resuming at any step reproduces the same
    rollouts."""
    return (seed * 1_000_003 + step * 7_919 + 17 + rank * 104_729) % (2**63)


def draw_prompts(train: list[Problem], seed: int, step: int, count: int) -> list[Problem]:
    return random.Random(step_seed(seed, step)).sample(train, count)


class StoppedEarly(KeyboardInterrupt):
    """Raised by ``remaining_steps`` at ``Loop.stop_after``: the run ends as an interrupted one would (resumable)."""


class Loop:
    """One run's training loop (``morlbench.methods.base.TrainingLoop``)."""

    stop_after: int | None = None  # stop as if interrupted once this many steps are done (resume checks)
    tracking: Tracking | None = None  # --log-to: TensorBoard / W&B

    def __init__(self, r: Resolved, model: LoadedModel, run: RunDir, show_progress: bool,
                 ranks: Ranks = ONE_PROCESS) -> None:
        self.resolved, self.spec, self.task, self.method = r, r.spec, r.task, r.method
        self.model, self.run, self.ranks = model, run, ranks
        self.show_progress = show_progress and ranks.is_main
        self.prompts_per_step, self.group_size, self.total_steps = r.spec.prompts_per_step, r.spec.group_size, \
            r.spec.steps
        self.max_new_tokens = r.max_new_tokens
        self.group_rows = ranks.group_share(r.spec.prompts_per_step)
        self.engine = Engine(model, r.spec.engine, ranks)  # copies the KL reference before adapters are added
        groups = prepare_policy(r, model)
        if groups is not None:
            self.engine.set_parameter_groups(groups)
        self.train_problems = r.task.split("train")
        self.budget = Budget()
        self.running_length = RunningMeanLength()
        samples = run.path / "eval_samples" if r.eval_samples and not run.read_only else None
        # evaluations and validation read prompts as the method's policy does (Method.condition)
        self.evaluator = Evaluator(policy_view(model, r.method), r.task, r.selection_split, r.report_split,
                                   r.max_new_tokens, r.spec.eval_batch_size, self.budget, ranks, samples,
                                   r.preferences)
        self.diagnostic = GradientDiagnostic(self.engine, r.spec.estimator, r.spec.group_size,
                                             r.spec.gradient_cosine_every)
        self._step_began = 0.0
        self.progress = progress.RunProgress(f"{r.spec.method} on {r.spec.task}", r.spec.steps, r.spec.eval_every,
                                             self.show_progress)
        self.evaluator.on_stage = self.progress.stage
        self.who = owner("methods", r.spec.method)  # how contract errors name the method
        self.method.setup(MethodContext(
            objectives=r.task.objective_names, initial_weights=np.asarray(r.weights), estimator=r.spec.estimator,
            group_size=r.spec.group_size, total_steps=r.spec.steps, lr=r.spec.engine.lr, seed=r.spec.seed,
            validate=self.evaluator.validate, parameter_names=self.engine.trainable_names(),
            max_new_tokens=r.max_new_tokens,
        ))

    # -- the step's primitives -------------------------------------------------------------------
    def remaining_steps(self) -> Iterator[int]:
        for step in progress.steps(self.budget.step, self.progress):
            if self.stop_after is not None and step >= self.stop_after:
                raise StoppedEarly(f"stopped after step {step}")
            yield step
            if self.budget.step != step + 1:
                raise RuntimeError(f"method {self.spec.method} did not finish step {step + 1} with end_step")

    def begin_step(self) -> None:
        """Start the step's clock (``rollout`` does it; a backend that samples itself calls it)."""
        self._step_began = time.perf_counter()

    def score(self, samples: list[Sample], batch_lengths: list[int]) -> tuple[np.ndarray, float]:
        """The K training rewards (N, K) of ``samples``, after the running mean length took in the lengths of
        the whole batch (every rank's; EOS excluded): the paper's conciseness rule counts the current batch."""
        mean_length = self.running_length.update(batch_lengths)
        rewards = self.task.train_rewards(samples, ScoreContext(self.max_new_tokens, mean_length))
        return np.asarray(rewards, dtype=np.float64), mean_length

    def rollout(self, step: int) -> Rollout:
        self.begin_step()
        spec = self.spec
        problems = draw_prompts(self.train_problems, spec.seed, step, spec.prompts_per_step)
        grouped = [p for p in problems for _ in range(spec.group_size)]
        share = self.group_rows
        rows = slice(share.start * spec.group_size, share.stop * spec.group_size)  # this rank's prompt groups
        texts = conditioned_texts(self.method, [p.prompt for p in grouped])  # the whole batch, rows in order
        gen = self.engine.sample([self.model.encode_prompt(t) for t in texts[rows]], self.max_new_tokens,
                                 step_seed(spec.seed, step, self.ranks.index))
        lengths = self.ranks.gather(list(gen.lengths))
        rewards, mean_length = self.score(to_samples(self.model.tokenizer, grouped[rows], gen), lengths)
        rewards = self.ranks.gather_rows(rewards)
        return Rollout(step, grouped, gen, rewards, mean_length, rows, lengths, self.engine.batch_size(gen)[1])

    def estimate(self, column: np.ndarray) -> np.ndarray:
        return estimate(self.spec.estimator, column, self.group_size)

    def reward_batch(self, rollout: Rollout, with_gradients: bool = False) -> RewardBatch:
        gen = rollout.generation

        def objective_gradients(advantages: np.ndarray, names: list[str] | None = None, with_kl: bool = False,
                                clip_norm: float = 0.0) -> torch.Tensor:
            values = torch.as_tensor(np.asarray(advantages, dtype=np.float64))[rollout.rows]
            return self.engine.objective_gradients(gen, values, names, with_kl=with_kl, clip_norm=clip_norm)

        return RewardBatch(rewards=rollout.rewards.copy(), group_size=self.group_size, step=rollout.step,
                           estimate=self.estimate, objective_gradients=objective_gradients if with_gradients else None)

    def update(self, rollout: Rollout, advantages: np.ndarray) -> dict[str, float]:
        if self.diagnostic.due(rollout.step):
            self.diagnostic.measure(rollout)
        values = torch.as_tensor(check_advantages(advantages, len(rollout.problems), self.who))
        stats = self.engine.update(rollout.generation, values[rollout.rows])
        check_loss(stats, rollout.step)
        return stats

    def end_step(self, rollout: Rollout, stats: dict[str, float], method_log: dict[str, Any]) -> None:
        """Count the step, log it, and evaluate and checkpoint when due."""
        weights = check_weights(self.method.weights(), len(self.task.objective_names), self.who)
        method_log = check_json(method_log, self.who, "after_step")
        diagnostics = self.diagnostic.pop()
        elapsed = time.perf_counter() - self._step_began - diagnostics.get("diagnostic_seconds", 0.0)
        done = rollout.step + 1
        b = self.budget
        b.step, b.rollouts, b.train_tokens = done, b.rollouts + len(rollout.problems), b.train_tokens + rollout.tokens
        b.seconds += elapsed
        record = step_record(rollout, self.task.objective_names, weights, stats, method_log,
                             b, elapsed, self.group_size, diagnostics)
        if done % self.spec.eval_every == 0 or done == self.total_steps:
            self.evaluate_now()
        # Wall time lives here, never in eval.jsonl, which must be identical across identical runs.
        scoring = {o.name: c for o in self.task.active_objectives if (c := o.counters())}
        if scoring:  # e.g. math-verify checks that timed out and scored 0
            record["scoring"] = scoring
        record["train_seconds"] = round(b.seconds, 3)
        record["eval_seconds"] = round(b.eval_seconds, 3)
        self.run.add_metrics(record)
        self.progress.stepped(record)
        if self.tracking is not None:
            self.tracking.step(record)
        if done % self.spec.checkpoint_every == 0 or done == self.total_steps:
            checkpointing.save(self.run.checkpoint_dir, self.engine, self.ranks, self.run_state())

    def evaluate_now(self) -> None:
        record = self.evaluator.record(self.method, self.total_steps)
        self.run.add_eval(record)
        if self.tracking is not None:
            self.tracking.evaluation(record)

    # -- resume ------------------------------------------------------------------------------------
    def run_state(self) -> dict[str, Any]:
        return {
            "counters": self.budget.state_dict(),
            "running_mean_length": self.running_length.state_dict(),
            "method": self.method.state_dict(),
            "complete": self.budget.step >= self.total_steps,
        }

    def restore(self) -> None:
        """Continue from the last checkpoint; a run interrupted before its first checkpoint starts over."""
        state = checkpointing.restore(self.run.checkpoint_dir, self.engine, self.total_steps,
                                      self.prompts_per_step * self.group_size)
        if state is None:
            self.run.truncate_to(-1)
            return
        try:
            self.budget.load_state_dict(state["counters"])
            self.running_length.load_state_dict(state["running_mean_length"])
            self.method.load_state_dict(state["method"])
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(f"--resume: the run state in {self.run.checkpoint_dir} does not fit method "
                             f"{self.spec.method} ({type(exc).__name__}: {exc})") from None
        self.run.truncate_to(self.budget.step)
        if self.show_progress:
            print(f"morlbench: resuming at step {self.budget.step} of {self.total_steps} (last checkpoint)",
                  file=sys.stderr)
