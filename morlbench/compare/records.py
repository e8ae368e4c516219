"""One finished run as the comparisons see it, from a run directory or from a leaderboard result file."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from morlbench.metrics.pareto import front_points, record_points
from morlbench.results.rundir import RunDir
from morlbench.results.submission import Result, default_label


@dataclass
class RunRecord:
    label: str  # the entry it belongs to (display name)
    method: str
    package: str
    seed: int
    comparability: dict[str, Any]
    objective_names: list[str]
    evals: list[dict[str, Any]]
    step_metrics: list[dict[str, Any]] = field(default_factory=list)  # metrics.jsonl (run directories only)
    train_seconds: float | None = None

    @property
    def group_key(self) -> str:
        return json.dumps(self.comparability, sort_keys=True)

    @property
    def points(self) -> np.ndarray:
        return front_points(self.evals)

    @property
    def tokens(self) -> float:
        return float(self.evals[-1]["tokens"])

    def served(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(preferences, objectives) of the last evaluation when it swept preferences."""
        last = self.evals[-1]
        if "points" not in last or not all("preference" in p for p in last["points"]):
            return None
        return (np.asarray([p["preference"] for p in last["points"]], dtype=np.float64),
                np.asarray(record_points(last), dtype=np.float64))


def suite_label(run: RunDir) -> str:
    """The suite's label (runs live in TASK/LABEL/seedS), else the method with its weights and options."""
    return run.path.parent.name if run.path.name.startswith("seed") else default_label(run.config()["spec"])


def from_run_dir(run: RunDir) -> RunRecord:
    config = run.config()
    spec = config["spec"]
    seconds = float(run.metrics[-1]["train_seconds"]) if run.metrics else None
    return RunRecord(suite_label(run), spec["method"], "", int(spec["seed"]), config["comparability"],
                     list(config["task"]["objectives"]), run.evals, run.metrics, seconds)


def from_result(result: Result) -> RunRecord:
    return RunRecord(result.label, result.method, result.package, result.seed, result.comparability,
                     list(result.objective_names), result.evals)
