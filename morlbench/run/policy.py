"""What trains: the method's own adapters, LoRA from --lora-rank, or every weight."""
from __future__ import annotations

import sys
from typing import Any

from morlbench.errors import UsageError
from morlbench.models.base import LoadedModel
from morlbench.run.resolve import Resolved


def prepare_policy(r: Resolved, model: LoadedModel) -> list[dict[str, Any]] | None:
    """Adapters before training or serving; returns optimizer parameter groups, or None to train every weight.
    Under autocast, the weights that stay frozen are then stored in its dtype."""
    if r.spec.lora_rank:
        from morlbench.models.lora import apply_lora

        groups = [{"params": apply_lora(model.policy, r.spec.lora_rank)}]
    else:
        groups = r.method.prepare_policy(model.policy, r.task.objective_names)
    if model.autocast is not None:
        from morlbench.engine.precision import store_frozen_products

        store_frozen_products(model.policy, model.autocast)
    return groups


def check_model_fits(r: Resolved, model: LoadedModel) -> None:
    """Refuses settings the loaded model cannot hold, before the run directory is written."""
    config = model.policy.config
    hidden = getattr(config, "hidden_size", None)
    if r.spec.lora_rank and hidden and r.spec.lora_rank > hidden:
        raise UsageError(f"--lora-rank {r.spec.lora_rank}: larger than the model's hidden size {hidden}; "
                         f"choose 1 to {hidden}")
    positions = getattr(config, "max_position_embeddings", None)
    if not positions:
        return
    if r.max_new_tokens > positions:
        raise UsageError(f"--max-new-tokens {r.max_new_tokens}: more than the model's {positions} positions; use at "
                         f"most {positions}")
    splits = {"train", r.selection_split, r.report_split}
    longest = max(len(model.encode_prompt(p.prompt)) for name in splits for p in r.task.split(name))
    if longest + r.max_new_tokens <= positions:
        return
    beyond = (f"the longest prompt ({longest} tokens) plus the generation limit exceed the model's {positions} "
              "positions")
    if getattr(config, "rope_theta", None) is None and "rope" not in str(getattr(config, "rope_scaling", "")):
        # learned absolute positions have no embedding beyond the last one: the run would fail mid-way
        raise UsageError(f"--max-new-tokens {r.max_new_tokens}: {beyond}; use at most {max(positions - longest, 0)} "
                         "or shorter prompts")
    print(f"morlbench: warning: {beyond}; rotary positions extrapolate beyond the model's training length",
          file=sys.stderr)
