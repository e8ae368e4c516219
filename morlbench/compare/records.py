"""One finished run as the comparisons see it, from a run directory or from a leaderboard result file."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from morlbench.metrics.front import current_points, front_points
from morlbench.results.resultfile import Result, identity_id
from morlbench.results.rundir import RunDir
from morlbench.results.submission import default_label, entry_identity


@dataclass
class RunRecord:
    label: str  # the entry's display name
    identity: str  # the entry: distribution, method, resolved settings, plugin version
    method: str
    package: str
    seed: int
    comparability: dict[str, Any]
    objective_names: list[str]
    evals: list[dict[str, Any]]
    step_metrics: list[dict[str, Any]] = field(default_factory=list)  # metrics.jsonl (run directories only)
    train_seconds: float | None = None
    mechanism: dict[str, Any] | None = None  # initial weights, weight and signal trajectories
    per_problem: dict[str, Any] | None = None  # the chosen front's report values, problem by problem
    method_settings: dict[str, Any] = field(default_factory=dict)

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
        """(preferences, report-split objectives) of the last evaluation when it swept preferences (the final
        evaluation values every served point on the report split)."""
        last = self.evals[-1]
        if "points" not in last or not all("preference" in p and "report" in p for p in last["points"]):
            return None
        return (np.asarray([p["preference"] for p in last["points"]], dtype=np.float64),
                np.asarray(current_points(last, "report"), dtype=np.float64))


def suite_label(run: RunDir) -> str:
    """The suite's label (runs live in TASK/LABEL/seedS), else the method with its weights and options."""
    return run.path.parent.name if run.path.name.startswith("seed") else default_label(run.config()["spec"])


def from_run_dir(run: RunDir) -> RunRecord:
    from morlbench.metrics.mechanism import signal_trajectory, weight_trajectory
    from morlbench.results.resultfile import chosen_front_per_problem

    config = run.config()
    spec = config["spec"]
    resolved = config["resolved"]
    seconds = float(run.metrics[-1]["train_seconds"]) if run.metrics else None
    identity = identity_id(entry_identity(spec, resolved["method_settings"], resolved["weights"]))
    mechanism = {"initial_weights": resolved["weights"], "weights": weight_trajectory(run.metrics),
                 "signal": signal_trajectory(run.metrics)}
    per_problem = chosen_front_per_problem(run.evals, run.samples, resolved.get("report_split", ""))
    return RunRecord(suite_label(run), identity, spec["method"], "", int(spec["seed"]), config["comparability"],
                     list(config["task"]["objectives"]), run.evals, run.metrics, seconds, mechanism, per_problem,
                     dict(resolved["method_settings"]))


def from_result(result: Result) -> RunRecord:
    return RunRecord(result.label, result.identity, result.method, result.package, result.seed,
                     result.comparability, list(result.objective_names), result.evals,
                     mechanism=result.mechanism, per_problem=result.per_problem,
                     method_settings=result.method_settings)
