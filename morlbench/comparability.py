"""When two results may be compared: the comparability key (spec section 5) and how it is described."""
from __future__ import annotations

from typing import Any

from morlbench.spec import RunSpec

# Bump when the evaluation protocol changes (what a front is and how it is valued).
PROTOCOL_VERSION = 3  # 3: delivered points at the preference set W, trajectories on one schedule
# Bump when the engine computes something else for the same command (another loss, sampler, update or data);
# not when only floating-point rounding moves (sums taken in another order), as it moves on another CPU too
# (docs/leaderboard.md). 2 is the lean Llama passes.
ENGINE_VERSION = 2


def comparability_key(spec: RunSpec, task_version: str, objectives: tuple[str, ...], model_id: str,
                      splits: dict[str, str], max_new_tokens: int, preferences: str, precision: str = "float32"
                      ) -> dict[str, Any]:
    """Two results are comparable only if all of these are equal (spec section 5). ``splits``: role ->
    "name:size" for the selection and report splits; ``preferences``: the preference set W, as
    ``morlbench.preferences.format_preferences`` writes it. Protocol 3 adds W and the evaluation schedule: the
    delivered board values every entry at W, the trajectory board at one common schedule. ``precision``
    (morlbench.engine.precision) is part of the key where it is not float32: a run in bfloat16 is another
    experiment; float32 runs keep the key they always had (CUDA runs, bfloat16 by default, now carry it)."""
    key = {
        "protocol": PROTOCOL_VERSION,
        "engine": f"{spec.backend}-{ENGINE_VERSION}" if spec.backend == "morlbench" else spec.backend,
        "task_version": task_version,
        "objectives": list(objectives),
        "model": model_id,
        "steps": spec.steps,
        "batch": f"{spec.prompts_per_step}x{spec.group_size}",
        "selection_split": splits["selection"],
        "report_split": splits["report"],
        "decoding": "greedy",
        "max_new_tokens": max_new_tokens,
        "eval_every": spec.eval_every,
        "preferences": preferences,
    }
    if precision != "float32":
        key["precision"] = precision
    return key


def group_name(key: dict[str, Any]) -> str:
    """A readable name for a comparability group: task, model, budget."""
    model = str(key["model"]).split("@")[0]
    name = f"{key['task_version']} · {model} · {key['steps']} steps of {key['batch']}" + (
        f" · {key['precision']}" if "precision" in key else "")
    return name if key.get("protocol") == PROTOCOL_VERSION else f"{name} · protocol {key.get('protocol')} (historical)"


def describe_comparability(key: dict[str, Any]) -> str:
    """One line naming a comparability key's parts, as the leaderboard and the comparison report print it."""
    splits = (f"trajectory on `{key['selection_split']}`, delivered points valued on `{key['report_split']}`"
              if key.get("protocol") == PROTOCOL_VERSION else
              f"front chosen on `{key['selection_split']}`, valued on `{key['report_split']}`")
    return (f"task `{key['task_version']}`, objectives {', '.join(key['objectives'])}; model `{key['model']}`; "
            f"{key['steps']} steps of {key['batch']}; {splits}; {key['decoding']}, L = {key['max_new_tokens']}; "
            f"protocol {key['protocol']}, engine `{key['engine']}`" + schedule_text(key)
            + (f"; precision {key['precision']}" if "precision" in key else ""))


def schedule_text(key: dict[str, Any]) -> str:
    """Protocol 3's evaluation schedule and preference set, as the group description names them."""
    return f"; evaluated every {key['eval_every']} steps; W = {key['preferences']}" if "preferences" in key else ""
