"""Batched generation with a KV cache: left-padded prompts, per-row EOS, explicit position ids."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from transformers import Cache, DynamicCache, PreTrainedModel
from transformers.cache_utils import DynamicLayer

from morlbench.engine.llama import LeanLlama


@dataclass
class Generation:
    """Prompts and completions of one batch, laid out for a single training forward pass.

    ``sequences`` is (N, W + C): prompts left-padded to width W, completions right-padded to C.
    ``completion_mask`` (N, C) marks generated tokens the loss sees (EOS included, padding after it not).
    """

    sequences: torch.Tensor
    attention_mask: torch.Tensor
    prompt_width: int
    completion_mask: torch.Tensor
    lengths: list[int]  # generated tokens per row, EOS excluded
    truncated: list[bool]  # True where the row hit max_new_tokens without EOS

    @property
    def completion_ids(self) -> torch.Tensor:
        return self.sequences[:, self.prompt_width :]

    @property
    def position_ids(self) -> torch.Tensor:
        return positions_from_mask(self.attention_mask)

    @property
    def generated_tokens(self) -> int:
        return int(self.completion_mask.sum())

    def rows(self, part: slice) -> Generation:
        """The rows of a micro-batch (same padded widths)."""
        return Generation(self.sequences[part], self.attention_mask[part], self.prompt_width,
                          self.completion_mask[part], self.lengths[part], self.truncated[part])


def positions_from_mask(mask: torch.Tensor) -> torch.Tensor:
    return (mask.long().cumsum(dim=1) - 1).clamp(min=0)


def left_pad(prompts: list[list[int]], pad_id: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long, device=device)
    mask = torch.zeros((len(prompts), width), dtype=torch.long, device=device)
    for row, prompt in enumerate(prompts):
        ids[row, width - len(prompt) :] = torch.tensor(prompt, dtype=torch.long, device=device)
        mask[row, width - len(prompt) :] = 1
    return ids, mask


@torch.no_grad()
def generate(
    model: PreTrainedModel,
    prompts: list[list[int]],
    *,
    max_new_tokens: int,
    eos_id: int,
    pad_id: int,
    temperature: float = 1.0,
    greedy: bool = False,
    generator: torch.Generator | None = None,
) -> Generation:
    """Sample (or greedily decode) one completion per prompt; stops early once every row has ended.

    The key/value cache is preallocated (no per-token concatenation) and rows that ended are dropped from the
    decoding batch; modules of ``model`` with per-row state (one preference per row, say) follow the batch
    through a ``select_rows(original_row_indices | None)`` method. Each step draws one uniform number per
    original row, so a row's tokens depend on the seed and its own logits only, not on which other rows are
    still decoding.
    """
    followers = [m for m in model.modules() if hasattr(m, "select_rows")]
    try:
        return _generate(model, prompts, followers, max_new_tokens=max_new_tokens, eos_id=eos_id, pad_id=pad_id,
                         temperature=temperature, greedy=greedy, generator=generator)
    finally:
        for module in followers:
            module.select_rows(None)


def _generate(model: PreTrainedModel, prompts: list[list[int]], followers: list, *, max_new_tokens: int,
              eos_id: int, pad_id: int, temperature: float, greedy: bool,
              generator: torch.Generator | None) -> Generation:
    device = next(model.parameters()).device
    ids, prompt_mask = left_pad(prompts, pad_id, device)
    n, width = ids.shape
    forward = LeanLlama(model) if LeanLlama.supports(model) else TransformersForward(model)
    logits, cache = forward.prefill(ids, prompt_mask, positions_from_mask(prompt_mask), width + max_new_tokens)
    logits = logits.float()
    completion = torch.full((n, max_new_tokens), pad_id, dtype=torch.long, device=device)
    attended = torch.zeros((n, max_new_tokens), dtype=torch.bool, device=device)
    batch = _DecodingBatch(rows=torch.arange(n, device=device), mask=prompt_mask,
                           next_position=prompt_mask.sum(dim=1, keepdim=True),
                           ended=torch.zeros(n, dtype=torch.bool, device=device))
    for step in range(max_new_tokens):
        uniform = None if greedy else torch.rand(n, generator=generator, device=device)
        token = _pick(logits, temperature, None if greedy else uniform[batch.rows])
        alive = ~batch.ended
        token = torch.where(alive, token, torch.full_like(token, pad_id))
        completion[batch.rows, step] = token
        attended[batch.rows, step] = alive
        batch.ended = batch.ended | (token == eos_id)
        if bool(batch.ended.all()) or step + 1 == max_new_tokens:
            break
        # EOS is attended, padding after it is not; ended rows leave once they are a quarter of the batch
        batch.mask = torch.cat([batch.mask, alive.long().unsqueeze(1)], dim=1)
        if int(batch.ended.sum()) * 4 >= len(batch.rows):
            token = batch.drop_ended(cache, token)
            for module in followers:
                module.select_rows(batch.rows)
        logits = forward.decode(token, batch.next_position, batch.mask, cache).float()
        batch.next_position = batch.next_position + 1
    used = int(attended.any(dim=0).nonzero().max()) + 1 if attended.any() else 1
    completion, completion_mask = completion[:, :used], attended[:, :used].long()
    sequences = torch.cat([ids, completion], dim=1)
    attention = torch.cat([prompt_mask, completion_mask], dim=1)
    ended = (completion == eos_id) & completion_mask.bool()
    lengths = [int(row.sum()) - int(e.any()) for row, e in zip(completion_mask, ended)]
    truncated = [not bool(e.any()) for e in ended]
    return Generation(sequences, attention, width, completion_mask, lengths, truncated)


@dataclass
class _DecodingBatch:
    """The rows still decoding: their original indices, attention mask so far, next positions, ended flags."""

    rows: torch.Tensor
    mask: torch.Tensor
    next_position: torch.Tensor
    ended: torch.Tensor

    def drop_ended(self, cache: Any, token: torch.Tensor) -> torch.Tensor:
        keep = (~self.ended).nonzero().squeeze(1)
        cache.select(keep)
        self.rows, self.mask, self.next_position = self.rows[keep], self.mask[keep], self.next_position[keep]
        self.ended = self.ended[keep]
        return token[keep]


class PreallocatedLayer(DynamicLayer):
    """A key/value cache layer allocated once for the whole generation; attention sees a view of the filled part.

    transformers' DynamicLayer concatenates at every token (quadratic copying, which dominated sampling of long
    completions on CPU); its StaticLayer avoids that but makes every step attend over the full capacity.
    """

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity, self.length = capacity, 0

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        self.dtype, self.device = key_states.dtype, key_states.device
        rows, heads = key_states.shape[:2]
        self._keys = key_states.new_zeros((rows, heads, self.capacity, key_states.shape[-1]))
        self._values = value_states.new_zeros((rows, heads, self.capacity, value_states.shape[-1]))
        self.is_initialized = True

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        end = self.length + key_states.shape[-2]
        self._keys[:, :, self.length : end] = key_states
        self._values[:, :, self.length : end] = value_states
        self.length = end
        self.keys, self.values = self._keys[:, :, :end], self._values[:, :, :end]
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.length

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        if self.is_initialized:
            self._keys, self._values = self._keys[indices], self._values[indices]
            self.keys, self.values = self._keys[:, :, : self.length], self._values[:, :, : self.length]


class TransformersForward:
    """Prefill and decoding steps through the model's own forward (any architecture)."""

    def __init__(self, model: PreTrainedModel) -> None:
        self.model = model

    def prefill(self, ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor, capacity: int
                ) -> tuple[torch.Tensor, Cache]:
        cache = preallocated_cache(self.model, capacity)
        cache.select = cache.batch_select_indices
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions, cache=cache, use_cache=True,
                         logits_to_keep=1)
        return out.logits[:, -1, :], cache

    def decode(self, token: torch.Tensor, positions: torch.Tensor, key_mask: torch.Tensor, cache: Cache
               ) -> torch.Tensor:
        out = self.model(input_ids=token.unsqueeze(1), attention_mask=key_mask, position_ids=positions, cache=cache,
                         use_cache=True)
        return out.logits[:, -1, :]


def preallocated_cache(model: PreTrainedModel, capacity: int) -> Cache:
    """One preallocated layer per decoder layer; models with sliding-window or other layer kinds keep
    transformers' own dynamic cache."""
    config = model.config.get_text_config(decoder=True)
    kinds = set(getattr(config, "layer_types", None) or ["full_attention"])
    if kinds != {"full_attention"}:
        return DynamicCache(config=config)
    return Cache(layers=[PreallocatedLayer(capacity) for _ in range(config.num_hidden_layers)])


def _pick(logits: torch.Tensor, temperature: float, uniform: torch.Tensor | None) -> torch.Tensor:
    """Greedy argmax, or inverse-CDF sampling from softmax(logits / temperature) with one uniform per row."""
    if uniform is None:
        return logits.argmax(dim=-1)
    cdf = torch.softmax(logits / temperature, dim=-1).cumsum(dim=-1)
    token = torch.searchsorted(cdf, (uniform * cdf[:, -1]).unsqueeze(1), right=True).squeeze(1)
    return token.clamp(max=logits.shape[-1] - 1)
