"""Suites: tasks x methods x method settings x seeds under one fixed budget, from a TOML file (docs/suites.md).

A run is identified by its full RunSpec. Its directory name is readable (task/label/seed); a directory that
already holds the same spec with a report is skipped, as is a run whose result file the suite's results directory
already holds (recorded elsewhere); one interrupted mid-run is resumed, and one holding a different spec is
reported as a failure and left alone. A failing run never stops the others.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib
from tqdm import tqdm

from morlbench.errors import UsageError
from morlbench.executors import EXECUTORS, local_runs, ray_runs
from morlbench.results.atomic import atomic_write_json
from morlbench.spec import RunSpec
from morlbench.suitecheck import check_directories, checked_name, checked_seeds

SPEC_FIELDS = {f.name for f in dataclasses.fields(RunSpec)} - {"task", "method", "seed", "method_options"}
BUDGET_FIELDS = ("steps", "prompts_per_step", "group_size")
TOP_LEVEL = {"name", "description", "tasks", "seeds", "budget", "settings", "methods", "leaderboard"}
METHOD_KEYS = {"name", "label", "weights", "options", "grid"}
SWEEP_RECORD = "sweep.json"


@dataclass(frozen=True)
class PlannedRun:
    label: str  # method label plus the grid values that distinguish it
    spec: RunSpec
    out: Path


@dataclass
class Suite:
    name: str
    path: Path
    runs: list[PlannedRun]
    leaderboard: Path | None = None  # where finished runs' result files go (morlbench submit), if anywhere


def _slug(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "-".join(_slug(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return re.sub(r"[^A-Za-z0-9.=_-]+", "", str(value))


def _require_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r}; accepted: {', '.join(sorted(allowed))}")


def _method_variants(entry: dict[str, Any], where: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(label suffix, RunSpec overrides, method options) for every weight vector x grid combination."""
    _require_keys(entry, METHOD_KEYS, where)
    weights = entry.get("weights")
    weight_list = [None] if weights is None else weights
    if weights is not None and (not isinstance(weights, list) or not all(isinstance(w, list) for w in weights)):
        raise UsageError(f"{where}: weights must be a list of weight vectors, e.g. [[0.5, 0.5], [0.8, 0.2]]")
    grid = entry.get("grid", {})
    if not all(isinstance(v, list) and v for v in grid.values()):
        raise UsageError(f"{where}: every grid value must be a non-empty list of settings to try")
    base_options = dict(entry.get("options", {}))
    variants = []
    for w in weight_list:
        for combo in itertools.product(*grid.values()) if grid else [()]:
            options = {**base_options, **dict(zip(grid, combo))}
            parts = ([f"w{_slug(w)}"] if w is not None and len(weight_list) > 1 else []) + \
                [f"{k}={_slug(v)}" for k, v in zip(grid, combo)]
            variants.append(("_".join(parts), {} if w is None else {"weights": w}, options))
    return variants


def load_suite(path: Path, root: Path | None = None) -> Suite:
    """Parse and expand a suite file; every run's spec is validated before anything runs."""
    if not path.is_file():
        raise UsageError(f"suite file {path} does not exist")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"suite file {path}: not valid TOML ({exc})") from None
    _require_keys(data, TOP_LEVEL, f"suite {path}")
    for key in ("name", "tasks", "seeds", "budget", "methods"):
        if key not in data:
            raise UsageError(f"suite {path}: missing {key!r}")
    budget, settings = data["budget"], data.get("settings", {})
    missing = [k for k in BUDGET_FIELDS if k not in budget]
    if missing:
        raise UsageError(f"suite {path}: [budget] must fix {', '.join(BUDGET_FIELDS)} (missing {missing[0]})")
    _require_keys(budget, SPEC_FIELDS, f"suite {path} [budget]")
    _require_keys(settings, SPEC_FIELDS - set(BUDGET_FIELDS), f"suite {path} [settings]")
    root = root or Path("runs") / "sweeps" / checked_name(_slug(data["name"]), f"suite {path}")
    seeds = checked_seeds(data["seeds"], f"suite {path}")
    runs, labels = [], {}
    for index, entry in enumerate(data["methods"]):
        where = f"suite {path} methods[{index}]"
        if "name" not in entry:
            raise UsageError(f"{where}: missing the method's registered 'name'")
        label = _slug(entry.get("label", entry["name"]))
        if label in labels:
            raise UsageError(f"{where}: label {label!r} is already used by methods[{labels[label]}]; set 'label'")
        labels[label] = index
        for suffix, overrides, options in _method_variants(entry, where):
            full_label = f"{label}_{suffix}" if suffix else label
            for task in data["tasks"]:
                for seed in seeds:
                    fields = {**settings, **budget, **overrides}
                    if "engine" in fields:
                        fields["engine"] = dict(fields["engine"])
                    try:
                        spec = RunSpec.from_dict({**fields, "task": task, "method": entry["name"],
                                                  "seed": seed, "method_options": options})
                    except UsageError as exc:  # an unknown setting
                        raise UsageError(f"{where}: {exc}") from None
                    runs.append(PlannedRun(full_label, spec, root / _slug(task) / full_label / f"seed{seed}"))
    check_directories(root, [run.out for run in runs], f"suite {path}")
    for run in runs:
        validate_planned(run)
    board = data.get("leaderboard")
    return Suite(str(data["name"]), root, runs, None if board is None else Path(board))


def validate_planned(run: PlannedRun) -> None:
    from morlbench.run.resolve import resolve

    try:
        resolve(RunSpec.from_dict(run.spec.to_dict()))
    except UsageError as exc:
        raise UsageError(f"{run.spec.task}/{run.label} seed {run.spec.seed}: {exc}") from None


def run_state(run: PlannedRun) -> str:
    """"done" (same spec, report written), "resume" (same spec, unfinished), "new", or "conflict"."""
    config = run.out / "config.json"
    if not config.exists():
        return "new"
    stored = RunSpec.normalised(json.loads(config.read_text())["spec"])
    if stored != run.spec.to_dict():
        return "conflict"
    return "done" if (run.out / "report.json").exists() else "resume"


def run_suite(suite: Suite, jobs: int = 1, progress: bool = True, executor: str = "local",
              address: str | None = None) -> list[dict[str, Any]]:
    """Run every run that is not done; writes SUITE_ROOT/sweep.json and returns its rows.

    ``local``: ``jobs`` worker processes here. ``ray``: Ray tasks on the cluster at ``address`` (run
    directories must be on a filesystem every node shares), or on a local Ray instance of ``jobs`` CPUs."""
    if jobs < 1:
        raise UsageError(f"--jobs {jobs} must be at least 1")
    if executor not in EXECUTORS:
        raise UsageError(f"--executor {executor!r} is not one of {', '.join(EXECUTORS)}")
    with holding(suite.path):
        return _run_suite(suite, jobs, executor, address, progress)


@contextmanager
def holding(path: Path) -> Iterator[None]:
    """An exclusive lock on the suite's directory for the sweep's lifetime: a second sweep there is refused."""
    import fcntl

    path.mkdir(parents=True, exist_ok=True)
    with open(path / ".sweep.lock", "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"another sweep is running in {path}; wait for it to finish or stop it") from None
        yield


def _run_suite(suite: Suite, jobs: int, executor: str, address: str | None, progress: bool) -> list[dict[str, Any]]:
    rows: dict[Path, dict[str, Any]] = {}
    todo = []
    for run in suite.runs:
        state = run_state(run)
        row = {"task": run.spec.task, "method": run.spec.method, "label": run.label, "seed": run.spec.seed,
               "dir": str(run.out.relative_to(suite.path))}
        committed = committed_elsewhere(suite, run) if state == "new" else None
        if state == "done":
            rows[run.out] = {**row, "status": "skipped (done)"}
        elif committed is not None:
            rows[run.out] = {**row, "status": "skipped (committed)", "result": str(committed)}
        elif state == "conflict":
            rows[run.out] = {**row, "status": "failed", "error": f"{run.out} holds a run with other settings"}
        else:
            todo.append((run, state == "resume", row))
    # Seed by seed, so that a suite stopped part-way leaves every entry with the same seeds.
    seeds = sorted({run.spec.seed for run, _, _ in todo})
    todo.sort(key=lambda item: seeds.index(item[0].spec.seed))
    results = local_runs(todo, jobs) if executor == "local" else ray_runs(todo, jobs, address)
    bar = tqdm(results, total=len(todo), desc=f"suite {suite.name}", unit="run", disable=not progress)
    for (run, _, row), result in bar:
        rows[run.out] = {**row, **result}
        bar.set_postfix(last=f"{run.spec.task}/{run.label}/seed{run.spec.seed}")
        if result["status"] == "done":
            submit_finished(suite, run, rows[run.out])
            write_record(suite, rows)  # a stop loses nothing already finished
    for run in suite.runs:  # runs skipped as done are (re)submitted too
        if rows[run.out]["status"] == "skipped (done)":
            submit_finished(suite, run, rows[run.out])
    return write_record(suite, rows)


def committed_elsewhere(suite: Suite, run: PlannedRun) -> Path | None:
    """The suite's results directory already holds this run's result file (recorded on another machine)."""
    if suite.leaderboard is None:
        return None
    from morlbench.committed import committed_result

    return committed_result(suite.leaderboard, run.spec)


def submit_finished(suite: Suite, run: PlannedRun, row: dict[str, Any]) -> None:
    """The run's result file into the suite's results directory, if it has one."""
    if suite.leaderboard is None:
        return
    from morlbench.results.submission import submit

    try:
        row["result"] = str(submit(run.out, suite.leaderboard, run.label))
    except UsageError as exc:
        row["result"] = f"not submitted: {exc}"


def write_record(suite: Suite, rows: dict[Path, dict[str, Any]]) -> list[dict[str, Any]]:
    ordered = [rows.get(run.out, {"dir": str(run.out.relative_to(suite.path)), "status": "pending"})
               for run in suite.runs]
    suite.path.mkdir(parents=True, exist_ok=True)
    atomic_write_json(suite.path / SWEEP_RECORD, {"suite": suite.name, "runs": ordered})
    return ordered
