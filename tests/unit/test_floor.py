"""The arithmetic of benchmarks/floor.py, against hand counts: the benchmark's floor is only as true as these."""
import importlib.util
import sys
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location("benchmarks_floor", Path(__file__).parents[2] / "benchmarks" / "floor.py")
floor = importlib.util.module_from_spec(SPEC)
sys.modules[SPEC.name] = floor  # its dataclasses look their module up
SPEC.loader.exec_module(floor)


def test_batch_lengths_are_each_prompts_length_and_its_completions_lengths():
    import torch

    class Batch:  # two prompts (2 and 3 tokens, left-padded to 3) with two rollouts each
        prompt_width = 3
        attention_mask = torch.tensor([[0, 1, 1, 1, 0], [0, 1, 1, 1, 1], [1, 1, 1, 1, 0], [1, 1, 1, 0, 0]])
        completion_mask = torch.tensor([[1, 0], [1, 1], [1, 0], [0, 0]])

    assert floor.batch_lengths(Batch(), 2) == ([2, 3], [[1, 2], [1, 0]])


def test_forward_flops_counts_each_prompt_once_and_every_completion_token():
    shape = floor.Shape(linear=10, vocab_projection=3, attention=2)
    # prompt of 2: 2*10*2 + 2*(2*3/2) = 46; completion of 1: (20 + 6)*1 + 2*(1*2 + 1) = 32
    assert floor.forward_flops(shape, [2], [[1]]) == 46 + 32
    assert floor.step_flops(shape, [2], [[1]]) == {"sampling": 78, "update": 312, "total": 390}


@pytest.mark.parametrize(("prompts", "completions", "expected"), [
    ([3], [[1, 3]], (100 + 10 * 4) + (100 + 10 * 5)),  # s=1: prompt 3 + 1 row x 1; s=2: 3 + 1 x 2
    ([3], [[3, 3]], (100 + 10 * (3 + 2)) + (100 + 10 * (3 + 4))),  # two live rows read their prompt once
    ([3, 2], [[1, 3], [2]], (100 + 10 * (4 + 3)) + (100 + 10 * 5)),  # the second group has ended by s=2
    ([4], [[1, 1]], 0),  # every row ends with its first token, which the prompt pass predicts
])
def test_decoding_bytes_reads_weights_shared_prompts_and_live_rows(prompts, completions, expected):
    shape = floor.Shape(linear=0, vocab_projection=0, attention=0, weight_bytes=100, kv_bytes=10)
    assert floor.decoding_bytes(shape, prompts, completions) == expected


def test_layer_matmul_rate_counts_every_block_projection_once_per_token(tiny_random_model, monkeypatch):
    """2 FLOP per weight of the blocks' linear layers per token, not the output projection's: timed at 1 s."""
    monkeypatch.setattr(floor, "best_seconds", lambda work, repeats: (work(), 1.0)[1])
    policy = tiny_random_model.policy
    config = policy.config
    per_layer = 4 * config.hidden_size**2 + 3 * config.hidden_size * config.intermediate_size  # q k v o, gate up down
    assert config.num_key_value_heads == config.num_attention_heads
    assert floor.layer_matmul_rate(policy, tokens=8) == 2 * 8 * per_layer * config.num_hidden_layers
