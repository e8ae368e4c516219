"""Suites: tasks x methods x method settings x seeds under one fixed budget, from a TOML file (docs/suites.md).

A run is identified by its full RunSpec. Its directory name is readable (task/label/seed); a directory that
already holds the same spec with a report is skipped, as is a run whose result file the suite's results directory
already holds (recorded elsewhere); one interrupted mid-run is resumed, and one holding a different spec is
reported as a failure and left alone. A failing run never stops the others.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tqdm import tqdm

from morlbench.errors import UsageError
from morlbench.executors import EXECUTORS, local_runs, ray_runs
from morlbench.results.atomic import atomic_write_json
from morlbench.spec import RunSpec
from morlbench.suite_file import PlannedRun, Suite, load_suite

__all__ = ["PlannedRun", "SWEEP_RECORD", "Suite", "load_suite", "run_state", "run_suite"]
SWEEP_RECORD = "sweep.json"


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
