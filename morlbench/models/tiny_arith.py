"""Embedded model ``tiny-arith``: a 1.1M-parameter Llama-style decoder trained from scratch.

The checkpoint ships in the package (``checkpoints/tiny-arith``); ``morlbench pretrain`` rebuilds it with
the deterministic supervised recipe of ``morlbench.models.pretraining`` (spec section 6 measured what works on
a 2-core CPU).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from morlbench.models.base import LoadedModel, ModelSource, count_parameters, quiet_transformers
from morlbench.models.local import directory_digest

if TYPE_CHECKING:
    import torch

CHECKPOINT_DIR = Path(__file__).parent / "checkpoints" / "tiny-arith"
SIGNOFF_DIR = Path(__file__).parent / "checkpoints" / "tiny-arith-signoff"
# Appended to a share of pretraining solutions, independently of their style, by the sign-off variant: the
# closing phrase of the arith-independent task, which the starting policy then writes at about that rate.
SIGNOFF = "\nDone."
PAD, EOS = "<pad>", "<eos>"


@dataclass
class PretrainRecipe:
    seed: int = 0
    steps: int = 3000
    batch_size: int = 32
    lr: float = 2e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 100
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    bucket_batches: int = 8  # a pool of this many batches is sorted by length, then cut into batches
    style_mix: tuple[float, float, float] = (0.5, 0.25, 0.25)  # numbered, inline, direct
    vocab_size: int = 512
    hidden_size: int = 128
    layers: int = 4
    heads: int = 4
    mlp_size: int = 512
    max_positions: int = 256
    threads: int = 2  # pretraining only; 1.75x faster than 1 thread on this 2-core machine
    signoff_rate: float = 0.0  # share of solutions ending with SIGNOFF (drawn from its own seeded stream)


def load_checkpoint(directory: Path, device: torch.device, dtype: torch.dtype, name: str) -> LoadedModel:
    from transformers import LlamaForCausalLM, PreTrainedTokenizerFast

    if not (directory / "model.safetensors").exists():
        raise FileNotFoundError(f"no tiny-arith checkpoint in {directory}; run `morlbench pretrain` to build it")
    quiet_transformers()
    tokenizer = PreTrainedTokenizerFast.from_pretrained(directory)
    policy = LlamaForCausalLM.from_pretrained(directory, dtype=dtype).to(device)
    info = {
        "source": str(directory),
        "parameters": count_parameters(policy),
        "checkpoint_sha256": directory_digest(directory),
    }
    return LoadedModel(policy=policy, tokenizer=tokenizer, name=name, info=info)


class TinyArith(ModelSource):
    name = "tiny-arith"
    description = "embedded 1.1M-parameter Llama-style decoder pretrained on the arith task (ships with morlbench)"

    def load(self, device: torch.device, dtype: torch.dtype) -> LoadedModel:
        return load_checkpoint(CHECKPOINT_DIR, device, dtype, self.name)


class TinyArithSignoff(ModelSource):
    name = "tiny-arith-signoff"
    description = ("tiny-arith's recipe with 30% of solutions ending in a sign-off line, independently of their "
                   "style (the starting policy of arith-independent)")

    def load(self, device: torch.device, dtype: torch.dtype) -> LoadedModel:
        return load_checkpoint(SIGNOFF_DIR, device, dtype, self.name)
