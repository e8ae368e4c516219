"""``--dtype bfloat16-autocast-merged``: training rollouts sampled from bfloat16 copies of the policy's projections,
made once per sampling call, with every LoRA adapter folded into its copy.

Under bfloat16 autocast a decoding step casts each projection's float32 weights (and LoRA's two adapters) to
bfloat16 at every call, and a LoRA projection runs three products instead of one. Copies made once per call
remove both (the activations are still cast); while sampling they are held beside the originals. A plain
projection's copy has the bits autocast's cast would give it, so its products are unchanged; a LoRA projection's
copy rounds W + BA·s once, where the update computes W x + (x A) B s, so the rollouts are drawn from weights that
differ from the scored ones by bfloat16 rounding (the policy ratio stays exact: the update computes old and new
log-probabilities alike). Its effect is measured in docs/performance.md.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


def _frozen_linear(weight: torch.Tensor, bias: torch.Tensor | None) -> torch.nn.Linear:
    layer = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None, device="meta")
    layer.weight = torch.nn.Parameter(weight, requires_grad=False)
    if bias is not None:
        layer.bias = torch.nn.Parameter(bias.detach().to(weight.dtype), requires_grad=False)
    return layer


def _lora_copy(module: torch.nn.Module, dtype: torch.dtype) -> torch.nn.Linear | None:
    """The LoRA projection's weight with its active adapters folded in, rounded once to ``dtype``; None where the
    layer is not a plain linear one with plain adapters (it then samples as it is)."""
    base = module.get_base_layer()
    adapters = [a for a in module.active_adapters if a in module.lora_A]
    variants = getattr(module, "lora_variant", {})  # DoRA and peft's other variants compute otherwise
    if (type(base) is not torch.nn.Linear or module.merged or module.disable_adapters
            or any(a in variants or module.use_dora.get(a, False) or getattr(module, "lora_bias", {}).get(a, False)
                   for a in adapters)):
        return None
    weight = base.weight.detach().float()
    for adapter in adapters:
        weight = weight + module.get_delta_weight(adapter).float()
    return _frozen_linear(weight.to(dtype), base.bias)


def _copies(policy: torch.nn.Module, dtype: torch.dtype) -> list[tuple[str, torch.nn.Module]]:
    from peft.tuners.lora import LoraLayer

    wrapped = [m for m in policy.modules() if isinstance(m, LoraLayer)]
    inside = {id(part) for m in wrapped for part in m.modules() if part is not m}  # adapters and base layers
    copies = []
    for name, module in policy.named_modules():
        if id(module) in inside:
            continue
        if isinstance(module, LoraLayer):
            copy = _lora_copy(module, dtype)
        elif type(module) is torch.nn.Linear:
            copy = _frozen_linear(module.weight.detach().to(dtype), module.bias)
        else:
            continue
        if copy is not None:
            copies.append((name, copy))
    return copies


@contextmanager
def sampling_copies(policy: torch.nn.Module, dtype: torch.dtype) -> Iterator[None]:
    """Within the context, every linear projection of ``policy`` (LoRA-wrapped or not) is replaced by a frozen
    ``dtype`` copy; the original modules are back in place afterwards, untouched. Only under ``dtype`` autocast,
    which casts the activations to meet the copies."""
    device = next(policy.parameters()).device.type
    if not torch.is_autocast_enabled(device) or torch.get_autocast_dtype(device) != dtype:
        raise RuntimeError(f"sampling_copies in {dtype} needs {dtype} autocast on {device}")
    with torch.no_grad(), torch.autocast(device, enabled=False):
        copies = _copies(policy, dtype)  # the folds in float32, outside autocast
    originals = []
    try:
        for name, copy in copies:
            parent_name, _, child = name.rpartition(".")
            parent = policy.get_submodule(parent_name) if parent_name else policy
            originals.append((parent, child, getattr(parent, child)))
            setattr(parent, child, copy)
        yield
    finally:
        for parent, child, original in reversed(originals):
            setattr(parent, child, original)
