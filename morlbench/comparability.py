"""When two results may be compared: the comparability key (spec section 5) and how it is described."""
from __future__ import annotations

from typing import Any

from morlbench.spec import RunSpec


def comparability_key(spec: RunSpec, task_version: str, objectives: tuple[str, ...], model_id: str, eval_split: str,
                      eval_size: int, max_new_tokens: int) -> dict[str, Any]:
    """Two results are comparable only if all of these are equal (spec section 5)."""
    return {
        "task_version": task_version,
        "objectives": list(objectives),
        "model": model_id,
        "steps": spec.steps,
        "batch": f"{spec.prompts_per_step}x{spec.group_size}",
        "eval_split": f"{eval_split}:{eval_size}",
        "decoding": "greedy",
        "max_new_tokens": max_new_tokens,
    }


def describe_comparability(key: dict[str, Any]) -> str:
    """One line naming a comparability key's parts, as the leaderboard and the comparison report print it."""
    return (f"task `{key['task_version']}`, objectives {', '.join(key['objectives'])}; model `{key['model']}`; "
            f"{key['steps']} steps of {key['batch']}; eval `{key['eval_split']}`, {key['decoding']}, "
            f"L = {key['max_new_tokens']}")
