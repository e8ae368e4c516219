"""Claiming a run directory is one step: of two runs started at once on one --out, exactly one gets it."""
import multiprocessing

import pytest

from morlbench.errors import UsageError
from morlbench.run.directory import prepare_run_dir


def _claim(out, barrier, answers):
    barrier.wait()
    try:
        prepare_run_dir(out, False, {"spec": {}})
        answers.put("claimed")
    except UsageError as exc:
        answers.put(str(exc))


def test_two_runs_started_at_once_on_one_out_never_both_claim_it(tmp_path):
    ctx = multiprocessing.get_context("fork")
    for trial in range(10):
        out = tmp_path / f"run{trial}"
        barrier, answers = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_claim, args=(out, barrier, answers)) for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(30)
        got = sorted(answers.get(timeout=5) for _ in procs)
        assert got.count("claimed") == 1, got
        refusal = next(a for a in got if a != "claimed")
        assert refusal.startswith(f"--out {out} "), refusal  # one line naming the directory


def test_a_claimed_directory_is_refused_without_resume(tmp_path):
    prepare_run_dir(tmp_path / "run", False, {"spec": {}})
    with pytest.raises(UsageError, match="already holds a run"):
        prepare_run_dir(tmp_path / "run", False, {"spec": {}})
