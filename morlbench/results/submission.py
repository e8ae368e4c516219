"""``morlbench submit``: the result file of a finished run (docs/leaderboard.md), written where it belongs.

The result file carries the run's configuration, comparability key, entry identity and every evaluation record,
the mechanism trajectory of dynamic methods, the chosen front's per-problem report values, and the numbers it
claims; ``morlbench.results.resultfile`` checks all of it on load.
"""
from __future__ import annotations

import hashlib
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from morlbench import registry
from morlbench.errors import UsageError
from morlbench.metrics.mechanism import signal_trajectory, weight_trajectory
from morlbench.preferences import parse_preferences
from morlbench.results.atomic import atomic_write_json
from morlbench.results.perproblem import delivered_per_problem
from morlbench.results.resultfile import (
    KIND,
    RESULT_SCHEMA,
    ResultError,
    claims,
    entry_identity_id,
    identity_id,
    identity_of,
    load_result,
    safe_name,
)
from morlbench.results.runcheck import run_dir_of
from morlbench.results.rundir import FAILURE, read_failure
from morlbench.spec import RunSpec

__all__ = ["ResultError", "default_label", "load_result", "result_from_run", "submit"]


def default_label(spec: dict[str, Any]) -> str:
    """The method name, with its method options when the run set any. Not the weights: under protocol 3 the runs
    of one entry from each preference of W are one entry (docs/leaderboard.md)."""
    parts = [spec["method"]]
    parts += [f"{k}={v}" for k, v in sorted(spec.get("method_options", {}).items())]
    return "_".join(parts).replace("/", "_").replace(" ", "")


def installed_version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def method_package(method: str) -> str:
    """The distribution that registers ``method`` ("?" when none does)."""
    entry = {e.name: e for e in registry.entries("methods")}.get(method)
    return entry.package if entry else "?"


def entry_identity(spec: dict[str, Any], method_settings: dict[str, Any], weights: list[float]) -> dict[str, Any]:
    """The entry a run belongs to, as result files and run directories both name it."""
    package = method_package(spec["method"])
    return identity_of(package, installed_version(package), RunSpec.normalised(spec), method_settings, weights)


def machine(config: dict[str, Any]) -> dict[str, Any]:
    """The CPU, torch's CPU kernel level, its native bfloat16 arithmetic and the GPU a run was made on: a rerun
    reproduces its numbers bit for bit only where they round alike (docs/performance.md). None where a run
    predates the field."""
    host = config.get("provenance", {})
    return {key: host.get(key) for key in ("cpu", "cpu_capability", "bfloat16_units", "cuda")}


def result_from_run(run_dir: Path, label: str | None = None) -> dict[str, Any]:
    """The result file of a finished run directory."""
    if (run_dir / FAILURE).exists():
        raise UsageError(f"{run_dir} is a failed run ({FAILURE}: {read_failure(run_dir)}); it cannot be submitted")
    run = run_dir_of(run_dir, finished=True)  # records complete up to the last step, every value in range
    config = run.config()
    spec = RunSpec.normalised(config["spec"])
    if not (run_dir / "report.json").exists() or not run.evals or run.evals[-1]["step"] < spec["steps"]:
        raise UsageError(f"{run_dir} is not a finished run (no report, or its last evaluation is before step "
                         f"{spec['steps']}); finish it with `morlbench run --resume --out {run_dir}`")
    package = method_package(spec["method"])
    identity = entry_identity(spec, config["resolved"]["method_settings"], config["resolved"]["weights"])
    key = config["comparability"]
    if key.get("protocol") != 3:
        raise UsageError(f"{run_dir} was recorded under evaluation protocol {key.get('protocol')}; result files are "
                         "written for protocol 3 runs (rerun it with this version)")
    capabilities = config["resolved"].get("method_capabilities") or {}
    serves = bool(capabilities.get("serves_preferences"))
    preferences = parse_preferences(key["preferences"], len(config["task"]["objectives"]))
    final = run.evals[-1]["step"]
    indices = list(range(len(preferences))) if serves else [0]
    return {
        "kind": KIND,
        "schema_version": RESULT_SCHEMA,
        "label": safe_name(default_label(spec) if label is None else label, "--label"),
        "identity": identity,
        "identity_id": identity_id(identity),
        "method": spec["method"],
        "package": package,
        "seed": spec["seed"],
        "model": config["model"]["name"],
        "comparability": key,
        "objective_names": config["task"]["objectives"],
        "spec": spec,  # with today's defaults: a run recorded before a setting existed reads as a rerun would
        "versions": config["versions"],
        "machine": machine(config),
        "budget": {"train_seconds": run.metrics[-1]["train_seconds"], "eval_seconds": run.metrics[-1]["eval_seconds"]},
        "capabilities": {"serves_preferences": serves,
                         "inert_estimators": list(capabilities.get("inert_estimators") or [])},
        "evals": run.evals,
        "mechanism": {"initial_weights": config["resolved"]["weights"], "weights": weight_trajectory(run.metrics),
                      "signal": signal_trajectory(run.metrics)},
        "per_problem": delivered_per_problem(final, indices, run.samples, config["resolved"]["report_split"]),
        "claims": claims(run.evals, serves, preferences),
    }


def result_path(results_dir: Path, data: dict[str, Any]) -> Path:
    """results_dir / TASK_VERSION / LABEL-seedS-DIGEST.json, every component checked to stay inside results_dir."""
    version_dir = safe_name(data["comparability"]["task_version"], "task version")
    digest = hashlib.sha256(json.dumps(data["evals"], sort_keys=True).encode()).hexdigest()[:8]
    path = results_dir / version_dir / f"{safe_name(data['label'], '--label')}-seed{data['seed']}-{digest}.json"
    if not path.resolve().is_relative_to(results_dir.resolve()):
        raise UsageError(f"result path {path} would leave {results_dir}")
    return path


def check_label(results_dir: Path, data: dict[str, Any], path: Path) -> None:
    """A label names one entry (a configuration without its weights: protocol 3's runs from each w of W are one
    entry): refuse a label that another entry already uses in the same group, and a run already there."""
    entry = entry_identity_id(data["identity"])
    for other in sorted((results_dir / path.parent.name).glob("*.json")) if path.parent.exists() else []:
        if other == path:
            continue
        try:
            existing = load_result(other)
        except ResultError:
            continue
        same_group = existing.comparability == data["comparability"]
        if same_group and existing.label == data["label"] and existing.entry_id != entry:
            raise UsageError(f"--label {data['label']!r} already names another entry in this group ({other.name}: "
                             f"method {existing.method} from {existing.package}); choose another label")
        if same_group and existing.identity == data["identity_id"] and existing.seed == data["seed"]:
            raise UsageError(f"{other} already holds this entry's seed {data['seed']}; remove it to replace it")


def holds_exactly(path: Path, data: dict[str, Any]) -> bool:
    """The result file is there with exactly this content (anything unreadable is not, and gets rewritten)."""
    try:
        return json.loads(path.read_text()) == json.loads(json.dumps(data))
    except (OSError, ValueError):
        return False


def submit(run_dir: Path, results_dir: Path, label: str | None = None) -> Path:
    """Write the run's result file under ``results_dir`` and check it reads back as the leaderboard will."""
    data = result_from_run(run_dir, label)
    path = result_path(results_dir, data)
    if holds_exactly(path, data):  # submitted before: a sweep's resubmissions need not re-read the whole group
        load_result(path)
        return path
    check_label(results_dir, data, path)
    atomic_write_json(path, data)
    try:
        load_result(path)
    except ResultError:
        path.unlink()
        raise
    return path
