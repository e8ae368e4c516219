"""TRL's GRPOConfig and morlbench's RunSpec, each from the other: ``--backend trl`` builds the GRPOConfig of a run
spec; ``MorlbenchCallback`` records the run spec of a user's GRPOConfig, and refuses, in one line, a configuration
under which the method's weights would not be the ones TRL applies each step."""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from morlbench.errors import UsageError
from morlbench.spec import RunSpec

if TYPE_CHECKING:
    from morlbench.run.loop import Loop

# Run settings the GRPOConfig decides; a callback given one of them would record what TRL does not run.
FROM_GRPO_CONFIG = ("steps", "prompts_per_step", "group_size", "max_new_tokens", "seed", "engine", "estimator",
                    "backend", "lora_rank", "threads")


def grpo_config(loop: Loop, output_dir: str):
    """The GRPOConfig of ``--backend trl``: the run spec's budget, batch and engine settings."""
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
        # bfloat16 autocast, where chosen, is the run's own context around TRL (its weight cache off); accelerate's
        # would cache cast weights across optimizer steps
        use_cpu=loop.engine.device.type == "cpu", bf16=loop.model.policy.dtype == torch.bfloat16,
        max_steps=spec.steps, seed=spec.seed, report_to=[], save_strategy="no", logging_steps=1,
        disable_tqdm=True, dataloader_num_workers=0)  # morlbench's own bar shows TRL's steps


def check_grpo_args(args: Any) -> None:
    """One line for a GRPOConfig under which morlbench cannot record each step as the step TRL takes."""
    gen_steps, accumulation = args.steps_per_generation, args.gradient_accumulation_steps
    refusals = {
        args.max_steps is None or args.max_steps < 1: f"max_steps={args.max_steps}: the budget is counted in "
                                                      "steps; set max_steps",
        args.logging_steps != 1: f"logging_steps={args.logging_steps}: every step is recorded from TRL's log of it; "
                                 "set logging_steps=1",
        args.num_iterations != 1: f"num_iterations={args.num_iterations}: each step must sample its own batch with "
                                  "the weights set before it; set num_iterations=1",
        gen_steps != accumulation: f"steps_per_generation={gen_steps} with gradient_accumulation_steps="
                                   f"{accumulation}: each optimizer step must take one generation batch",
        args.scale_rewards != "group": f"scale_rewards={args.scale_rewards!r}: morlbench records the group "
                                       "normalisation (grpo); set scale_rewards='group'",
        args.world_size != 1: f"{args.world_size} processes: the callback runs in one process",
    }
    for refused, reason in refusals.items():
        if refused:
            raise UsageError(f"MorlbenchCallback: GRPOConfig {reason}")


def spec_from_grpo_args(args: Any, settings: dict[str, Any]) -> RunSpec:
    """The run spec of a user's GRPOConfig: the budget, batch, generation limit, seed and optimiser settings are
    TRL's; ``settings`` (task, method, model, eval_every, weights, method_options, ...) are morlbench's."""
    import torch

    check_grpo_args(args)
    decided = sorted(set(settings) & set(FROM_GRPO_CONFIG))
    if decided:
        raise UsageError(f"MorlbenchCallback: {', '.join(decided)} come from the GRPOConfig; set them there")
    unknown = sorted(set(settings) - {f.name for f in dataclasses.fields(RunSpec)})
    if unknown:
        raise UsageError(f"MorlbenchCallback: unknown setting {unknown[0]!r}; accepted: the fields of "
                         "morlbench.spec.RunSpec (`morlbench run --help`)")
    loss = {"dapo": "token-mean", "grpo": "sequence-mean"}.get(args.loss_type, "token-mean")
    engine = {"lr": args.learning_rate, "kl_coef": args.beta, "clip_eps": args.epsilon, "temperature":
              args.temperature, "grad_clip": args.max_grad_norm, "weight_decay": args.weight_decay,
              "beta1": args.adam_beta1, "beta2": args.adam_beta2, "loss_aggregation": loss,
              "gradient_checkpointing": bool(args.gradient_checkpointing)}
    dtype = "bfloat16" if args.bf16 else "float16" if args.fp16 else "float32"
    fields = {"steps": args.max_steps, "prompts_per_step": args.generation_batch_size // args.num_generations,
              "group_size": args.num_generations, "max_new_tokens": args.max_completion_length, "seed": args.seed,
              "engine": engine, "backend": "trl", "threads": torch.get_num_threads(), "dtype": dtype,
              "device": "cpu" if args.use_cpu else "auto", "checkpoint_every": args.max_steps, **settings}
    try:
        spec = RunSpec.from_dict(fields)
        spec.check()
    except UsageError as exc:
        raise UsageError(f"MorlbenchCallback: {exc}") from None
    return spec


def grpo_record(args: Any) -> dict[str, Any]:
    """The GRPOConfig as config.json records it (``trl``): what TRL ran, beside the run spec it maps to."""
    import json

    return json.loads(args.to_json_string())
