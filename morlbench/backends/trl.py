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
before anything is written.
"""
from __future__ import annotations

import tempfile
from typing import TYPE_CHECKING, Any

import numpy as np

from morlbench.backends.base import Backend
from morlbench.errors import UsageError
from morlbench.methods.base import Rollout, StepInfo
from morlbench.tasks.problems import Sample

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
        }
        for refused, reason in refusals.items():
            if refused:
                raise UsageError(f"--backend trl: {reason}; {USE_ENGINE}")

    def train(self, loop: Loop) -> None:
        train_with_trl(loop)


class StepRewards:
    """The K task rewards of TRL's current batch, computed once for the K reward functions TRL calls."""

    def __init__(self, loop: Loop) -> None:
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
        loop, eos = self.loop, self.loop.model.eos_token_id
        self.key = id(completion_ids)
        self.problems = [loop.train_problems[i] for i in problem_index]
        self.lengths = [len(ids) - int(bool(ids) and ids[-1] == eos) for ids in completion_ids]  # EOS excluded
        self.tokens = sum(len(ids) for ids in completion_ids)  # EOS included, as the engine counts
        samples = [Sample(p, text, n) for p, text, n in zip(self.problems, completions, self.lengths)]
        self.rewards, self.mean_length = loop.score(samples, self.lengths)


def reward_functions(batch: StepRewards, names: tuple[str, ...]) -> list[Any]:
    def function(k: int):
        def reward(prompts, completions, completion_ids, problem_index, **_):
            return batch.column(k, completions, completion_ids, problem_index)

        reward.__name__ = names[k]  # TRL logs rewards under the function's name
        return reward

    return [function(k) for k in range(len(names))]


def prompt_text(loop: Loop, prompt: str) -> str | list[dict[str, str]]:
    """What TRL tokenises: the chat form for chat models (TRL applies the template), else the plain prompt."""
    if getattr(loop.model.tokenizer, "chat_template", None):
        return [{"role": "user", "content": prompt}]
    return prompt


def grpo_config(loop: Loop, output_dir: str):
    import torch
    from trl import GRPOConfig

    spec, s = loop.spec, loop.spec.engine
    batch = spec.prompts_per_step * spec.group_size
    return GRPOConfig(
        output_dir=output_dir, per_device_train_batch_size=batch, generation_batch_size=batch,
        num_generations=spec.group_size, max_completion_length=loop.max_new_tokens, temperature=s.temperature,
        top_p=1.0, top_k=0, learning_rate=s.lr, lr_scheduler_type="constant", beta=s.kl_coef,
        epsilon=s.clip_eps if s.clip_eps > 0 else 1e9,  # morlbench's 0 turns clipping off
        loss_type="dapo" if s.loss_aggregation == "token-mean" else "grpo", scale_rewards="group",
        multi_objective_aggregation="normalize_then_sum" if loop.method.capabilities().decoupled_normalisation
        else "sum_then_normalize", num_iterations=s.ppo_epochs,
        max_grad_norm=s.grad_clip or 1e9, **({"gradient_checkpointing": True} if s.gradient_checkpointing else {}),
        use_cpu=loop.engine.device.type == "cpu", bf16=loop.model.policy.dtype == torch.bfloat16,
        max_steps=spec.steps, seed=spec.seed, report_to=[], save_strategy="no", logging_steps=1,
        disable_tqdm=True, dataloader_num_workers=0)  # morlbench's own bar shows TRL's steps


def train_with_trl(loop: Loop) -> None:
    """Train ``loop``'s policy for the run's budget with TRL's GRPOTrainer."""
    import torch
    from datasets import Dataset
    from transformers import TrainerCallback
    from transformers.trainer_callback import PrinterCallback
    from trl import GRPOTrainer

    batch = StepRewards(loop)
    names = loop.task.objective_names
    dataset = Dataset.from_dict({"prompt": [prompt_text(loop, p.prompt) for p in loop.train_problems],
                                 "problem_index": list(range(len(loop.train_problems)))})
    constant = torch.optim.lr_scheduler.LambdaLR(loop.engine.optimizer, lambda _: 1.0)

    class Steps(TrainerCallback):
        """Weights in before each step; after it, the method's hook and morlbench's step record."""

        def on_step_begin(self, args, state, control, **kwargs):
            loop.begin_step()
            trainer.reward_weights = torch.as_tensor(loop.method.reward_weights(), dtype=torch.float32)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not logs or "loss" not in logs:
                return
            step = state.global_step - 1
            rollout = Rollout(step, batch.problems, None, batch.rewards, batch.mean_length, slice(None),
                              batch.lengths, batch.tokens)
            stats = trl_stats(logs, loop.spec.engine.kl_coef)
            log = loop.method.after_step(StepInfo(step + 1, batch.rewards.mean(axis=0), stats))
            loop.end_step(rollout, stats, log)

    with tempfile.TemporaryDirectory(prefix="morlbench-trl-") as scratch:
        trainer = GRPOTrainer(model=loop.model.policy, reward_funcs=reward_functions(batch, names),
                              args=grpo_config(loop, scratch), train_dataset=dataset,
                              processing_class=loop.model.tokenizer, callbacks=[Steps()],
                              optimizers=(loop.engine.optimizer, constant))
        trainer.remove_callback(PrinterCallback)  # its raw log dicts: every number is in morlbench's step records
        if trainer.ref_model is not None:  # TRL reloads it from the model's path: make it the run's initial policy
            trainer.ref_model.load_state_dict(loop.engine.reference.state_dict())
        trainer.train()


def trl_stats(logs: dict[str, float], kl_coef: float) -> dict[str, float]:
    """The engine's per-step statistics from TRL's log record of that step."""
    kl = float(logs.get("kl", 0.0))
    return {"loss": float(logs["loss"]), "policy_loss": float(logs["loss"]) - kl_coef * kl, "kl": kl,
            "grad_norm": float(logs.get("grad_norm", float("nan"))),
            "clip_fraction": float(logs.get("clip_ratio/region_mean", 0.0)),
            "trl_reward": float(logs.get("reward", float("nan")))}
