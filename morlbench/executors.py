"""Where a suite's runs execute: worker processes on this machine, or Ray tasks on a cluster."""
from __future__ import annotations

import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import active_children, get_context
from pathlib import Path
from typing import Any

from morlbench.errors import UsageError


def execute_planned(spec: dict[str, Any], out: str, resume: bool) -> dict[str, Any]:
    """Run one planned run (in a worker process); never raises: a failure comes back as its message."""
    from morlbench.run.execute import execute
    from morlbench.spec import RunSpec

    began = time.perf_counter()
    try:
        execute(RunSpec.from_dict(spec), Path(out), resume=resume, progress=False)
        return {"status": "done", "seconds": round(time.perf_counter() - began, 1)}
    except Exception as exc:  # one failed run must not stop the suite
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return {"status": "failed", "seconds": round(time.perf_counter() - began, 1), "error": last}


EXECUTORS = ("local", "ray")


def local_runs(todo: list, jobs: int) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Each run in its own process on this machine, ``jobs`` at a time. An interrupt (SIGINT, or SIGTERM turned
    into one by the CLI) stops the workers too: each run stops where it is and resumes from its last checkpoint."""
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"))
    finished = False
    try:
        futures = {}
        for item in todo:
            run, resume, _ = item
            futures[pool.submit(execute_planned, run.spec.to_dict(), str(run.out.resolve()), resume)] = item
        for future in as_completed(futures):
            yield futures[future], future.result()
        finished = True
    finally:
        if not finished:
            pool.shutdown(wait=False, cancel_futures=True)
            stop_children()
        pool.shutdown(wait=True)


def stop_children(grace: float = 10.0) -> None:
    """SIGTERM to every worker process of this one, SIGKILL to those still alive after ``grace`` seconds."""
    children = active_children()
    for child in children:
        child.terminate()
    deadline = time.monotonic() + grace
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            child.kill()


def ray_runs(todo: list, jobs: int, address: str | None) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Each run as a Ray task (num_cpus = its torch threads) on the connected cluster; a local instance of
    ``jobs`` CPUs is started (and stopped) when none is connected and no address is given."""
    try:
        import ray
    except ImportError:
        raise UsageError("--executor ray needs Ray: pip install 'morlbench[ray]'") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, num_cpus=None if address else jobs, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    try:
        refs = {}
        for item in todo:
            run, resume, _ = item
            task = ray.remote(num_cpus=run.spec.threads)(execute_planned)
            refs[task.remote(run.spec.to_dict(), str(run.out.resolve()), resume)] = item
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield refs[done[0]], ray.get(done[0])
    finally:
        if started:
            ray.shutdown()


