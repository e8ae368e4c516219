"""The one factory of tiny runs the tests share, and helpers around it."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from morlbench.run.execute import execute
from morlbench.run.loop import Loop
from morlbench.spec import RunSpec

# Small enough for seconds on one CPU thread, large enough for every record a run writes: 4 steps of 2 prompts x 4
# rollouts, an evaluation and a checkpoint every 2 steps, 12 selection, 16 report and 4 validation problems, L = 48.
TINY = dict(steps=4, prompts_per_step=2, group_size=4, eval_every=2, checkpoint_every=2, eval_batch_size=16,
            task_options={"select_size": 12, "report_size": 16, "val_size": 4}, max_new_tokens=48)


def random_llama(tokenizer, heads: int, kv_heads: int, seed: int):
    """A 2-layer, 32-wide random Llama over ``tokenizer``: ``heads`` query heads on ``kv_heads`` key/value heads."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=heads, num_key_value_heads=kv_heads, max_position_embeddings=256,
                         tie_word_embeddings=True, pad_token_id=tokenizer.pad_token_id,
                         eos_token_id=tokenizer.eos_token_id)
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)


# Arithmetic prompts of different lengths, for sampling tests on the embedded model.
ARITH_PROMPTS = ["Ana has 12 coins. Then she buys 7 more. Then she gives away 5. How many coins does Ana have now?",
    "Ben has 40 pens. How many pens does Ben have now?",
    "Cy has 9 cards. Then he finds 3 more. How many cards does Cy have now?",
    "Dee has 30 nuts. Then she eats 8. Then she gets 11 more. Then she loses 2. How many nuts now?",
    "Eli has 6 hats. Then he buys 6 more. How many hats does Eli have now?"]


def tiny_spec(**overrides) -> RunSpec:
    """A tiny RunSpec on the embedded task; ``overrides`` replace fields (task_options are merged)."""
    fields = {**TINY, **overrides}
    if "task_options" in overrides and overrides.get("task", "arith").startswith("arith"):
        fields["task_options"] = {**TINY["task_options"], **overrides["task_options"]}
    return RunSpec(**fields)


def read(path) -> str:
    return path.read_text()


def interrupt_then_resume(spec: RunSpec, out, monkeypatch, crash_step: int = 3) -> None:
    """Run until ``crash_step`` raises (after a checkpoint and a lost step), then continue with --resume."""
    original = Loop.rollout

    def crash(self, step):
        if step == crash_step:
            raise KeyboardInterrupt
        return original(self, step)

    monkeypatch.setattr(Loop, "rollout", crash)
    with pytest.raises(KeyboardInterrupt):
        execute(spec, out, progress=False)
    monkeypatch.setattr(Loop, "rollout", original)
    execute(spec, out, resume=True, progress=False)


def run_cli(site, *args: str) -> subprocess.CompletedProcess:
    """``python -m morlbench ARGS`` with the packages installed in ``site`` importable (a plugin under test)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "morlbench", *map(str, args)], capture_output=True, text=True,
                          env=env)
