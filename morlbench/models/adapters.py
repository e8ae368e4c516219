"""LoRA adapters kept apart from their base model and merged into it in an order the code fixes, so that every machine
that merges the same adapters into the same base gets the same weights, bit for bit.

Training a warm start rounds differently on every CPU (other kernels sum in other orders), so its weights differ
between machine classes, and with them the checkpoint digest that keys every result. The adapters of one build
are therefore stored (bfloat16, safetensors) and merged here in float64, one rank-1 product at a time in a fixed
order with no fused operations: each product of two bfloat16 values is exact, every addition is one IEEE rounding
in an order the code fixes, and the single rounding to float32 at the end is the same everywhere.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

LORA_A, LORA_B = "lora_A", "lora_B"


def adapter_state(policy: torch.nn.Module) -> tuple[dict[str, torch.Tensor], float]:
    """Every LoRA-wrapped layer's adapters, rounded to bfloat16 as they are stored, keyed ``<layer>.lora_A`` (rank x
    in) and ``<layer>.lora_B`` (out x rank), and their common scaling (alpha / rank)."""
    import torch
    from peft.tuners.lora import LoraLayer

    adapters, scalings = {}, set()
    for name, module in policy.named_modules():
        if isinstance(module, LoraLayer):
            adapter = module.active_adapters[0]
            adapters[f"{name}.{LORA_A}"] = module.lora_A[adapter].weight.detach().to(torch.bfloat16).contiguous()
            adapters[f"{name}.{LORA_B}"] = module.lora_B[adapter].weight.detach().to(torch.bfloat16).contiguous()
            scalings.add(float(module.scaling[adapter]))
    if len(scalings) != 1:
        raise ValueError(f"expected LoRA adapters of one scaling, found {sorted(scalings)}")
    return adapters, scalings.pop()


def merge_in_fixed_order(weight: torch.Tensor, a: torch.Tensor, b: torch.Tensor, scaling: float) -> torch.Tensor:
    """``weight + scaling * b @ a`` in float32, computed the same way on every machine (module docstring)."""
    import numpy as np
    import torch

    a64, b64 = a.to(torch.float64).numpy(), b.to(torch.float64).numpy()
    delta = np.zeros((b64.shape[0], a64.shape[1]), dtype=np.float64)
    for k in range(a64.shape[0]):  # one rank-1 product at a time: no library decides the summation order
        delta += np.multiply.outer(b64[:, k], a64[k])
    merged = weight.detach().to(torch.float64).numpy() + scaling * delta
    return torch.from_numpy(merged.astype(np.float32))


def merged_state(base: dict[str, torch.Tensor], adapters: dict[str, torch.Tensor], scaling: float
                 ) -> dict[str, torch.Tensor]:
    """``base`` (a plain model's state dict) with every adapted layer's weight merged (merge_in_fixed_order)."""
    layers = sorted(key[: -len(LORA_A) - 1] for key in adapters if key.endswith("." + LORA_A))
    missing = [layer for layer in layers if f"{layer}.weight" not in base]
    if missing:
        raise ValueError(f"the adapters name layers the base model lacks: {', '.join(missing[:3])}")
    merged = dict(base)
    for layer in layers:
        merged[f"{layer}.weight"] = merge_in_fixed_order(base[f"{layer}.weight"], adapters[f"{layer}.{LORA_A}"],
                                                  adapters[f"{layer}.{LORA_B}"], scaling)
    return merged


def merge_into(policy: torch.nn.Module, adapters: dict[str, torch.Tensor], scaling: float) -> None:
    """Load into ``policy`` (a plain model) its own weights with ``adapters`` merged (merged_state)."""
    policy.load_state_dict(merged_state(policy.state_dict(), adapters, scaling))


def save_adapters(path: Path, adapters: dict[str, torch.Tensor], scaling: float) -> None:
    from safetensors.torch import save_file

    save_file(adapters, str(path), metadata={"scaling": repr(scaling)})


def load_adapters(path: Path) -> tuple[dict[str, torch.Tensor], float]:
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), framework="pt") as handle:
        scaling = float(handle.metadata()["scaling"])
    return load_file(str(path)), scaling
