"""A whole run: resolve the spec, load the model, prepare the directory, train, write the report."""
from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from morlbench.errors import UsageError
from morlbench.registry import contained, plugin_failure
from morlbench.results.atomic import atomic_write_json
from morlbench.results.runcheck import check_resume, missing_evaluation
from morlbench.results.rundir import FAILURE, open_run
from morlbench.run.directory import holding, prepare_run_dir
from morlbench.run.resolve import Resolved, load_model, resolve
from morlbench.spec import RunSpec

if TYPE_CHECKING:
    from morlbench.engine.distributed import Ranks
    from morlbench.run.loop import Loop


def check_processes(r: Resolved, processes: int) -> None:
    """Refuses what data parallelism cannot run, before anything touches the disk."""
    if processes > 1 and not r.method.capabilities().data_parallel:
        raise UsageError(f"method {r.spec.method} does not run under several processes "
                         f"({processes} launched); run it in one process")
    if r.spec.prompts_per_step % processes:
        raise UsageError(f"prompts_per_step={r.spec.prompts_per_step} does not split over {processes} processes; "
                         f"use a multiple of {processes}")


def execute(spec: RunSpec, out: Path, resume: bool = False, progress: bool = True, stop_after: int | None = None,
            log_to: Sequence[str] = ()) -> Path:
    """Run ``spec`` into ``out`` (or continue it with ``resume``) and write its report. ``stop_after``: stop once
    that many steps are done, as an interrupted run would (``StoppedEarly``), to check resumption. ``log_to``:
    experiment trackers (tensorboard, wandb) that receive every step, evaluation and the final report."""
    with contained():  # a plugin calling sys.exit while the run is set up fails the run in one line
        return _execute(spec, out, resume, progress, stop_after, log_to)


def _execute(spec: RunSpec, out: Path, resume: bool, progress: bool, stop_after: int | None,
             log_to: Sequence[str]) -> Path:
    from morlbench.engine.distributed import current_ranks
    from morlbench.run.tracking import check_trackers

    r = resolve(spec)
    check_trackers(list(log_to))
    ranks = current_ranks(r.device)
    check_processes(r, ranks.count)
    r.backend.check(r, resume, ranks.count)
    if ranks.active and r.device == "cuda":
        r.device = f"cuda:{ranks.local_index}"
    # The main process holds the run directory's lock from here to the end; the others only read it.
    with holding(out, resume) if ranks.is_main else contextlib.nullcontext():
        if resume and ranks.is_main:
            check_resume(open_run(out))  # before anything is written: the records the resume keeps are whole
        return _train(spec, r, ranks, out, resume, progress, stop_after, log_to)


def _train(spec: RunSpec, r: Resolved, ranks: Ranks, out: Path, resume: bool, progress: bool,
           stop_after: int | None, log_to: Sequence[str]) -> Path:
    import torch

    from morlbench.report.run_report import stored_reference, write_run_report
    from morlbench.run.loop import Loop
    from morlbench.run.policy import check_model_fits
    from morlbench.run.provenance import build_config
    from morlbench.run.tracking import open_tracking
    from morlbench.runfile import RUN_FILE, write_run_file

    torch.set_num_threads(spec.threads)
    torch.manual_seed(spec.seed)
    model = load_model(r)
    check_model_fits(r, model)
    config = build_config(r, model, ranks.count)
    # The main process owns the run directory; the others follow it read-only once it exists.
    run = prepare_run_dir(out, resume, config) if ranks.is_main else None
    if ranks.is_main and not resume:
        write_run_file(spec, out / RUN_FILE)
    ranks.barrier()
    run = run or dataclasses.replace(open_run(out), read_only=True)
    if progress and ranks.is_main:
        say_start(spec, r, out, resume)
    loop = Loop(r, model, run, progress, ranks)
    loop.stop_after = stop_after
    loop.tracking = open_tracking(list(log_to), out, config["spec"]) if ranks.is_main else None
    try:
        with model.computing():  # bfloat16 autocast where the run's precision chose it
            if resume:
                loop.restore()
            if missing_evaluation(run, loop.budget.step, spec.steps, spec.eval_every):
                redo_evaluation(loop)
            r.backend.train(loop)
        loop.progress.close()
    except BaseException as exc:
        loop.progress.close()
        failure = plugin_failure(exc) or exc  # a plugin that called sys.exit failed the run, nobody interrupted it
        if ranks.is_main and isinstance(failure, Exception):  # an interrupted run is resumable, a failed one is not
            record_failure(out, failure, loop.budget.step)
        if loop.tracking is not None:
            loop.tracking.close()
        if failure is not exc:
            raise failure from None
        raise
    if ranks.is_main:
        (out / FAILURE).unlink(missing_ok=True)
        report = write_run_report(out, *stored_reference(out))  # the shipped reference, as `morlbench report`
        if loop.tracking is not None:
            loop.tracking.finish(report, (out / "report.md").read_text())
    ranks.barrier()
    return out


def redo_evaluation(loop: Loop) -> None:
    """The evaluation due at the step training stands at, made now: step 0 of a new run, or the one a resumed run's
    checkpoint vouches for but eval.jsonl lost. The checkpoint counted its tokens already; they are counted once."""
    before = [e for e in loop.run.evals if e["step"] < loop.budget.step]
    loop.budget.eval_tokens = before[-1].get("eval_tokens_total", 0) if before else 0
    loop.evaluate_now()


def say_start(spec: RunSpec, r: Resolved, out: Path, resume: bool) -> None:
    """The start line: what runs, where, on what (before the step-0 evaluation, which takes a while)."""
    what = "resuming" if resume else "run"
    print(f"morlbench: {what} {spec.method} on {spec.task} (seed {spec.seed}): {spec.steps} steps of "
          f"{spec.prompts_per_step} prompts x {spec.group_size} rollouts, evaluated every {spec.eval_every}; "
          f"model {r.model_source.name}, device {r.device}; into {out}", file=sys.stderr)


def record_failure(out: Path, exc: Exception, step: int) -> None:
    """failure.json: why the run stopped, so that no tool reads the directory as a finished run."""
    atomic_write_json(out / FAILURE, {"error": f"{type(exc).__name__}: {exc}", "step": step})
