"""The model surface: a registry entry returns a policy and its tokenizer, ready for the engine.

Model modules import torch and transformers only inside ``load``, so that listing models needs neither.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


@dataclass
class LoadedModel:
    policy: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    name: str
    info: dict[str, Any]  # recorded in config.json: parameters, source, checkpoint digest
    autocast: torch.dtype | None = None  # matrix products in this dtype (CPU bfloat16 autocast), weights as loaded
    merged_sampling: bool = False  # training rollouts from merged autocast-dtype copies (engine.sampling_weights)

    def computing(self) -> AbstractContextManager:
        """The context every forward and backward pass of this model runs in (autocast, or nothing). It may span
        optimizer steps: autocast's cache of cast weights is off, since it would keep serving the weights of
        before a step (frozen weights are stored in the autocast dtype instead: ``store_frozen_products``)."""
        if self.autocast is None:
            return nullcontext()
        import torch

        return torch.autocast(device_type=next(self.policy.parameters()).device.type, dtype=self.autocast,
                              cache_enabled=False)

    @property
    def eos_token_id(self) -> int:
        return int(self.tokenizer.eos_token_id)

    @property
    def pad_token_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return int(pad if pad is not None else self.tokenizer.eos_token_id)

    def encode_prompt(self, prompt: str) -> list[int]:
        """Token ids of a prompt; a chat model gets it as one user message in its chat template."""
        if getattr(self.tokenizer, "chat_template", None):
            prompt = self.tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                                        add_generation_prompt=True)
        return list(self.tokenizer(prompt, add_special_tokens=False)["input_ids"])


class ModelSource(ABC):
    """A registry entry for ``--model``: knows how to load one policy."""

    name: ClassVar[str]
    description: ClassVar[str]
    # bfloat16 autocast on CPUs with native bfloat16 arithmetic under --dtype auto (morlbench.engine.precision)
    cpu_autocast: ClassVar[bool] = False
    # settings a run of this model takes unless given (recorded in its spec), e.g. {"lora_rank": 16}
    run_defaults: ClassVar[dict[str, Any]] = {}

    @abstractmethod
    def load(self, device: torch.device, dtype: torch.dtype) -> LoadedModel: ...


def count_parameters(model: Any) -> int:
    return sum(p.numel() for p in model.parameters())


def quiet_transformers() -> None:
    """morlbench draws its own progress; the per-file loading bars of transformers are noise here."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
