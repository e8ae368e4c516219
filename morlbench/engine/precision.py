"""The arithmetic a run computes in: its weights' dtype, and on CPU optionally bfloat16 autocast.

``--dtype auto`` is float32 weights on CPU and bfloat16 on CUDA. A model source may ask for bfloat16 autocast on
CPU (``ModelSource.cpu_autocast``: SmolLM2 does, tiny-arith does not, so the reference results stay bitwise
reproducible on any CPU); it is taken only where the CPU multiplies bfloat16 natively (AMX tiles or AVX512-BF16),
where bfloat16 products run 2-8x faster than float32 (docs/performance.md); elsewhere the run stays in float32.
Under autocast the weights, gradients and optimizer stay float32; matrix products run in bfloat16
(``bfloat16-autocast-merged`` also samples training rollouts from bfloat16 copies of the projections with LoRA
folded in: ``morlbench.engine.sampling_weights``). The chosen
precision is recorded (config.json ``resolved.dtype``) and, when it is not plain float32 weights, in the
comparability key: runs computed at another precision are another experiment.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

    from morlbench.models.base import LoadedModel, ModelSource

AUTOCAST = "bfloat16-autocast"
MERGED = "bfloat16-autocast-merged"  # morlbench.engine.sampling_weights


def bfloat16_units() -> str | None:
    """The CPU's native bfloat16 arithmetic, as torch sees it: "amx" (matrix tiles), "avx512_bf16" (dot-product
    instructions) or None."""
    import torch

    probes = (("amx", "_is_amx_tile_supported"), ("avx512_bf16", "_is_avx512_bf16_supported"))
    for name, probe in probes:
        check = getattr(torch.cpu, probe, None)
        if check is not None and check():
            return name
    return None


@dataclass(frozen=True)
class Precision:
    """Weights' dtype, the dtype matrix products autocast to (None: no autocast), and whether training rollouts
    are sampled from merged copies of the projections (only under autocast)."""

    weights: torch.dtype
    autocast: torch.dtype | None = None
    merged_sampling: bool = False

    @property
    def name(self) -> str:
        """As config.json records it: float32, bfloat16, float16, bfloat16-autocast or bfloat16-autocast-merged."""
        if self.autocast is not None:
            return MERGED if self.merged_sampling else AUTOCAST
        return str(self.weights).removeprefix("torch.")


def store_frozen_products(module: torch.nn.Module, dtype: torch.dtype) -> int:
    """Frozen linear weights (LoRA's base model, the KL reference) stored in the autocast dtype: autocast would
    cast them anew at every call, which on a decoding step reads every weight twice. A weight shared with another
    module (an output projection tied to the embeddings) stays as it is. Returns the weights converted."""
    import torch

    linear = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    others = {p.data_ptr() for m in module.modules() if not isinstance(m, torch.nn.Linear)
              for p in m.parameters(recurse=False)}
    converted = 0
    for m in linear:
        for name, p in list(m.named_parameters(recurse=False)):
            if p.requires_grad or p.dtype == dtype or p.data_ptr() in others:
                continue
            setattr(m, name, torch.nn.Parameter(p.detach().to(dtype), requires_grad=False))
            converted += 1
    return converted


def load_at(source: ModelSource, device: str, precision: Precision) -> LoadedModel:
    """``source``'s model on ``device`` in ``precision``'s weights, its autocast dtype recorded on it."""
    import dataclasses

    import torch

    model = source.load(torch.device(device), precision.weights)
    return dataclasses.replace(model, autocast=precision.autocast, merged_sampling=precision.merged_sampling)


def pick_precision(name: str, device: str, cpu_autocast: bool = False) -> Precision:
    """``--dtype NAME`` on ``device`` for a model that does (``cpu_autocast``) or does not prefer bfloat16
    autocast on CPU."""
    import torch

    if name in (AUTOCAST, MERGED):
        return Precision(torch.float32, torch.bfloat16, merged_sampling=name == MERGED)
    if name != "auto":
        return Precision(getattr(torch, name))
    if device == "cuda":
        return Precision(torch.bfloat16)
    if cpu_autocast and bfloat16_units() is not None:
        return Precision(torch.float32, torch.bfloat16)
    return Precision(torch.float32)
