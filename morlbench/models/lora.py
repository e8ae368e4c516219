"""``--lora-rank R``: train LoRA adapters (peft) on every linear layer instead of the whole model."""
from __future__ import annotations

import torch


def apply_lora(policy: torch.nn.Module, rank: int, alpha: float | None = None) -> list[torch.nn.Parameter]:
    """Inject LoRA adapters in place (the policy object stays the same) and return the only trainable parameters."""
    from peft import LoraConfig, inject_adapter_in_model

    config = LoraConfig(r=rank, lora_alpha=alpha or 2 * rank, target_modules="all-linear", lora_dropout=0.0,
                        bias="none")
    inject_adapter_in_model(config, policy)
    trainable = []
    for name, param in policy.named_parameters():
        param.requires_grad_("lora_" in name)
        if param.requires_grad:
            trainable.append(param)
    return trainable


def unwrap_lora(policy: torch.nn.Module, fold: bool = False) -> None:
    """Put every LoRA-wrapped layer's base layer back in its place, its adapter folded in by peft (``fold``) or
    dropped: a plain model again, to be saved and loaded without peft."""
    from peft.tuners.lora import LoraLayer

    wrapped = [(name, module) for name, module in policy.named_modules() if isinstance(module, LoraLayer)]
    for name, module in wrapped:
        if fold:
            module.merge()
        parent_name, _, child = name.rpartition(".")
        setattr(policy.get_submodule(parent_name) if parent_name else policy, child, module.get_base_layer())
    for param in policy.parameters():
        param.requires_grad_(True)
