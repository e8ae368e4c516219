import json
import textwrap

import pytest

from morlbench.cli import main
from morlbench.errors import UsageError
from morlbench.executors import execute_planned
from morlbench.sweep import load_suite, run_state, run_suite

SUITE = """
name = "tiny"
tasks = ["arith", "arith-conflict"]
seeds = [0]

[budget]
steps = 1
prompts_per_step = 2
group_size = 2

[settings]
eval_every = 1
max_new_tokens = 16
gradient_cosine_every = 0

[[methods]]
name = "static"
weights = [[0.9, 0.1], [0.1, 0.9]]
[[methods]]
name = "hypervolume"
label = "hv"
[methods.grid]
eta = [0.1, 0.2]
"""


def write_suite(tmp_path, text=SUITE):
    path = tmp_path / "suite.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_suite_expands_tasks_methods_settings_and_seeds(tmp_path):
    text = SUITE.replace('tasks = ["arith", "arith-conflict"]', 'tasks = ["arith-conflict", "arith-aligned"]')
    suite = load_suite(write_suite(tmp_path, text), tmp_path / "out")
    names = sorted(str(r.out.relative_to(tmp_path / "out")) for r in suite.runs)
    # protocol 3: the listed weights, else a single-policy method runs once from each preference of W
    w_dirs = ("w0.5-0.5", "w0.75-0.25", "w0.375-0.625")
    assert names == sorted([f"{t}/static/{w}/seed0" for t in ("arith-conflict", "arith-aligned")
                            for w in ("w0.9-0.1", "w0.1-0.9")] +
                           [f"{t}/{label}/{w}/seed0" for t in ("arith-conflict", "arith-aligned")
                            for label in ("hv_eta=0.1", "hv_eta=0.2") for w in w_dirs])
    hv = [r for r in suite.runs if r.label == "hv_eta=0.2"][0]
    assert hv.spec.method_options == {"eta": 0.2} and hv.spec.steps == 1 and hv.spec.max_new_tokens == 16
    assert hv.spec.weights == [0.5, 0.5] and {r.label for r in suite.runs} == {"static", "hv_eta=0.1", "hv_eta=0.2"}


def test_a_preference_serving_method_runs_once_and_an_entry_may_set_its_own_run_settings(tmp_path):
    text = SUITE.replace('tasks = ["arith", "arith-conflict"]', 'tasks = ["arith"]').replace(
        'weights = [[0.9, 0.1], [0.1, 0.9]]', 'settings = { estimator = "rloo" }').replace('name = "hypervolume"',
                                                                                        'name = "soups"')
    text = text.replace("[methods.grid]\neta = [0.1, 0.2]\n", "").replace("steps = 1", "steps = 3")
    suite = load_suite(write_suite(tmp_path, text), tmp_path / "out")
    assert sorted(str(r.out.relative_to(tmp_path / "out")) for r in suite.runs if r.label == "hv") == ["arith/hv/seed0"]
    assert {r.spec.estimator for r in suite.runs if r.label == "static"} == {"rloo"}


@pytest.mark.parametrize("change, message", [
    (("[budget]\nsteps = 1\n", "[budget]\n"), "must fix steps"),
    (("name = \"static\"\nweights", "name = \"statik\"\nweights"), "unknown method 'statik'"),
    (("eval_every = 1", "eval_evry = 1"), "unknown key 'eval_evry'"),
    (("eta = [0.1, 0.2]", "eta = 0.1"), "every grid value must be a non-empty list"),
    (("eval_every = 1", "eval_every = 1\nengine = { lrr = 0.1 }"), "unknown engine setting 'lrr'"),
    (("weights = [[0.9, 0.1], [0.1, 0.9]]", "weights = [[0.9, 0.1, 0.0]]"), "has 3 values"),
])
def test_bad_suites_are_refused_before_anything_runs(tmp_path, change, message):
    text = SUITE.replace('tasks = ["arith", "arith-conflict"]', 'tasks = ["arith-conflict"]').replace(*change)
    with pytest.raises(UsageError, match=message):
        load_suite(write_suite(tmp_path, text), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_sweep_runs_skips_done_runs_and_reports_failures(tmp_path, capsys):
    text = SUITE.replace('tasks = ["arith", "arith-conflict"]', 'tasks = ["arith-conflict"]')
    text = text.replace('[[methods]]\nname = "hypervolume"\nlabel = "hv"\n[methods.grid]\neta = [0.1, 0.2]\n', "")
    path, out = write_suite(tmp_path, text), tmp_path / "out"
    suite = load_suite(path, out)
    # A directory that already holds other settings is a failure of that run only.
    blocker = suite.runs[1]
    blocker.out.mkdir(parents=True)
    (blocker.out / "config.json").write_text(json.dumps({"spec": {"seed": 99}}))
    assert main(["sweep", str(path), "--out", str(out), "--jobs", "2", "--no-progress"]) == 1
    assert f"comparison report: {out / 'comparison' / 'comparison.md'}" in capsys.readouterr().out  # of what finished
    record = json.loads((out / "sweep.json").read_text())
    statuses = [r["status"] for r in record["runs"]]
    assert statuses == ["done", "failed"] and "other settings" in record["runs"][1]["error"]
    assert (suite.runs[0].out / "report.md").exists()
    assert run_state(suite.runs[0]) == "done"
    # Run again: the finished run is skipped, not rerun.
    before = (suite.runs[0].out / "metrics.jsonl").stat().st_mtime_ns
    rows = run_suite(load_suite(path, out), jobs=1, progress=False)
    assert rows[0]["status"] == "skipped (done)"
    assert (suite.runs[0].out / "metrics.jsonl").stat().st_mtime_ns == before
    capsys.readouterr()
    assert main(["sweep", str(path), "--out", str(out), "--dry-run"]) == 0
    assert "done" in capsys.readouterr().out


def test_a_run_whose_result_file_is_committed_is_not_rerun_on_another_machine(tmp_path, capsys):
    text = SUITE.replace('tasks = ["arith", "arith-conflict"]', 'tasks = ["arith"]')
    text = text.replace("seeds = [0]", f'seeds = [0]\nleaderboard = "{tmp_path / "results"}"')
    text = text.replace("[[0.9, 0.1], [0.1, 0.9]]", "[[0.333333, 0.333333, 0.333333], [0.5, 0.25, 0.25], "
                        "[0.25, 0.375, 0.375]]")
    text = text.replace('[[methods]]\nname = "hypervolume"\nlabel = "hv"\n[methods.grid]\neta = [0.1, 0.2]\n', "")
    path = write_suite(tmp_path, text)
    assert {r["status"] for r in run_suite(load_suite(path, tmp_path / "first"), progress=False)} == {"done"}
    committed = sorted((tmp_path / "results").rglob("*.json"))
    assert len(committed) == 3  # one entry: its runs from each w of W
    # A fresh machine (no run directories) skips the run whose result file is there ...
    rows = run_suite(load_suite(path, tmp_path / "second"), progress=False)
    assert {r["status"] for r in rows} == {"skipped (committed)"} and sorted(r["result"] for r in rows) == \
        sorted(map(str, committed))
    assert not (tmp_path / "second" / "arith").exists()
    assert main(["sweep", str(path), "--out", str(tmp_path / "second"), "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith("committed")
    # The closing comparison takes the committed run from its result file.
    assert main(["sweep", str(path), "--out", str(tmp_path / "second"), "--no-progress"]) == 0
    capsys.readouterr()
    assert "3 runs, 1 comparability group(s)" in (tmp_path / "second" / "comparison" / "comparison.md").read_text()
    # ... but not a run of other settings, nor another seed.
    from morlbench.sweep import committed_elsewhere

    for change in (("steps = 1", "steps = 2"), ("seeds = [0]", "seeds = [1]"), ("0.5, 0.25, 0.25", "0.6, 0.2, 0.2")):
        other = load_suite(write_suite(tmp_path, text.replace(*change)), tmp_path / "other")
        assert committed_elsewhere(other, other.runs[1]) is None, change
    # A seed recorded here and one committed from elsewhere are one entry in the closing comparison.
    mixed = write_suite(tmp_path, text.replace("seeds = [0]", "seeds = [0, 1]"))
    assert main(["sweep", str(mixed), "--out", str(tmp_path / "mixed"), "--no-progress"]) == 0
    table = (tmp_path / "mixed" / "comparison" / "comparison.md").read_text()
    assert "6 runs" in table and "| static |" in table and " | 2 |" in table and "~" not in table
    capsys.readouterr()


def test_a_run_that_raises_comes_back_as_a_failure(tmp_path):
    result = execute_planned({"task": "arith", "steps": 1, "report_split": "nope"}, str(tmp_path / "x"), False)
    assert result["status"] == "failed" and "unknown split 'nope'" in result["error"]


@pytest.fixture()
def local_ray():
    """A local Ray instance started by the test and stopped afterwards."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()
    assert not ray.is_initialized()


@pytest.mark.slow
def test_sweep_on_ray_runs_the_suite_as_ray_tasks(tmp_path, local_ray):
    text = SUITE.replace('tasks = ["arith", "arith-conflict"]', 'tasks = ["arith-conflict"]')
    text = text.replace('[[methods]]\nname = "hypervolume"\nlabel = "hv"\n[methods.grid]\neta = [0.1, 0.2]\n', "")
    suite = load_suite(write_suite(tmp_path, text), tmp_path / "out")
    rows = run_suite(suite, jobs=2, progress=False, executor="ray")
    assert [r["status"] for r in rows] == ["done", "done"]
    assert all((run.out / "report.json").exists() for run in suite.runs)
    assert local_ray.is_initialized()  # a cluster the caller connected stays connected
    # The same suite again: nothing to run.
    assert [r["status"] for r in run_suite(suite, executor="ray")] == ["skipped (done)"] * 2


def test_unknown_executor_is_refused(tmp_path):
    one_task = SUITE.replace('tasks = ["arith", "arith-conflict"]', 'tasks = ["arith-conflict"]')
    suite = load_suite(write_suite(tmp_path, one_task), tmp_path / "o")
    with pytest.raises(UsageError, match="--executor 'slurm' is not one of local, ray"):
        run_suite(suite, executor="slurm")


def test_a_second_sweep_on_a_held_directory_is_refused(tmp_path):
    import fcntl

    text = SUITE.replace('tasks = ["arith", "arith-conflict"]', 'tasks = ["arith-conflict"]')
    suite = load_suite(write_suite(tmp_path, text), tmp_path / "out")
    suite.path.mkdir(parents=True)
    with open(suite.path / ".sweep.lock", "a+") as held:  # as the first sweep holds it
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(UsageError, match=f"another sweep is running in {suite.path}"):
            run_suite(suite)
    assert not (suite.path / "arith-conflict").exists()  # nothing was started


def _alive(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            return "\tZ" not in next(line for line in status if line.startswith("State:"))
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_sigterm_stops_the_sweep_and_its_workers_and_the_suite_resumes(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    text = SUITE.replace("steps = 1", "steps = 40").replace("eval_every = 1", "eval_every = 20")
    text = text.replace('tasks = ["arith", "arith-conflict"]', 'tasks = ["arith-conflict"]')
    text = text.replace("eta = [0.1, 0.2]", "eta = [0.1]")  # 2 static runs, hv from each of W's 3 vectors
    path, out = write_suite(tmp_path, text), tmp_path / "out"
    command = [sys.executable, "-m", "morlbench", "sweep", str(path), "--out", str(out), "--jobs", "2", "--no-progress"]
    sweep = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while len(list(out.glob("arith-conflict/*/*/seed0/metrics.jsonl"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)  # both workers are training
    with open(f"/proc/{sweep.pid}/task/{sweep.pid}/children") as listing:
        workers = [int(pid) for pid in listing.read().split()]
    assert workers
    sweep.send_signal(signal.SIGTERM)
    assert sweep.wait(timeout=60) == 130
    assert "interrupted" in sweep.stderr.read()
    time.sleep(1)
    assert not [pid for pid in workers if _alive(pid)]  # no orphan keeps running its run
    assert not list(out.glob("arith-conflict/hv_eta=0.1/*/seed0/report.json"))
    # the rerun resumes every interrupted run and finishes the suite
    assert main(["sweep", str(path), "--out", str(out), "--jobs", "2", "--no-progress"]) == 0
    assert len(list(out.glob("arith-conflict/*/*/seed0/report.json"))) == 5


def test_a_suites_comparison_is_of_its_swept_runs_and_tuning_candidates_are_labelled_by_entry(tmp_path):
    """`morlbench tune` puts its candidates under the suite's directory: the closing comparison (and `morlbench
    report SUITE_DIR`) reads the runs the sweep record lists; a directory of candidates compares them by entry."""
    import shutil

    from morlbench.report.comparison import find_records
    from morlbench.run.execute import execute
    from morlbench.spec import RunSpec

    execute(RunSpec(task="arith-conflict", steps=1, prompts_per_step=2, group_size=2, eval_every=1,
                    max_new_tokens=16, gradient_cosine_every=0), tmp_path / "run", progress=False)
    suite = tmp_path / "suite"
    for below in ("arith-conflict/static/seed0", "tuning/arith-conflict/static/tune-lr=0.001/seed0",
                  "tuning/arith-conflict/hv/tune-lr=0.001/w0.5-0.5/seed0"):
        shutil.copytree(tmp_path / "run", suite / below)
    other = "tuning/arith-conflict/hv/tune-lr=0.001/w0.5-0.5/seed0"  # a failed row: "holds other settings"
    (suite / "sweep.json").write_text(json.dumps({"suite": "s", "runs": [
        {"dir": "arith-conflict/static/seed0", "status": "done"}, {"dir": other, "status": "failed"}]}))
    runs, records = find_records([suite])
    assert [run.path for run in runs] == [suite / "arith-conflict/static/seed0"] and records[0].label == "static"
    _, records = find_records([suite / "tuning"])
    assert sorted(r.label for r in records) == ["hv@lr=0.001", "static@lr=0.001"]
    (suite / "sweep.json").write_text(json.dumps({"suite": "s"}))
    with pytest.raises(UsageError, match="is not a sweep record"):
        find_records([suite])
    for outside in ("../run", str(tmp_path / "run")):  # a run outside the suite's directory is not its run
        (suite / "sweep.json").write_text(json.dumps({"suite": "s", "runs": [{"dir": outside, "status": "done"}]}))
        with pytest.raises(UsageError, match="is outside"):
            find_records([suite])
