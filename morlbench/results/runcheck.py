"""A run directory's records, checked against its checkpoint wherever they are read (``run --resume``, ``report``,
``submit``).

A run appends to metrics.jsonl (one record per step) and eval.jsonl (step 0, every ``eval_every`` steps and the
last step) as it goes, and writes a checkpoint every ``checkpoint_every`` steps, evaluating before it checkpoints.
So a checkpoint at step S vouches for every record up to S: a metrics record of each step 1..S and an evaluation
at each scheduled step up to S. Records after S are those of steps an interruption cut short (a resume drops
them). Every reader checks the records up to how far the run got, and every value in them (K finite objective
values in [0, 1], counters of this batch), and refuses in one line naming the file and the step.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from morlbench.errors import UsageError
from morlbench.results.atomic import file_sha256
from morlbench.results.rundir import EVALS, METRICS, RunDir

MANIFEST, STATE = "manifest.json", "state.json"  # the checkpoint's (morlbench.engine.checkpoint), read without torch


@dataclass(frozen=True)
class Progress:
    """How far a run got: its last checkpoint's step (None before the first) and the last step its records cover."""

    checkpoint: int | None
    complete: bool  # the checkpoint is the run's last step
    reached: int


def eval_schedule(total: int, every: int, upto: int) -> list[int]:
    """The steps evaluated by step ``upto`` (``morlbench.run.loop.Loop.end_step``'s rule)."""
    from morlbench.metrics.delivered import schedule

    return [s for s in schedule(total, every) if s <= upto]


def _config_numbers(run: RunDir) -> tuple[int, int, int, list[str]]:
    config = run.config()
    spec = config["spec"]
    try:
        total, every = int(spec["steps"]), int(spec["eval_every"])
        rows = int(spec["prompts_per_step"]) * int(spec["group_size"])
    except (KeyError, TypeError, ValueError):
        raise UsageError(f"{run.path / 'config.json'}: its spec lacks steps, eval_every or the batch") from None
    if total < 1 or every < 1 or rows < 1:
        raise UsageError(f"{run.path / 'config.json'}: its spec holds a budget no run has")
    return total, every, rows, list(config["task"]["objectives"])


def checkpoint_step(run: RunDir, total: int) -> tuple[int | None, bool]:
    """(step, complete) of the run's last checkpoint, from its state.json checked against the manifest; (None,
    False) when there is none yet. A checkpoint moved aside by a kill between two renames counts, as resume
    puts it back."""
    where = run.checkpoint_dir
    if where.exists() and not where.is_dir():
        raise UsageError(f"{where}: not a directory (a checkpoint is one); the run directory is damaged")
    found = [d for d in (where, where.with_name(where.name + ".old")) if d.is_dir() and (d / MANIFEST).exists()]
    if not found:
        return None, False
    state_file, unreadable = found[0] / STATE, (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError)
    try:
        manifest = json.loads((found[0] / MANIFEST).read_text())
    except unreadable:
        raise UsageError(f"{found[0] / MANIFEST} is unreadable; the checkpoint cannot be trusted") from None
    try:
        digest_ok = isinstance(manifest, dict) and file_sha256(state_file) == manifest.get(STATE)
        state = json.loads(state_file.read_text()) if digest_ok else None
    except unreadable:
        digest_ok, state = False, None
    if not digest_ok:
        raise UsageError(f"{state_file} does not match the checkpoint's manifest (damaged or replaced)")
    counters = state.get("counters") if isinstance(state, dict) else None
    step = counters.get("step") if isinstance(counters, dict) else None
    if not _whole(step) or not 1 <= step <= total:
        raise UsageError(f"{state_file} holds step {step!r}, not a step of this {total}-step run")
    return step, step == total


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _unit_vector(value: Any, k: int) -> bool:
    """K finite numbers in [0, 1]."""
    return isinstance(value, list) and len(value) == k and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and 0 <= v <= 1 for v in value)


def _entry_problem(entry: Any, k: int) -> str | None:
    """Why one evaluated point (a single policy's record, or one served preference) is malformed."""
    if not isinstance(entry, dict) or not _unit_vector(entry.get("objectives"), k):
        return f"objectives must be {k} finite numbers in [0, 1]"
    if "report" in entry and not _unit_vector(entry["report"], k):
        return f"report values must be {k} finite numbers in [0, 1]"
    for key in ("by_difficulty", "report_by_difficulty"):
        table = entry.get(key, {})
        if not isinstance(table, dict) or not all(_unit_vector(v, k) for v in table.values()):
            return f"{key} must map each difficulty to {k} finite numbers in [0, 1]"
    return None


def _eval_problem(record: dict[str, Any], names: list[str], rows: int) -> str | None:
    k = len(names)
    if record.get("objective_names", names) != names:
        return f"objective names {record.get('objective_names')!r}, the run's are {names}"
    if record.get("rollouts") != record["step"] * rows or not _whole(record.get("tokens")):
        return f"counts {record.get('rollouts')!r} rollouts and {record.get('tokens')!r} tokens; step " \
               f"{record['step']} of this batch has {record['step'] * rows} rollouts"
    entries = record.get("points", [record])
    if not isinstance(entries, list) or not entries:
        return "no evaluated points"
    held_out = record.get("held_out", [])
    if not isinstance(held_out, list) or not all(isinstance(h, dict) and _unit_vector(h.get("report"), k)
                                                 for h in held_out):
        return f"held-out report values must be {k} finite numbers in [0, 1]"
    return next((p for p in (_entry_problem(e, k) for e in entries) if p), None)


def _metric_problem(record: dict[str, Any], names: list[str], rows: int) -> str | None:
    rewards = record.get("rewards")
    if not isinstance(rewards, dict) or sorted(rewards) != sorted(names) or not _unit_vector(list(rewards.values()),
                                                                                           len(names)):
        return f"rewards must give each of {', '.join(names)} a finite number in [0, 1]"
    if record.get("rollouts") != record["step"] * rows:
        return f"counts {record.get('rollouts')!r} rollouts; step {record['step']} of this batch has " \
               f"{record['step'] * rows}"
    for key in ("train_seconds", "eval_seconds"):  # read by the report and the result file
        value = record.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            return f"{key} {value!r} is not a finite number >= 0"
    return None


def _refuse(run: RunDir, name: str, step: int, why: str, fix: str = "") -> UsageError:
    return UsageError(f"{run.path / name}: step {step}: {why}" + (f"; {fix}" if fix else ""))


def _check_values(run: RunDir, names: list[str], rows: int) -> None:
    for name, records, problem in ((METRICS, run.metrics, _metric_problem), (EVALS, run.evals, _eval_problem)):
        previous = -1
        for record in records:
            if record["step"] <= previous:
                raise _refuse(run, name, record["step"], f"out of order or repeated (after step {previous})")
            previous = record["step"]
            why = problem(record, names, rows)
            if why:
                raise _refuse(run, name, record["step"], why)


def _check_complete(run: RunDir, upto: int, total: int, every: int, checkpoint: int | None,
                    allow_missing_eval_at: int | None = None) -> None:
    """Every step 1..upto in metrics.jsonl, every scheduled evaluation up to ``upto`` in eval.jsonl."""
    vouched = f"the checkpoint is at step {checkpoint}" if checkpoint else "later steps are recorded"
    have = {r["step"] for r in run.metrics}
    missing = next((s for s in range(1, upto + 1) if s not in have), None)
    if missing is not None:
        raise _refuse(run, METRICS, missing, f"no record, and {vouched}", "the records are damaged: start the "
                      "run again in a new --out")
    have = {r["step"] for r in run.evals}
    unscheduled = sorted(have - set(eval_schedule(total, every, total)))
    if unscheduled:
        raise _refuse(run, EVALS, unscheduled[0], f"not an evaluation step of this run (step 0, every {every} "
                      f"steps and step {total})")
    for step in eval_schedule(total, every, upto):
        if step not in have and step != allow_missing_eval_at:
            fix = "the records are damaged: start the run again in a new --out"
            if step == checkpoint:
                fix = f"`morlbench run --resume --out {run.path}` evaluates it again from the checkpoint"
            raise _refuse(run, EVALS, step, f"no evaluation, and {vouched}", fix)


def check_run(run: RunDir, finished: bool = False) -> Progress:
    """The records of ``run`` as ``report`` and ``submit`` read them: complete up to how far the run got (its last
    checkpoint, or its last step record past it), every value in range. ``finished``: the run must have done
    its whole budget."""
    total, every, rows, names = _config_numbers(run)
    checkpoint, complete = checkpoint_step(run, total)
    _check_values(run, names, rows)
    reached = max([checkpoint or 0] + [r["step"] for r in run.metrics])
    if reached > total:
        raise _refuse(run, METRICS, reached, f"beyond the run's budget of {total} steps")
    if checkpoint is None and reached == total:
        complete = True  # checkpoint removed (to save space): the records alone say the budget was spent
    if finished and not complete:
        raise UsageError(f"{run.path} is not a finished run (its last checkpoint is at step {checkpoint or 0} of "
                         f"{total}); finish it with `morlbench run --resume --out {run.path}`")
    _check_complete(run, reached, total, every, checkpoint)
    return Progress(checkpoint, complete, reached)


def check_resume(run: RunDir) -> int | None:
    """The records a resume keeps (those up to the checkpoint's step), checked before anything is written; the
    checkpoint's step (None: no checkpoint, the run starts over). The evaluation at the checkpoint's step may be
    missing: the resumed run makes it again (``missing_evaluation``)."""
    total, every, rows, names = _config_numbers(run)
    checkpoint, _ = checkpoint_step(run, total)
    if checkpoint is None:
        return None
    kept = RunDir(run.path, [r for r in run.metrics if r["step"] <= checkpoint],
                  [r for r in run.evals if r["step"] <= checkpoint], read_only=True)
    _check_values(kept, names, rows)
    _check_complete(kept, checkpoint, total, every, checkpoint, allow_missing_eval_at=checkpoint)
    return checkpoint


def missing_evaluation(run: RunDir, step: int, total: int, every: int) -> bool:
    """The evaluation due at ``step`` (a resumed run's checkpoint) is not in eval.jsonl."""
    return step in eval_schedule(total, every, step) and all(r["step"] != step for r in run.evals)


def run_dir_of(path: Path, finished: bool = False) -> RunDir:
    """An existing run directory, its records loaded and checked (``check_run``)."""
    from morlbench.results.rundir import open_run

    run = open_run(path)
    check_run(run, finished)
    return run
