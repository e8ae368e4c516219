"""One finished run as the comparisons see it, from a run directory or from a leaderboard result file."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from morlbench.metrics.delivered import delivered
from morlbench.metrics.front import current_points, front_points
from morlbench.results.resultfile import Result, entry_identity_id, identity_id
from morlbench.results.rundir import RunDir
from morlbench.results.submission import default_label, entry_identity
from morlbench.rundirs import TUNING_PREFIX, is_weights_dir


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
    weights: list[float] | None = None  # the initial weights: where a single-policy run started
    serves: bool = False  # one artifact serves every preference (capabilities.serves_preferences)
    inert: bool = False  # its mechanism cannot act under the run's estimator (capabilities.inert_estimators)
    entry_id: str = ""  # protocol 3's entry: the identity without the weights (a run per w of W is one entry)
    lr: float | None = None  # the run's learning rate (the tuning search's usual setting)
    verified: bool = False  # a result file that `morlbench verify` reproduced (its record still applies)

    @property
    def group_key(self) -> str:
        return json.dumps(self.comparability, sort_keys=True)

    @property
    def protocol(self) -> int:
        return int(self.comparability.get("protocol", 2))

    @property
    def preferences(self) -> tuple[tuple[float, ...], ...]:
        from morlbench.preferences import parse_preferences

        return parse_preferences(self.comparability.get("preferences"), len(self.objective_names))

    @property
    def points(self) -> np.ndarray:
        """What the run's front metrics value: protocol 3, its delivered points (report split); protocol 2, the
        front chosen on the selection split and valued on the report split."""
        if self.protocol < 3:
            return front_points(self.evals)
        points = delivered(self.evals, self.serves, self.preferences)
        return np.zeros((0, len(self.objective_names))) if points is None else points

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
    """The suite's label (runs live in TASK/LABEL/seedS, or TASK/LABEL/wWEIGHTS/seedS for an entry run once from
    each preference of W; a tuning candidate, under LABEL/tune-SETTING=VALUE, is LABEL@SETTING=VALUE), else the
    method with its options."""
    if not run.path.name.startswith("seed"):
        return default_label(run.config()["spec"])
    parent = run.path.parent
    parent = parent.parent if is_weights_dir(parent.name) else parent
    if parent.name.startswith(TUNING_PREFIX):
        return f"{parent.parent.name}@{parent.name.removeprefix(TUNING_PREFIX)}"
    return parent.name


def from_run_dir(run: RunDir) -> RunRecord:
    from morlbench.metrics.mechanism import signal_trajectory, weight_trajectory
    from morlbench.results.resultfile import run_per_problem

    config = run.config()
    spec = config["spec"]
    resolved = config["resolved"]
    seconds = float(run.metrics[-1]["train_seconds"]) if run.metrics else None
    identity = entry_identity(spec, resolved["method_settings"], resolved["weights"])
    mechanism = {"initial_weights": resolved["weights"], "weights": weight_trajectory(run.metrics),
                 "signal": signal_trajectory(run.metrics)}
    capabilities = resolved.get("method_capabilities") or {}
    record = RunRecord(suite_label(run), identity_id(identity), spec["method"], "", int(spec["seed"]),
                       config["comparability"], list(config["task"]["objectives"]), run.evals, run.metrics, seconds,
                       mechanism, None, dict(resolved["method_settings"]), list(resolved["weights"]),
                       bool(capabilities.get("serves_preferences")),
                       spec.get("estimator") in (capabilities.get("inert_estimators") or ()),
                       entry_identity_id(identity), (spec.get("engine") or {}).get("lr"))
    record.per_problem = run_per_problem(record, run.samples, resolved.get("report_split", ""))
    return record


def from_result(result: Result) -> RunRecord:
    return RunRecord(result.label, result.identity, result.method, result.package, result.seed,
                     result.comparability, list(result.objective_names), result.evals,
                     mechanism=result.mechanism, per_problem=result.per_problem,
                     method_settings=result.method_settings, weights=result.weights, serves=result.serves,
                     inert=result.inert, entry_id=result.entry_id, lr=result.lr)
