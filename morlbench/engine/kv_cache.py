"""The lean decoder's key/value caches and its one-query attention over them.

``KVCache`` holds every row's keys and values, prompt included. ``SharedPromptCache`` holds each distinct prompt's
once and only the completion's per row: the G rollouts of a prompt then read its keys and values once per
decoding step, not G times, and the prompt part of attention runs as one matrix product per key/value head and
prompt over the rows that continue it (docs/performance.md). Query heads that share a key/value head
(grouped-query attention) are one product together, so keys and values are never repeated per query head.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


def one_query_scores(q: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """(rows, heads, length) dot products of one query per row and head (rows, heads, 1, dim) with the keys of its
    key/value head (rows, kv heads, length, dim), as one batched product."""
    rows, heads, _, dim = q.shape
    kv, length = keys.shape[1], keys.shape[2]
    return torch.bmm(q.reshape(rows * kv, heads // kv, dim), keys.reshape(rows * kv, length, dim).transpose(1, 2)
                     ).view(rows, heads, length)


def one_query_mix(weights: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """(rows, heads, dim): the values (rows, kv heads, length, dim) weighted by ``weights`` (rows, heads, length)."""
    rows, heads, length = weights.shape
    kv = values.shape[1]
    return torch.bmm(weights.reshape(rows * kv, heads // kv, length), values.reshape(rows * kv, length, -1)
                     ).view(rows, heads, -1)


def attention_weights(scores: torch.Tensor, scale: float, bias: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return torch.softmax((scores * scale + bias).float(), dim=-1).to(dtype)


def empty_buffers(rows: int, layers: int, like: torch.Tensor, capacity: int
                  ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Per layer, uninitialised key and value buffers of ``capacity`` positions for ``rows``, with ``like``'s
    (prompts, kv heads, width, head dim) otherwise: decoding reads only positions already written, so zeroing
    would be wasted."""
    shape = (rows, like.shape[1], capacity, like.shape[3])
    buffers = [like.new_empty(shape) for _ in range(2 * layers)]
    return buffers[:layers], buffers[layers:]


@dataclass
class KVCache:
    """Keys and values of every layer, preallocated for the whole generation; ``length`` positions are filled."""

    keys: list[torch.Tensor]  # (rows, kv heads, capacity, head dim) per layer
    values: list[torch.Tensor]
    length: int

    @staticmethod
    def allocate(rows: int, layers: int, like: torch.Tensor, capacity: int) -> KVCache:
        return KVCache(*empty_buffers(rows, layers, like, capacity), 0)

    def select(self, rows: torch.Tensor) -> None:
        self.keys = [k[rows] for k in self.keys]
        self.values = [v[rows] for v in self.values]

    def filled(self) -> list[torch.Tensor]:
        """Every layer's keys, then values, of the filled positions."""
        return [t[:, :, : self.length] for t in self.keys + self.values]

    def write(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> None:
        """The new position's keys and values (rows, kv heads, head dim); ``length`` moves on after every layer."""
        self.keys[layer][:, :, self.length] = k
        self.values[layer][:, :, self.length] = v

    def attend(self, layer: int, q: torch.Tensor, bias: torch.Tensor, scale: float) -> torch.Tensor:
        """One query per row (rows, heads, 1, dim) over the filled positions and the new one; ``bias`` (rows, 1,
        length + 1) is 0 or -inf. Batched products: about twice as fast as scaled_dot_product_attention on CPU."""
        end = self.length + 1
        keys, values = self.keys[layer][:, :, :end], self.values[layer][:, :, :end]
        return one_query_mix(attention_weights(one_query_scores(q, keys), scale, bias, q.dtype), values)


@dataclass
class SharedPromptCache:
    """Each distinct prompt's keys and values once, each row's completion keys and values, and where each row sits
    in a (prompt, slot) grid: row r continues prompt ``group[r]`` as its ``slot[r]``-th surviving rollout."""

    prompt_keys: list[torch.Tensor]  # (prompts, kv heads, head dim, width) per layer: transposed for the product
    prompt_values: list[torch.Tensor]  # (prompts, kv heads, width, head dim)
    keys: list[torch.Tensor]  # (rows, kv heads, capacity - width, head dim) per layer
    values: list[torch.Tensor]
    group: torch.Tensor  # (rows,)
    width: int  # prompt positions
    length: int
    heads: int  # query heads

    def __post_init__(self) -> None:
        self._place()

    def _place(self) -> None:
        """Slots and the zeroed grids the prompt part of attention runs on (unused slots stay zero)."""
        prompts, kv, width, dim = self.prompt_values[0].shape
        counts = torch.bincount(self.group, minlength=prompts)
        order = torch.argsort(self.group, stable=True)
        first_of_group = (counts.cumsum(0) - counts)[self.group[order]]
        self.slot = torch.empty_like(self.group)
        self.slot[order] = torch.arange(len(order), device=order.device) - first_of_group
        slots = int(counts.max())
        grid = (prompts, kv, slots, self.heads // kv)
        like = self.prompt_values[0]
        self._queries, self._weights = like.new_zeros((*grid, dim)), like.new_zeros((*grid, width))
        # each row's (prompt, kv head, slot) cells in the grid flattened over its first three dimensions
        kv_heads = torch.arange(kv, device=self.group.device)
        self._cells = ((self.group[:, None] * kv + kv_heads) * slots + self.slot[:, None]).reshape(-1)

    def select(self, rows: torch.Tensor) -> None:
        """Keep ``rows``; prompts none of them continues leave the grid, so their keys are read no more."""
        self.keys = [k[rows] for k in self.keys]
        self.values = [v[rows] for v in self.values]
        prompts, self.group = torch.unique(self.group[rows], return_inverse=True)
        self.prompt_keys = [k[prompts] for k in self.prompt_keys]
        self.prompt_values = [v[prompts] for v in self.prompt_values]
        self._place()

    def filled(self) -> list[torch.Tensor]:
        """The prompts' keys and values, then every layer's keys, then values, of the rows' filled positions."""
        own = [t[:, :, : self.length - self.width] for t in self.keys + self.values]
        return [*self.prompt_keys, *self.prompt_values, *own]

    def write(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> None:
        self.keys[layer][:, :, self.length - self.width] = k
        self.values[layer][:, :, self.length - self.width] = v

    def _grid_product(self, grid: torch.Tensor, rows_part: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        """Place each row's (heads, n) part in its grid slot, multiply every prompt's slots by that prompt's
        (kv heads, n, m) matrices ``other``, and read each row's (heads, m) result back."""
        rows = len(rows_part)
        prompts, kv, slots, per_kv, n = grid.shape
        grid.view(-1, per_kv * n).index_copy_(0, self._cells, rows_part.reshape(rows * kv, per_kv * n))
        product = torch.bmm(grid.view(prompts * kv, slots * per_kv, n), other.view(prompts * kv, n, -1))
        m = product.shape[-1]
        return torch.index_select(product.view(-1, per_kv * m), 0, self._cells).view(rows, kv * per_kv, m)

    def attend(self, layer: int, q: torch.Tensor, bias: torch.Tensor, scale: float) -> torch.Tensor:
        """As ``KVCache.attend``: the prompt's scores and values from the shared grid, the completion's per row."""
        end = self.length + 1 - self.width
        own_keys, own_values = self.keys[layer][:, :, :end], self.values[layer][:, :, :end]
        prompt_scores = self._grid_product(self._queries, q[:, :, 0], self.prompt_keys[layer])
        scores = torch.cat([prompt_scores, one_query_scores(q, own_keys)], dim=2)
        weights = attention_weights(scores, scale, bias, q.dtype)
        prompt_part = self._grid_product(self._weights, weights[:, :, : self.width], self.prompt_values[layer])
        return prompt_part + one_query_mix(weights[:, :, self.width :], own_values)
