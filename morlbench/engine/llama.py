"""Lean forward passes for Llama-family models: the arithmetic of ``LlamaForCausalLM``, without transformers'
per-call machinery (mask builders, cache objects, output dataclasses), which dominates a small model's decoding
step on CPU; and a prompt computed once for all the completions that share it.

The passes call the model's own modules (projections, norms, rotary embedding, MLP), so weights, LoRA wrappers
and dtypes are the model's; attention is ``scaled_dot_product_attention`` with boolean masks. They are used only
where they are exact: a plain Llama-type model without per-row state and without gradient checkpointing
(``LeanLlama.supports``); everything else takes transformers' forward. Tested against it (tests/unit/test_lean.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

from morlbench.engine.kv_cache import KVCache, SharedPromptCache, empty_buffers

SUPPORTED_TYPES = ("llama",)
PREFILL_POSITIONS = 1024  # prompt positions per pass through the layers when prefilling on CPU


def first_rows(inverse: torch.Tensor, count: int) -> torch.Tensor:
    """The first row of each of ``count`` distinct values, from ``torch.unique``'s ``inverse``: a minimum, so the
    same on every device (a scatter with repeated indices has no fixed order on CUDA)."""
    rows = torch.arange(len(inverse), device=inverse.device)
    return torch.full((count,), len(inverse), dtype=torch.long, device=inverse.device).scatter_reduce_(
        0, inverse, rows, reduce="amin")


@dataclass
class PromptStates:
    """One forward pass over the distinct prompts: per layer their keys and values, the final normed hidden state
    of their last position (it predicts the first completion token), their key mask and lengths."""

    keys: list[torch.Tensor]  # (prompts, kv heads, width, head dim)
    values: list[torch.Tensor]
    last: torch.Tensor  # (prompts, hidden)
    mask: torch.Tensor  # (prompts, width) bool, left padding False
    lengths: torch.Tensor  # (prompts,)

    def tensors(self) -> list[torch.Tensor]:
        return [*self.keys, *self.values, self.last]

    def detached(self) -> PromptStates:
        """Leaves that require grad: the completion passes backpropagate into them, and their gradients are then
        pushed through the prompt pass once (``Engine`` does it)."""
        leaf = [t.detach().requires_grad_(t.requires_grad) for t in self.tensors()]
        n = len(self.keys)
        return PromptStates(leaf[:n], leaf[n : 2 * n], leaf[-1], self.mask, self.lengths)


class LeanLlama:
    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model
        self.inner = model.model
        config = model.config
        self.heads = config.num_attention_heads
        self.kv_heads = config.num_key_value_heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // self.heads
        self.scale = self.head_dim**-0.5

    @staticmethod
    def supports(model: torch.nn.Module) -> bool:
        config = getattr(model, "config", None)
        checkpointing = getattr(model, "is_activation_checkpointing", None)
        return (getattr(config, "model_type", None) in SUPPORTED_TYPES and not checkpointing
                and not any(hasattr(m, "select_rows") for m in model.modules())
                and getattr(config, "rope_parameters", {}).get("rope_type", "default") == "default")

    # -- the blocks ------------------------------------------------------------------------------------
    def _heads(self, x: torch.Tensor, count: int) -> torch.Tensor:
        rows, width, _ = x.shape
        return x.view(rows, width, count, self.head_dim).transpose(1, 2)

    def _layer(self, layer: torch.nn.Module, h: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
               past: tuple[torch.Tensor, torch.Tensor] | None, mask: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One decoder layer over ``h`` (rows, width, hidden); ``past`` keys and values are prepended. Returns
        the new hidden states and this layer's keys and values of the new positions."""
        attn = layer.self_attn
        x = layer.input_layernorm(h)
        q, k = self._heads(attn.q_proj(x), self.heads), self._heads(attn.k_proj(x), self.kv_heads)
        v = self._heads(attn.v_proj(x), self.kv_heads)
        q, k = self._rotated(q, k, v, cos, sin)
        keys, values = (k, v) if past is None else (torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2))
        out = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask, scale=self.scale,
                                             enable_gqa=self.heads != self.kv_heads)  # no repeated keys and values
        h = h + attn.o_proj(out.transpose(1, 2).reshape(h.shape[0], h.shape[1], -1))
        h = h + layer.mlp(layer.post_attention_layernorm(h))
        return h, k, v

    @staticmethod
    def _rotated(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        """Rotary positions; under autocast the float32 angles would promote bfloat16 queries and keys, so they
        return to the values' dtype (a no-op in float32)."""
        q, k = apply_rotary_pos_emb(q, k, cos, sin)
        return q.to(v.dtype), k.to(v.dtype)

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Next-token logits from final normed hidden states."""
        return self.model.lm_head(hidden)

    @staticmethod
    def causal(width: int, key_mask: torch.Tensor) -> torch.Tensor:
        """(rows, 1, width, width) mask: causal over valid keys; a padding query attends to itself (no empty row)."""
        causal = torch.ones(width, width, dtype=torch.bool, device=key_mask.device).tril()
        mask = causal & key_mask[:, None, None, :].bool()
        return mask | torch.eye(width, dtype=torch.bool, device=key_mask.device)

    def _stack(self, ids: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor,
               past: list[tuple[torch.Tensor, torch.Tensor]] | None = None
               ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        h = self.inner.embed_tokens(ids)
        cos, sin = self.inner.rotary_emb(h, positions)
        keys, values = [], []
        for i, layer in enumerate(self.inner.layers):
            h, k, v = self._layer(layer, h, cos, sin, None if past is None else past[i], mask)
            keys.append(k)
            values.append(v)
        return self.inner.norm(h), keys, values

    # -- decoding --------------------------------------------------------------------------------------
    def _passes(self, ids: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor
                ) -> list[tuple[int, torch.Tensor, list[torch.Tensor], list[torch.Tensor]]]:
        """Prompts through the layers about PREFILL_POSITIONS positions at a time on CPU, where one pass's
        intermediates outgrow the caches (docs/performance.md); per pass its first prompt's index, the final
        normed hidden state of the last position, and per layer the keys and values."""
        step = max(1, PREFILL_POSITIONS // ids.shape[1]) if ids.device.type == "cpu" else len(ids)
        passes = []
        for start in range(0, len(ids), step):
            part = slice(start, start + step)
            h, keys, values = self._stack(ids[part], positions[part], mask[part])
            passes.append((start, h[:, -1], keys, values))
        return passes

    def prefill(self, ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor, capacity: int
                ) -> tuple[torch.Tensor, KVCache | SharedPromptCache]:
        """Last-position logits of left-padded prompts, and a cache of ``capacity`` positions holding them. Each
        distinct prompt is computed once. Where rows repeat prompts (two rows per prompt or more: a prompt's G
        rollouts), they share its keys and values (``SharedPromptCache``); else every row has its own
        (``KVCache``). Passes of a few prompts give the same bits as one pass on CPU (tests/unit/test_lean.py)."""
        unique, row_of = torch.unique(ids, dim=0, return_inverse=True)
        first = first_rows(row_of, len(unique))
        width = ids.shape[1]
        passes = self._passes(unique, positions[first], self.causal(width, mask[first]))
        logits = self.logits(torch.cat([last for _, last, _, _ in passes]))[row_of]
        if len(ids) >= 2 * len(unique):  # rows share prompts (a group's rollouts)
            return logits, self._shared_cache(passes, row_of, capacity - width)
        first_keys = passes[0][2]  # per layer: shape and dtype of the cache's buffers
        cache = KVCache.allocate(len(ids), len(first_keys), first_keys[0], capacity)
        for start, last, keys, values in passes:
            rows = ((row_of >= start) & (row_of < start + len(last))).nonzero().squeeze(1)
            for buffer, states in zip(cache.keys + cache.values, keys + values):
                buffer[rows, :, :width] = states[row_of[rows] - start]
        cache.length = width
        return logits, cache

    def _shared_cache(self, passes: list, row_of: torch.Tensor, completion_capacity: int) -> SharedPromptCache:
        layers = range(len(passes[0][2]))
        keys = [torch.cat([p[2][i] for p in passes]).transpose(2, 3).contiguous() for i in layers]
        values = [torch.cat([p[3][i] for p in passes]) for i in layers]
        own_keys, own_values = empty_buffers(len(row_of), len(keys), values[0], completion_capacity)
        width = values[0].shape[2]
        return SharedPromptCache(keys, values, own_keys, own_values, row_of, width, width, self.heads)

    def decode(self, token: torch.Tensor, positions: torch.Tensor, key_mask: torch.Tensor,
               cache: KVCache | SharedPromptCache) -> torch.Tensor:
        """Logits after one new token per row; ``key_mask`` (rows, length + 1) covers the cache and the token."""
        h = self.inner.embed_tokens(token.unsqueeze(1))
        cos, sin = self.inner.rotary_emb(h, positions)
        end = cache.length + 1
        bias = torch.zeros(key_mask.shape[0], 1, end, dtype=h.dtype, device=h.device)
        bias.masked_fill_(~key_mask[:, None, :end].bool(), float("-inf"))
        for i, layer in enumerate(self.inner.layers):
            attn = layer.self_attn
            x = layer.input_layernorm(h)
            q, k = self._heads(attn.q_proj(x), self.heads), self._heads(attn.k_proj(x), self.kv_heads)
            v = self._heads(attn.v_proj(x), self.kv_heads)
            q, k = self._rotated(q, k, v, cos, sin)
            cache.write(i, k[:, :, 0], v[:, :, 0])
            out = cache.attend(i, q, bias, self.scale)
            h = h + attn.o_proj(out.reshape(h.shape[0], 1, -1))
            h = h + layer.mlp(layer.post_attention_layernorm(h))
        cache.length = end
        return self.logits(self.inner.norm(h)[:, -1])

    # -- training passes: each prompt once, its completions attend to it -------------------------------
    def prompts(self, ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor) -> PromptStates:
        h, keys, values = self._stack(ids, positions, self.causal(ids.shape[1], mask))
        return PromptStates(keys, values, h[:, -1], mask.bool(), mask.sum(dim=1))

    def completion_logits(self, prompts: PromptStates, group: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """Logits predicting every completion token: (rows, inputs + 1, vocab). Row r continues prompt ``group[r]``;
        ``inputs`` are its completion tokens but the last (right-padded: padding only feeds padding)."""
        first = self.logits(prompts.last[group]).unsqueeze(1)
        if inputs.shape[1] == 0:
            return first
        width = inputs.shape[1]
        positions = prompts.lengths[group].unsqueeze(1) + torch.arange(width, device=inputs.device)
        own = torch.ones(width, width, dtype=torch.bool, device=inputs.device).tril()
        mask = torch.cat([prompts.mask[group][:, None, None, :].expand(-1, 1, width, -1),
                          own.expand(len(group), 1, width, width)], dim=3)
        past = [(k[group], v[group]) for k, v in zip(prompts.keys, prompts.values)]
        h, _, _ = self._stack(inputs, positions, mask, past)
        return torch.cat([first, self.logits(h)], dim=1)
