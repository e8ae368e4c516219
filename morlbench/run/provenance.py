"""config.json: every setting with its default, what it resolved to, and where and with what the run was made."""
from __future__ import annotations

import dataclasses
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from morlbench.comparability import comparability_key
from morlbench.engine.engine import micro_batch_tokens
from morlbench.models.base import LoadedModel
from morlbench.run.resolve import Resolved, pick_dtype
from morlbench.spec import SCHEMA_VERSION

PACKAGES = ("morlbench", "torch", "transformers", "tokenizers", "moocore", "pymoo", "scipy", "numpy", "safetensors")


def package_versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def build_config(r: Resolved, model: LoadedModel, processes: int = 1) -> dict[str, Any]:
    task_info = r.task.describe()
    eval_size = len(r.task.split(r.eval_split))
    model_id = f"{model.name}@{model.info.get('checkpoint_sha256', 'unknown')}"
    return {
        "schema_version": SCHEMA_VERSION,
        "spec": r.spec.to_dict(),
        "resolved": {
            "weights": r.weights,
            "max_new_tokens": r.max_new_tokens,
            "device": r.device,
            "dtype": str(pick_dtype(r.spec.dtype, r.device)).removeprefix("torch."),
            "micro_batch_tokens": micro_batch_tokens(r.spec.engine, model.policy),
            "eval_split": r.eval_split,
            "processes": processes,  # data-parallel ranks (accelerate launch); the batch is split among them
            "method_settings": dataclasses.asdict(r.method.settings),
        },
        "task": task_info,
        "model": {"name": model.name, **model.info},
        "comparability": comparability_key(r.spec, r.task.version, r.task.objective_names, model_id, r.eval_split,
                                           eval_size, r.max_new_tokens),
        "versions": package_versions(),
        "command": sys.argv,
    }
