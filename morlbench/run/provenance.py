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
from morlbench.preferences import format_preferences
from morlbench.run.resolve import Resolved, precision_of
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


def git_commit() -> str | None:
    """The commit of the checkout morlbench runs from, with ``+changes`` when the package's own files differ from it
    (results, docs and suite files being recorded or committed beside the runs do not count: they are not code)."""
    import subprocess
    from pathlib import Path

    package = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=package, capture_output=True, text=True, timeout=5)
        if head.returncode:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "."], cwd=package,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+changes" if dirty else "")


def host() -> dict[str, Any]:
    import os
    import time

    import torch

    from morlbench.engine.precision import bfloat16_units

    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "hostname": platform.node(),
            "cpu": cpu, "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            # the kernels torch dispatches to: float32 rounding, and so bitwise reproducibility, depends on them
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "bfloat16_units": bfloat16_units(),  # where --dtype auto may choose bfloat16 autocast
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "git_commit": git_commit()}


def build_config(r: Resolved, model: LoadedModel, processes: int = 1) -> dict[str, Any]:
    task_info = r.task.describe()
    model_id = f"{model.name}@{model.info.get('checkpoint_sha256', 'unknown')}"
    return {
        "schema_version": SCHEMA_VERSION,
        "spec": r.spec.to_dict(),
        "resolved": {
            "weights": r.weights,
            "max_new_tokens": r.max_new_tokens,
            "device": r.device,
            "dtype": precision_of(r).name,
            "micro_batch_tokens": micro_batch_tokens(r.spec.engine, model.policy),
            "selection_split": r.selection_split,
            "report_split": r.report_split,
            "eval_samples": r.eval_samples,
            "processes": processes,  # data-parallel ranks (accelerate launch); the batch is split among them
            "method_settings": dataclasses.asdict(r.method.settings),
            # what the method declared with these settings, inert_estimators included
            "method_capabilities": dataclasses.asdict(r.method.capabilities()),
        },
        "task": task_info,
        "model": {"name": model.name, **model.info},
        "comparability": comparability_key(r.spec, r.task.version, r.task.objective_names, model_id, r.split_sizes(),
                                           r.max_new_tokens, format_preferences(r.preferences), precision_of(r).name),
        "versions": package_versions(),
        "provenance": host(),
        "command": sys.argv,
    }
