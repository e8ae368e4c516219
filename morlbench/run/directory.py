"""Creating a run directory, or reopening one to resume: the rules that keep runs from mixing.

A process that trains in a run directory holds an exclusive ``flock`` on its ``.run.lock`` for as long as it
runs, with its pid and host written inside: a second ``run`` (``--resume`` or not) on that directory is refused
naming the holder. The kernel drops the lock when the holder exits, however it exits, so a killed run never
blocks its own resume.
"""
from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from morlbench.errors import UsageError
from morlbench.results.atomic import atomic_write_json
from morlbench.results.rundir import CONFIG, RunDir, open_run
from morlbench.spec import RunSpec

LOCK = ".run.lock"


def check_out(out: Path, resume: bool) -> None:
    """Where a run may go, checked before anything is created there."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory; choose a directory")
    if resume and not (out / CONFIG).exists():
        raise UsageError(f"--resume: {out} holds no run to resume")
    if not resume and out.is_dir() and not (out / CONFIG).exists() and any(p.name != LOCK for p in out.iterdir()):
        raise UsageError(f"--out {out} exists and is not empty; choose a new directory")


def _holder(fd: int) -> str:
    """Who holds the lock, as its holder wrote it (it writes just after locking: wait a moment for it)."""
    for _ in range(20):
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
        if text:
            return text
        time.sleep(0.05)
    return "a process that has not written its name yet"


@contextmanager
def holding(out: Path, resume: bool) -> Iterator[None]:
    """The run directory ``out`` (created when new), locked for this process while the block runs."""
    import fcntl

    check_out(out, resume)
    created = [p for p in (out, *out.parents) if not p.exists()]  # removed again if no run was started in it
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write there ({exc.strerror})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"{out} is in use: another morlbench process trains in it ({_holder(fd)}); wait for "
                             "it to end or stop it") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on host {socket.gethostname()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # still held: nobody reads a released holder's name
            if created and not (out / CONFIG).exists():  # refused before the run began: nothing half-written
                (out / LOCK).unlink(missing_ok=True)
                for directory in created:
                    if directory.is_dir() and not any(directory.iterdir()):
                        directory.rmdir()
    finally:
        os.close(fd)  # releases the lock


def prepare_run_dir(out: Path, resume: bool, config: dict[str, Any]) -> RunDir:
    """A new run directory, or the existing one when resuming a run with the same settings."""
    if (out / CONFIG).exists():
        if not resume:
            raise UsageError(f"--out {out} already holds a run; pass --resume to continue it or choose another --out")
        run = open_run(out)
        stored = RunSpec.normalised(run.config()["spec"])
        if stored != config["spec"]:
            changed = sorted(k for k in config["spec"] if stored.get(k) != config["spec"][k])
            raise UsageError(f"--resume: settings differ from the stored run in {', '.join(changed)}")
        before, now = run.config().get("resolved", {}).get("dtype"), config["resolved"]["dtype"]
        if before is not None and before != now:
            raise UsageError(f"--resume: the run computed in {before} and would go on in {now} here (--dtype "
                             f"{config['spec']['dtype']} resolves by machine); resume it with --dtype {before}")
        return run
    if resume:
        raise UsageError(f"--resume: {out} holds no run to resume")
    if out.exists() and any(p.name != LOCK for p in out.iterdir()):
        raise UsageError(f"--out {out} exists and is not empty; choose a new directory")
    out.mkdir(parents=True, exist_ok=True)
    try:  # the claim: two runs started at once on one --out cannot both create it
        atomic_write_json(out / CONFIG, config, exclusive=True)
    except FileExistsError:
        raise UsageError(f"--out {out} was just claimed by another run; choose another --out") from None
    return RunDir(out)
