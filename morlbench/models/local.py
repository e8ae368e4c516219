"""``--model PATH``: any causal LM saved with ``save_pretrained`` in a local directory."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from morlbench.errors import UsageError
from morlbench.models.base import LoadedModel, ModelSource, count_parameters, quiet_transformers

if TYPE_CHECKING:
    import torch


def directory_digest(directory: Path) -> str:
    """Digest of the weight files, so results from different weights never compare."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.safetensors")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class LocalDirectory(ModelSource):
    name = "local"
    description = "a causal LM and tokenizer in a local directory"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not (self.path / "config.json").is_file():  # refused before anything is written or loaded
            raise UsageError(f"--model {path}: the directory holds no model saved with save_pretrained (no "
                             "config.json); accepted: a registered model (`morlbench list models`), a local "
                             "directory with config.json, tokenizer and weights, or a hub id org/name")

    def load(self, device: torch.device, dtype: torch.dtype) -> LoadedModel:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        quiet_transformers()
        try:
            tokenizer = AutoTokenizer.from_pretrained(self.path)
            policy = AutoModelForCausalLM.from_pretrained(self.path, dtype=dtype).to(device)
        except (OSError, ValueError, KeyError) as exc:
            raise UsageError(f"--model {self.path}: transformers cannot load it ({type(exc).__name__}: "
                             f"{str(exc).strip().splitlines()[0][:160]})") from None
        info = {"source": str(self.path.resolve()), "parameters": count_parameters(policy),
                "checkpoint_sha256": directory_digest(self.path)}
        return LoadedModel(policy=policy, tokenizer=tokenizer, name=self.path.name, info=info)
