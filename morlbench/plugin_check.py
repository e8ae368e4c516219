"""``morlbench check-plugin NAME``: a registered method, objective or metric taken through the contract in
seconds, on the embedded task at a toy size (in the spirit of BenchOpt's generic solver tests).

A method must run, keep every contract check (docs/plugins.md, "The contract"), give the same evaluations when
run twice, resume from a checkpoint to the same evaluations as an uninterrupted run, and submit. An objective
must do the same inside a static run. A metric must return a storable value, the same on two calls.
"""
from __future__ import annotations

import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from morlbench import registry
from morlbench.errors import UsageError

CHECKED_KINDS = ("methods", "objectives", "metrics")
TOY = dict(task="arith", steps=5, prompts_per_step=2, group_size=2, max_new_tokens=8, eval_every=1,
           checkpoint_every=1, gradient_cosine_every=0,
           task_options={"train_size": 64, "val_size": 8, "select_size": 8, "report_size": 8})


@dataclass(frozen=True)
class Check:
    what: str
    passed: bool
    detail: str = ""


def kind_of(name: str, kind: str | None) -> str:
    """The registry ``name`` is checked in: the given one, or the only checked kind that holds it."""
    if kind is not None:
        if kind not in CHECKED_KINDS:
            raise UsageError(f"--kind {kind!r}: check-plugin checks {', '.join(CHECKED_KINDS)}")
        registry.lookup(kind, name)  # unknown names raise with suggestions
        return kind
    holders = [k for k in CHECKED_KINDS if name in registry.names(k)]
    if not holders:
        raise UsageError(f"{name!r} is not a registered method, objective or metric (`morlbench list`)")
    if len(holders) > 1:
        raise UsageError(f"{name!r} is registered as {' and '.join(holders)}; choose one with --kind")
    return holders[0]


def check_plugin(name: str, kind: str | None = None, root: Path | None = None) -> list[Check]:
    """Every check of ``name``, in order; a failing check ends the list (later ones depend on it)."""
    kind = kind_of(name, kind)
    with tempfile.TemporaryDirectory(prefix="morlbench-check-") as tmp:
        work = Path(root or tmp)
        steps = {"methods": _method_steps, "objectives": _objective_steps, "metrics": _metric_steps}[kind](name, work)
        return _run_steps(steps)


def _run_steps(steps: list[tuple[str, Callable[[], str]]]) -> list[Check]:
    checks = []
    for what, step in steps:
        try:
            checks.append(Check(what, True, step() or ""))
        except Exception as exc:  # what the plugin did wrong, in one line
            checks.append(Check(what, False, traceback.format_exception_only(type(exc), exc)[-1].strip()))
            break
    return checks


def _toy_run(out: Path, stop_after: int | None = None, resume: bool = False, **overrides: Any) -> Path:
    from morlbench.run.execute import execute
    from morlbench.run.loop import StoppedEarly
    from morlbench.spec import RunSpec

    try:
        return execute(RunSpec(**{**TOY, **overrides}), out, resume=resume, progress=False, stop_after=stop_after)
    except StoppedEarly:
        return out


def _same_evaluations(a: Path, b: Path, what: str) -> str:
    if (a / "eval.jsonl").read_bytes() != (b / "eval.jsonl").read_bytes():
        raise AssertionError(f"eval.jsonl differs between {a.name} and {b.name}: {what}")
    return "eval.jsonl identical"


def _run_steps_for(work: Path, overrides: dict[str, Any]) -> list[tuple[str, Callable[[], str]]]:
    full, again, resumed = work / "full", work / "again", work / "resumed"

    def runs() -> str:
        _toy_run(full, **overrides)
        return f"{TOY['steps']} steps of {TOY['prompts_per_step']}x{TOY['group_size']}, every contract check kept"

    def resume() -> str:
        _toy_run(resumed, stop_after=3, **overrides)
        _toy_run(resumed, resume=True, **overrides)
        return _same_evaluations(full, resumed, "the method's state_dict/load_state_dict lose state")

    def submits() -> str:
        from morlbench.results.submission import submit

        return f"result file {submit(full, work / 'results').name}"

    def deterministic() -> str:
        _toy_run(again, **overrides)
        return _same_evaluations(full, again, "something is not seeded from the run's seed")

    return [("runs on the embedded task", runs), ("deterministic (same seed, same evaluations)", deterministic),
            ("resumes to the same evaluations", resume),
            ("submits a result file", submits)]


def _method_steps(name: str, work: Path) -> list[tuple[str, Callable[[], str]]]:
    return _run_steps_for(work, {"method": name})


def _objective_steps(name: str, work: Path) -> list[tuple[str, Callable[[], str]]]:
    return _run_steps_for(work, {"objectives": ["accuracy", name]})


def _metric_steps(name: str, work: Path) -> list[tuple[str, Callable[[], str]]]:
    import numpy as np

    from morlbench.compare.records import from_run_dir
    from morlbench.contract import check_metric_value
    from morlbench.metrics.compute import MetricInputs, compute
    from morlbench.metrics.pareto import hypervolume, nondominated
    from morlbench.results.rundir import open_run

    metric = registry.lookup("metrics", name)
    values: list[Any] = []

    def value() -> str:
        record = from_run_dir(open_run(_toy_run(work / "run")))
        points = np.asarray(record.points, dtype=np.float64)
        front = nondominated(points)
        served = (np.eye(points.shape[1]), front[np.arange(points.shape[1]) % len(front)])
        hv_ref = max(float(hypervolume(front)), 0.01)  # any positive HV_ref: the toy run's front may be tiny
        inputs = MetricInputs(points, record.evals, front, hv_ref, served)
        values.extend([compute(metric, inputs), compute(metric, inputs)])
        return f"{getattr(metric, 'kind', '?')} metric: {str(check_metric_value(values[0], name))[:60]}"

    def deterministic() -> str:
        if repr(values[0]) != repr(values[1]):
            raise AssertionError(f"two calls on the same inputs gave {values[0]!r} and {values[1]!r}")
        return "same value on two calls"

    def declared() -> str:
        missing = [a for a in ("name", "description", "kind", "higher_is_better") if not hasattr(metric, a)]
        if missing:
            raise AssertionError(f"the metric class lacks {', '.join(missing)}")
        return f"higher_is_better = {metric.higher_is_better}"

    return [("declares name, description, kind and higher_is_better", declared),
            ("returns a value a result file can store", value), ("deterministic", deterministic)]
