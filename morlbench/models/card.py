"""The measured card of a tiny-arith checkpoint: starting objectives greedy and by sampled style."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from morlbench.engine.sampling import generate
from morlbench.models.tiny_arith import load_checkpoint
from morlbench.run.evaluation import evaluate, to_samples
from morlbench.tasks.arith import ArithTask
from morlbench.tasks.objectives import integer_equal, is_clear, last_boxed


def style_of(text: str) -> str:
    stripped = text.lstrip()
    if stripped.startswith("Step"):
        return "numbered"
    if stripped.startswith("\\boxed"):
        return "direct"
    return "inline"


def measure(directory: Path, seed: int = 0) -> dict[str, Any]:
    """Greedy objectives, overall and by difficulty, on the first protocol's eval split (the report split's first
    128 problems), and at temperature 1 the share, accuracy, clarity and length of each solution style."""
    task = ArithTask()
    model = load_checkpoint(directory, torch.device("cpu"), torch.float32, "tiny-arith")
    problems = task.split("report")[:128]
    greedy = evaluate(model, task, problems, task.max_new_tokens, batch_size=128)
    prompts = [model.encode_prompt(p.prompt) for p in problems for _ in range(4)]
    repeated = [p for p in problems for _ in range(4)]
    gen = generate(model.policy, prompts, max_new_tokens=task.max_new_tokens, eos_id=model.eos_token_id,
                   pad_id=model.pad_token_id, generator=torch.Generator().manual_seed(seed))
    samples = to_samples(model.tokenizer, repeated, gen)
    styles: dict[str, dict[str, float]] = {}
    for style in ("numbered", "inline", "direct"):
        chosen = [s for s in samples if style_of(s.text) == style]
        if not chosen:
            continue
        styles[style] = {
            "share": round(len(chosen) / len(samples), 3),
            "accuracy": round(float(np.mean([integer_equal(last_boxed(s.text), s.problem.answer) for s in chosen])), 3),
            "clarity": round(float(np.mean([is_clear(s.text) for s in chosen])), 3),
            "mean_tokens": round(float(np.mean([s.num_tokens for s in chosen])), 1),
        }
    return {
        "task_version": task.version,
        "eval": {
            "objectives": [round(float(v), 3) for v in greedy.objectives],
            "by_difficulty": {d: [round(v, 3) for v in vec] for d, vec in greedy.by_difficulty.items()},
            "greedy_styles": {s: sum(style_of(x.text) == s for x in greedy.samples)
                              for s in ("numbered", "inline", "direct")},
        },
        "sampled_temperature_1": styles,
        "checkpoint_sha256": model.info["checkpoint_sha256"],
    }


def write_card(directory: Path, build_record: dict[str, Any]) -> dict[str, Any]:
    card = {**build_record, **measure(directory)}
    (directory / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    return card
