"""The compute floor of an RL step: the floating-point work the batch needs, divided by the matmul rate this
machine reaches in the same run (docs/performance.md).

Work counted, for a Llama-style model with linear-layer parameters P (every projection of every block) and an
output projection V x D: a forward pass costs 2 P FLOP per token, plus 4 x heads x head_dim FLOP per (query, key)
pair of attention, plus 2 V D per token whose logits are needed; a backward pass twice the forward. A step is the
sampling (each distinct prompt once, then one token at a time over the cache) and the update (a reference
forward, a policy forward and its backward over each distinct prompt once and every completion token). This is
the arithmetic of the batch as the lean engine lays it out; padding, repeated prompts and per-call overhead
are what the engine spends beyond it.

Decoding is also bounded by memory traffic: each decoding step reads every weight once, each distinct prompt's
keys and values once (its rollouts share them) and each live row's own completion keys and values so far
(``decoding_bytes``); over the read rate of a large tensor measured in the same run, that is the memory floor
of sampling. The compute floor does not count it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Shape:
    linear: int  # parameters of the blocks' linear layers
    vocab_projection: int  # V x D
    attention: int  # 4 x heads x head_dim: FLOP per (query, key) pair per layer, summed over layers
    weight_bytes: int = 0  # every parameter, in the model's dtype
    kv_bytes: int = 0  # keys and values of one position, every layer


def model_shape(policy: torch.nn.Module) -> Shape:
    config = policy.config
    linear = sum(m.weight.numel() for name, m in policy.named_modules()
                 if isinstance(m, torch.nn.Linear) and ".layers." in name)
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    size = next(policy.parameters()).element_size()
    kv_heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
    return Shape(linear, config.vocab_size * config.hidden_size,
                 4 * config.num_attention_heads * head_dim * config.num_hidden_layers,
                 weight_bytes=sum(p.numel() * p.element_size() for p in policy.parameters()),
                 kv_bytes=2 * kv_heads * head_dim * config.num_hidden_layers * size)


def forward_flops(shape: Shape, prompt_lengths: list[int], completion_lengths: list[list[int]]) -> float:
    """One forward over distinct prompts and their completions (each completion attends to its prompt)."""
    flops = 0.0
    for prompt, completions in zip(prompt_lengths, completion_lengths):
        flops += 2 * shape.linear * prompt + shape.attention * prompt * (prompt + 1) / 2
        for n in completions:
            flops += (2 * shape.linear + 2 * shape.vocab_projection) * n
            flops += shape.attention * (n * prompt + n * (n + 1) / 2)
    return flops


def batch_lengths(gen, group: int) -> tuple[list[int], list[list[int]]]:
    """What the counts below take from a sampled batch of consecutive groups of ``group`` rollouts: each distinct
    prompt's length, and per prompt its completions' lengths."""
    lengths = gen.completion_mask.sum(dim=1).tolist()
    prompts = range(0, len(lengths), group)
    return ([int(gen.attention_mask[g, : gen.prompt_width].sum()) for g in prompts],
            [lengths[g : g + group] for g in prompts])


def step_flops(shape: Shape, prompt_lengths: list[int], completion_lengths: list[list[int]], lora: bool = False
               ) -> dict[str, float]:
    """Sampling (one forward's worth of work, token by token) and update (reference forward, policy forward and
    backward: four forwards' worth; three under LoRA, whose backward needs the activations' gradients but not the
    frozen weights', and the adapters' own products are under 1% of the model's at rank 16)."""
    one = forward_flops(shape, prompt_lengths, completion_lengths)
    update = (3 if lora else 4) * one
    return {"sampling": one, "update": update, "total": one + update}


def decoding_bytes(shape: Shape, prompt_lengths: list[int], completion_lengths: list[list[int]]) -> float:
    """Bytes the decoding steps must read: the step that predicts completion token s (s >= 1; token 0 comes from
    the prompt pass) runs for the rows with more than s tokens and reads the weights, the prompt's keys and values
    of each group with such a row, and s completion positions per such row."""
    longest = max((n for group in completion_lengths for n in group), default=0)
    total = 0.0
    for s in range(1, longest):
        live = [(prompt, sum(n > s for n in group)) for prompt, group in zip(prompt_lengths, completion_lengths)]
        positions = sum(prompt + rows * s for prompt, rows in live if rows)
        total += shape.weight_bytes + shape.kv_bytes * positions
    return total


def best_seconds(work, repeats: int) -> float:
    """Fastest of ``repeats`` timed calls of ``work``, after one untimed call."""
    work()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def read_rate(megabytes: int = 256, repeats: int = 3) -> float:
    """Bytes per second at which this machine reads a float32 tensor far larger than its caches (best of
    ``repeats`` sums)."""
    x = torch.ones(megabytes * 2**18)
    return x.numel() * 4 / best_seconds(x.sum, repeats)


def matmul_rate(size: int = 1024, repeats: int = 5, dtype: torch.dtype = torch.float32) -> float:
    """FLOP per second of a size x size matrix product in ``dtype`` on this machine, now (best of ``repeats``)."""
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    return 2 * size**3 / best_seconds(lambda: a @ b, repeats)


def layer_matmul_rate(policy: torch.nn.Module, tokens: int = 1024, repeats: int = 5,
                      dtype: torch.dtype | None = None) -> float:
    """FLOP per second of the model's own block projections (every linear layer of the blocks, one after another)
    on ``tokens`` rows of input in ``dtype`` (default: the weights'), in cache: the rate the model's thin shapes
    allow, beside the 1024^3 rate the floor assumes (docs/performance.md)."""
    weights = [m.weight.detach().to(dtype or m.weight.dtype) for name, m in policy.named_modules()
               if isinstance(m, torch.nn.Linear) and ".layers." in name]
    inputs = {w.shape[1]: torch.randn(tokens, w.shape[1], dtype=w.dtype) for w in weights}

    def project() -> None:
        for w in weights:
            torch.nn.functional.linear(inputs[w.shape[1]], w)

    return 2 * tokens * sum(w.numel() for w in weights) / best_seconds(project, repeats)
