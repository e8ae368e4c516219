"""Checkpoints are one unit: a kill at any file boundary of writing one resumes to byte-identical evaluations,
and damaged run state is refused in one line (issue: integrity)."""
import json
import shutil

import pytest

from morlbench.cli import main
from morlbench.engine import checkpoint
from morlbench.run.execute import execute
from tests.factory import read, tiny_spec

BOUNDARIES = ["policy.safetensors", "optimizer.safetensors", "optimizer.json", "state.json", "manifest.json",
              "previous moved aside", "new in place"]


class Killed(BaseException):
    """Stands for kill -9: nothing after it runs (BaseException passes every ``except Exception``)."""


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    out = tmp_path_factory.mktemp("whole") / "run"
    execute(tiny_spec(checkpoint_every=1), out, progress=False)
    return out


@pytest.mark.parametrize("where", BOUNDARIES)
def test_a_kill_at_every_file_boundary_resumes_to_identical_evaluations(where, whole, tmp_path, monkeypatch):
    calls = {"count": 0}

    def kill(name):
        if name == where:
            calls["count"] += 1
            if calls["count"] == 3:  # the third checkpoint: a previous one exists to be moved aside
                raise Killed

    monkeypatch.setattr(checkpoint, "boundary", kill)
    out = tmp_path / "run"
    with pytest.raises(Killed):
        execute(tiny_spec(checkpoint_every=1), out, progress=False)
    monkeypatch.setattr(checkpoint, "boundary", lambda name: None)
    execute(tiny_spec(checkpoint_every=1), out, resume=True, progress=False)
    assert read(out / "eval.jsonl") == read(whole / "eval.jsonl")
    assert [json.loads(l)["step"] for l in read(out / "metrics.jsonl").splitlines()] == [1, 2, 3, 4]
    assert not (out / "checkpoint.new").exists() and not (out / "checkpoint.old").exists()


def damaged(whole, tmp_path, name, edit):
    out = tmp_path / "run"
    shutil.copytree(whole, out)
    edit(out / name)
    return out


@pytest.mark.parametrize("name, edit, message", [
    ("checkpoint/policy.safetensors", lambda p: p.write_bytes(p.read_bytes()[:100]), "does not match the checkpoint"),
    ("checkpoint/policy.safetensors", lambda p: p.write_bytes(p.read_bytes()[:-8] + b"garbled!"), "does not match"),
    ("checkpoint/optimizer.json", lambda p: p.write_text("{"), "does not match the checkpoint"),
    ("checkpoint/manifest.json", lambda p: p.write_text("not json"), "manifest.json is unreadable"),
    ("checkpoint/state.json", lambda p: p.unlink(), "does not match the checkpoint"),
    ("config.json", lambda p: p.write_text("{garbled"), "not a run's configuration"),
    ("eval.jsonl", lambda p: p.write_text(p.read_text() + "{half a record\n"), "line 4: not a record of this run"),
    ("metrics.jsonl", lambda p: p.write_text("[1, 2]\n"), "line 1: not a record of this run"),
])
def test_damaged_run_state_is_one_line_for_resume_report_and_submit(name, edit, message, whole, tmp_path, capsys):
    out = damaged(whole, tmp_path, name, edit)
    commands = [["run", *spec_flags(), "--out", str(out), "--resume", "--no-progress"]]
    if not name.startswith("checkpoint"):
        commands += [["report", str(out)], ["submit", str(out), "--to", str(tmp_path / "results")]]
    for command in commands:
        assert main(command) == 2, command
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], (command, err)
    assert not (tmp_path / "results").exists()


def test_state_counters_a_run_cannot_reach_are_refused(whole, tmp_path, capsys):
    def forge(step):
        out = tmp_path / f"step{step}"
        shutil.copytree(whole, out)
        state_path = out / "checkpoint" / "state.json"
        state = json.loads(state_path.read_text())
        state["counters"]["step"] = step
        state_path.write_text(json.dumps(state))
        manifest = json.loads((out / "checkpoint" / "manifest.json").read_text())
        manifest["state.json"] = checkpoint.file_sha256(state_path)  # a consistent forgery: only the counters lie
        (out / "checkpoint" / "manifest.json").write_text(json.dumps(manifest))
        return out

    for step, message in ((99, "holds step 99, not a step of this 4-step run"), (-5, "holds step -5"),
                          (2, "counts 32 rollouts at step 2")):
        out = forge(step)
        assert main(["run", *spec_flags(), "--out", str(out), "--resume", "--no-progress"]) == 2
        assert message in capsys.readouterr().err


def spec_flags():
    s = tiny_spec(checkpoint_every=1)
    return ["--steps", str(s.steps), "--prompts-per-step", str(s.prompts_per_step), "--group-size", str(s.group_size),
            "--eval-every", str(s.eval_every), "--checkpoint-every", "1", "--eval-batch-size", str(s.eval_batch_size),
            "--max-new-tokens", str(s.max_new_tokens), *(a for k, v in s.task_options.items()
                                                          for a in ("--task-opt", f"{k}={v}"))]
