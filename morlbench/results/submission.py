"""Result files: one finished run, self-contained, as the leaderboard reads it (docs/leaderboard.md).

A result file carries the run's configuration, comparability key and every evaluation record, plus the
numbers it claims (front, hypervolume, final point, budget). Loading recomputes the claims from the stored
evaluations: a file whose numbers do not match its own evaluations is rejected as tampered.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from morlbench import registry
from morlbench.errors import UsageError
from morlbench.metrics.pareto import front_points, hypervolume, nondominated
from morlbench.results.atomic import atomic_write_json
from morlbench.results.rundir import open_run
from morlbench.spec import RunSpec

RESULT_SCHEMA = 1
KIND = "morlbench-result"
TOLERANCE = 1e-6


class ResultError(UsageError):
    """A result file the leaderboard refuses: malformed, another schema version, or tampered."""


@dataclass(frozen=True)
class Result:
    path: Path
    label: str
    method: str
    package: str
    seed: int
    comparability: dict[str, Any]
    objective_names: list[str]
    evals: list[dict[str, Any]]
    budget: dict[str, Any]

    @property
    def group_key(self) -> str:
        return json.dumps(self.comparability, sort_keys=True)

    @property
    def points(self):
        return front_points(self.evals)


def default_label(spec: dict[str, Any]) -> str:
    """The method name, with its weights and method options when the run set any."""
    parts = [spec["method"]]
    if spec.get("weights"):
        parts.append("w" + "-".join(f"{w:g}" for w in spec["weights"]))
    parts += [f"{k}={v}" for k, v in sorted(spec.get("method_options", {}).items())]
    return "_".join(parts)


def claims(evals: list[dict[str, Any]]) -> dict[str, Any]:
    points = front_points(evals)
    return {
        "front": nondominated(points).round(6).tolist(),
        "hypervolume": round(hypervolume(points), 6),
        "final_step": evals[-1]["step"],
        "tokens": evals[-1]["tokens"],
        "rollouts": evals[-1]["rollouts"],
    }


def result_from_run(run_dir: Path, label: str | None = None) -> dict[str, Any]:
    """The result file of a finished run directory."""
    run = open_run(run_dir)
    config = run.config()
    spec = config["spec"]
    if not (run_dir / "report.json").exists() or not run.evals or run.evals[-1]["step"] < spec["steps"]:
        raise UsageError(f"{run_dir} is not a finished run (no report, or its last evaluation is before step "
                         f"{spec['steps']}); finish it with `morlbench run --resume --out {run_dir}`")
    entry = {e.name: e for e in registry.entries("methods")}.get(spec["method"])
    return {
        "kind": KIND,
        "schema_version": RESULT_SCHEMA,
        "label": label or default_label(spec),
        "method": spec["method"],
        "package": entry.package if entry else "?",
        "seed": spec["seed"],
        "model": config["model"]["name"],
        "comparability": config["comparability"],
        "objective_names": config["task"]["objectives"],
        "spec": RunSpec.normalised(spec),  # a run recorded before a setting existed reads as a rerun today would
        "versions": config["versions"],
        "budget": {"train_seconds": run.metrics[-1]["train_seconds"], "eval_seconds": run.metrics[-1]["eval_seconds"]},
        "evals": run.evals,
        "claims": claims(run.evals),
    }


def submit(run_dir: Path, results_dir: Path, label: str | None = None) -> Path:
    """Write the run's result file under ``results_dir`` (named by task version, label, seed and content)."""
    data = result_from_run(run_dir, label)
    digest = hashlib.sha256(json.dumps(data["evals"], sort_keys=True).encode()).hexdigest()[:8]
    name = f"{data['label']}-seed{data['seed']}-{digest}.json".replace("/", "_")
    path = results_dir / data["comparability"]["task_version"] / name
    atomic_write_json(path, data)
    load_result(path)  # what the leaderboard will accept
    return path


def _need(data: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Path) -> Any:
    if key not in data or not isinstance(data[key], kind):
        raise ResultError(f"{path}: malformed result file: {key!r} missing or not {getattr(kind, '__name__', kind)}")
    return data[key]


def load_result(path: Path) -> Result:
    """Parse and verify one result file; raises ResultError with the reason."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultError(f"{path}: malformed result file: not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise ResultError(f"{path}: malformed result file: not a morlbench result (kind {KIND!r} expected)")
    if data.get("schema_version") != RESULT_SCHEMA:
        raise ResultError(f"{path}: schema_version {data.get('schema_version')!r}; this morlbench reads "
                          f"{RESULT_SCHEMA} (re-submit the run with this version)")
    evals = _need(data, "evals", list, path)
    stated = _need(data, "claims", dict, path)
    names = _need(data, "objective_names", list, path)
    try:
        recomputed = claims(evals)
        if any(len(p) != len(names) for p in front_points(evals)):
            raise ValueError("objective vectors of the wrong length")
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ResultError(f"{path}: malformed result file: evaluations unreadable ({exc})") from None
    for key, value in recomputed.items():
        claimed = stated.get(key)
        if not _close(claimed, value):
            raise ResultError(f"{path}: tampered: claimed {key} {claimed!r} does not match its own evaluations "
                              f"({value!r})")
    return Result(path, str(_need(data, "label", str, path)), str(_need(data, "method", str, path)),
                  str(data.get("package", "?")), int(_need(data, "seed", int, path)),
                  _need(data, "comparability", dict, path), names, evals, dict(data.get("budget", {})))


def _close(a: Any, b: Any) -> bool:
    if isinstance(b, list):
        return isinstance(a, list) and len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(b, (int, float)) and isinstance(a, (int, float)):
        return abs(float(a) - float(b)) <= TOLERANCE
    return a == b
