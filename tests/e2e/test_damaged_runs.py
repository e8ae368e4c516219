"""A damaged-run corpus (issue #34): `report`, `submit` and `run --resume` check eval.jsonl and metrics.jsonl against
the checkpoint and refuse in one line naming the file and the step, before writing anything; a lost final
evaluation is made again by the resume, to the same bytes."""
import json
import math
import shutil

import pytest

from morlbench.cli import main
from morlbench.errors import UsageError
from morlbench.run.execute import execute
from tests.factory import tiny_spec


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """A finished tiny run: evaluations at steps 0, 2, 4, metrics of steps 1-4, its checkpoint at step 4."""
    out = tmp_path_factory.mktemp("whole") / "run"
    execute(tiny_spec(), out, progress=False)
    return out


def _records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _rewrite(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def _edit(name, step, change):
    def damage(run):
        records = _records(run / name)
        change(next(r for r in records if r["step"] == step))
        _rewrite(run / name, records)
    return damage


def _drop(name, step):
    def damage(run):
        _rewrite(run / name, [r for r in _records(run / name) if r["step"] != step])
    return damage


def _config_without(*keys):
    def damage(run):
        config = json.loads((run / "config.json").read_text())
        table = config
        for key in keys[:-1]:
            table = table[key]
        del table[keys[-1]]
        (run / "config.json").write_text(json.dumps(config))
    return damage


def _checkpoint_a_file(run):
    shutil.rmtree(run / "checkpoint")
    (run / "checkpoint").write_text("not a checkpoint")


def _set(key, index, value):
    def change(record):
        record[key][index] = value
    return change


def _repeat(name, step):
    def damage(run):
        records = _records(run / name)
        records.insert(records.index(next(r for r in records if r["step"] == step)), dict(records[1]))
        _rewrite(run / name, records)
    return damage


# (damage, what the one-line refusal names)
CORPUS = {
    "eval.jsonl deleted": (lambda run: (run / "eval.jsonl").unlink(), "eval.jsonl: step 0: no evaluation"),
    "eval.jsonl emptied": (lambda run: (run / "eval.jsonl").write_text(""), "eval.jsonl: step 0: no evaluation"),
    "step-0 evaluation removed": (_drop("eval.jsonl", 0), "eval.jsonl: step 0: no evaluation"),
    "middle evaluation removed": (_drop("eval.jsonl", 2), "eval.jsonl: step 2: no evaluation"),
    "objective NaN": (_edit("eval.jsonl", 2, _set("objectives", 0, math.nan)), "eval.jsonl: step 2: objectives"),
    "objective 5.0": (_edit("eval.jsonl", 2, _set("objectives", 1, 5.0)), "eval.jsonl: step 2: objectives"),
    "report value infinite": (_edit("eval.jsonl", 4, _set("report", 2, math.inf)), "eval.jsonl: step 4: report"),
    "by-difficulty value negative": (_edit("eval.jsonl", 2, lambda r: r["by_difficulty"]["1"].__setitem__(0, -1)),
                                     "eval.jsonl: step 2: by_difficulty"),
    "rollouts forged": (_edit("eval.jsonl", 2, lambda r: r.__setitem__("rollouts", 1)), "eval.jsonl: step 2: counts"),
    "evaluation repeated": (_repeat("eval.jsonl", 2), "eval.jsonl: step 2: out of order or repeated"),
    "evaluation off the schedule": (_edit("eval.jsonl", 2, lambda r: r.update(step=3, rollouts=24)),
                                    "eval.jsonl: step 3: not an evaluation step"),
    "metrics.jsonl deleted": (lambda run: (run / "metrics.jsonl").unlink(), "metrics.jsonl: step 1: no record"),
    "metrics.jsonl emptied": (lambda run: (run / "metrics.jsonl").write_text(""), "metrics.jsonl: step 1: no record"),
    "middle step record removed": (_drop("metrics.jsonl", 3), "metrics.jsonl: step 3: no record"),
    "training reward NaN": (_edit("metrics.jsonl", 2, lambda r: r["rewards"].__setitem__("accuracy", math.nan)),
                            "metrics.jsonl: step 2: rewards"),
    "config.json without comparability": (_config_without("comparability"), "config.json: not a run's configuration "
                                          "(no comparability)"),
    "config.json without objectives": (_config_without("task", "objectives"), "(no task.objectives)"),
    "checkpoint a file": (_checkpoint_a_file, "checkpoint: not a directory"),
    "checkpoint state replaced": (lambda run: (run / "checkpoint" / "state.json").write_text("{}"),
                                  "state.json does not match the checkpoint's manifest"),
}


def _damaged(whole, tmp_path, case):
    run = tmp_path / "run"
    shutil.copytree(whole, run)
    CORPUS[case][0](run)
    return run


def _one_line_refusal(capsys, expected):
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert expected in err, err
    return err


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_report_refuses_a_damaged_run_in_one_line(case, whole, tmp_path, capsys):
    run = _damaged(whole, tmp_path, case)
    (run / "report.md").unlink()
    assert main(["report", str(run)]) == 2
    _one_line_refusal(capsys, CORPUS[case][1])
    assert not (run / "report.md").exists()


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_submit_refuses_a_damaged_run_in_one_line(case, whole, tmp_path, capsys):
    run = _damaged(whole, tmp_path, case)
    assert main(["submit", str(run), "--to", str(tmp_path / "results")]) == 2
    _one_line_refusal(capsys, CORPUS[case][1])
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_resume_refuses_a_damaged_run_before_writing(case, whole, tmp_path):
    run = _damaged(whole, tmp_path, case)
    def files():
        return {p.name: p.read_bytes() for p in run.iterdir() if p.is_file() and p.name != ".run.lock"}

    before = files()
    with pytest.raises(UsageError) as refused:
        execute(tiny_spec(), run, resume=True, progress=False)
    assert CORPUS[case][1] in str(refused.value) and "\n" not in str(refused.value)
    assert files() == before


def test_an_undamaged_copy_reports_and_submits(whole, tmp_path, capsys):
    run = _damaged(whole, tmp_path, "eval.jsonl deleted")
    shutil.copy(whole / "eval.jsonl", run / "eval.jsonl")
    assert main(["report", str(run)]) == 0
    assert main(["submit", str(run), "--to", str(tmp_path / "results")]) == 0


def test_a_lost_final_evaluation_is_refused_by_report_and_made_again_by_resume(whole, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(whole, run)
    _drop("eval.jsonl", 4)(run)
    assert main(["report", str(run)]) == 2
    err = _one_line_refusal(capsys, "eval.jsonl: step 4: no evaluation, and the checkpoint is at step 4")
    assert "--resume" in err
    assert main(["submit", str(run), "--to", str(tmp_path / "results")]) == 2
    capsys.readouterr()
    execute(tiny_spec(), run, resume=True, progress=False)
    assert (run / "eval.jsonl").read_bytes() == (whole / "eval.jsonl").read_bytes()
    assert json.loads((run / "report.json").read_text())["final_step"] == 4
    assert main(["submit", str(run), "--to", str(tmp_path / "results")]) == 0
