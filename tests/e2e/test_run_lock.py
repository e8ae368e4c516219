"""A run directory is locked while a process trains in it (issue #34): a second `run --resume` or `run --out` on it
is refused in one line naming the holder; a killed holder's lock blocks nothing."""
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from morlbench.cli import main
from morlbench.errors import UsageError
from morlbench.run.directory import LOCK, holding

FLAGS = ["--task", "arith", "--method", "static", "--steps", "400", "--prompts-per-step", "2", "--group-size", "4",
         "--max-new-tokens", "48", "--eval-every", "200", "--checkpoint-every", "200", "--task-opt", "select_size=12",
         "--task-opt", "report_size=16", "--task-opt", "val_size=4", "--no-progress"]


def _cli(*args):
    return subprocess.Popen([sys.executable, "-m", "morlbench", "run", *FLAGS, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for_holder(out, process, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (out / "config.json").exists() and (out / LOCK).exists() and (out / LOCK).read_text().strip():
            return (out / LOCK).read_text().strip()
        assert process.poll() is None, process.communicate()
        time.sleep(0.2)
    raise AssertionError("the first run never took its lock")


def test_a_second_run_on_a_directory_in_training_is_refused_naming_the_holder(tmp_path, capsys):
    out = tmp_path / "run"
    first = _cli("--out", str(out))
    try:
        holder = _wait_for_holder(out, first)
        assert holder == f"pid {first.pid} on host {socket.gethostname()}"
        for extra in (["--resume"], []):  # the contender: this process
            assert main(["run", *FLAGS, "--out", str(out), *extra]) == 2
            err = capsys.readouterr().err
            lines = err.strip().splitlines()
            assert len(lines) == 1 and "Traceback" not in err, err
            assert f"{out} is in use: another morlbench process trains in it ({holder})" in lines[0]
        assert first.poll() is None  # the holder goes on, untouched
    finally:
        os.kill(first.pid, signal.SIGKILL)  # a crash: the kernel drops the lock with the process
        first.wait()
    with holding(out, resume=True):  # a dead holder's lock does not block its resume
        assert (out / LOCK).read_text() == f"pid {os.getpid()} on host {socket.gethostname()}\n"
    assert (out / LOCK).read_text() == ""  # released on exit


def test_the_lock_is_per_holder_and_released_on_exit(tmp_path):
    out = tmp_path / "run"
    with holding(out, resume=False):
        with pytest.raises(UsageError, match=rf"is in use: .*\(pid {os.getpid()} on host "):
            with holding(out, resume=False):
                pass
    with holding(out, resume=False):  # released: taken again
        pass


def test_an_output_that_is_not_a_directory_is_refused_before_anything_is_created(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(UsageError, match="is not a directory"):
        with holding(target, resume=False):
            pass
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("x")
    with pytest.raises(UsageError, match="exists and is not empty"):
        with holding(tmp_path / "full", resume=False):
            pass
    assert sorted(p.name for p in (tmp_path / "full").iterdir()) == ["notes.txt"]


def test_a_run_refused_after_the_lock_leaves_no_directory_behind(tmp_path):
    out = tmp_path / "new" / "run"
    with pytest.raises(RuntimeError):
        with holding(out, resume=False):
            raise RuntimeError("refused before anything was written")
    assert not (tmp_path / "new").exists()
