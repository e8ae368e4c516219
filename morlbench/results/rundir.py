"""The run directory: every file a run writes, and how it is read back.

config.json    every setting with its default, package versions, seed, task version, comparability key
metrics.jsonl  one record per training step
eval.jsonl     one record per evaluation (step 0, every eval_every steps, and the last step): selection-split
               vectors, and report-split vectors of the points that may be on the front
eval_samples/  per-problem records of every evaluation (step-NNNNNN.jsonl), when enabled
failure.json   why the run stopped, when training raised (removed when a resume finishes it)
checkpoint/    policy and optimizer (safetensors) and run state (JSON) of the last checkpoint
report.json, report.md, *.png   written by morlbench.report
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from morlbench.errors import UsageError
from morlbench.results.atomic import atomic_write_json, atomic_write_jsonl, read_jsonl

CONFIG, METRICS, EVALS, CHECKPOINT, SAMPLES = "config.json", "metrics.jsonl", "eval.jsonl", "checkpoint", "eval_samples"
FAILURE = "failure.json"


# What every reader of a run takes from config.json (report, submit, resume, the comparisons), and its type.
REQUIRED_CONFIG = (("spec", dict), ("comparability", dict), ("task", dict), ("task.objectives", list),
                   ("model", dict), ("model.name", str), ("resolved", dict), ("resolved.weights", list),
                   ("resolved.method_settings", dict), ("versions", dict))


def missing_config_field(config: Any) -> str | None:
    """The first required field ``config`` lacks (or holds with another type), as ``a.b``; None when complete."""
    if not isinstance(config, dict):
        return "settings"
    for name, kind in REQUIRED_CONFIG:
        value: Any = config
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if not isinstance(value, kind):
            return name
    objectives = config["task"]["objectives"]
    if not objectives or not all(isinstance(o, str) for o in objectives):
        return "task.objectives"
    return None


@dataclass
class RunDir:
    path: Path
    metrics: list[dict[str, Any]] = field(default_factory=list)
    evals: list[dict[str, Any]] = field(default_factory=list)
    _config: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    read_only: bool = False  # records are kept in memory only (data-parallel ranks other than the main one)

    @property
    def checkpoint_dir(self) -> Path:
        return self.path / CHECKPOINT

    def config(self) -> dict[str, Any]:
        """config.json, read once: it is written when the run is created and never changes after."""
        if self._config is None:
            try:
                config = json.loads((self.path / CONFIG).read_text())
            except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
                raise UsageError(f"{self.path / CONFIG}: not a run's configuration ({type(exc).__name__})") from None
            missing = missing_config_field(config)
            if missing:
                raise UsageError(f"{self.path / CONFIG}: not a run's configuration (no {missing}); the run "
                                 "directory is damaged")
            self._config = config
        return self._config

    def samples(self, step: int) -> list[dict[str, Any]]:
        """The per-problem records of the evaluation at ``step`` (empty when none were written)."""
        return read_jsonl(self.path / SAMPLES / f"step-{step:06d}.jsonl")

    def write_config(self, config: dict[str, Any]) -> None:
        atomic_write_json(self.path / CONFIG, config)
        self._config = None

    def add_metrics(self, record: dict[str, Any]) -> None:
        self.metrics.append(record)
        if not self.read_only:
            atomic_write_jsonl(self.path / METRICS, self.metrics)

    def add_eval(self, record: dict[str, Any]) -> None:
        self.evals.append(record)
        if not self.read_only:
            atomic_write_jsonl(self.path / EVALS, self.evals)

    def truncate_to(self, step: int) -> None:
        """Drop records after ``step`` (the checkpoint a resumed run restarts from)."""
        self.metrics = [r for r in self.metrics if r["step"] <= step]
        self.evals = [r for r in self.evals if r["step"] <= step]
        if self.read_only:
            return
        for path in (self.path / SAMPLES).glob("step-*.jsonl"):
            if int(path.stem.removeprefix("step-")) > step:
                path.unlink()
        atomic_write_jsonl(self.path / METRICS, self.metrics)
        atomic_write_jsonl(self.path / EVALS, self.evals)


def read_failure(path: Path) -> str:
    """The error a failed run recorded (its failure.json), or why that file cannot be read."""
    try:
        return str(json.loads((path / FAILURE).read_text())["error"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"unreadable ({type(exc).__name__})"


def open_run(path: Path) -> RunDir:
    """An existing run directory, with its records loaded."""
    if not (path / CONFIG).exists():
        raise UsageError(f"{path} is not a run directory (no {CONFIG})")
    return RunDir(path, read_jsonl(path / METRICS, "step"), read_jsonl(path / EVALS, "step"))
