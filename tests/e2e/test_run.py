"""End-to-end runs on the embedded model: run directory contents, determinism, resume, bad input."""
import json

import numpy as np
import pytest
import torch

from morlbench.cli import main
from morlbench.errors import UsageError
from morlbench.run.execute import execute
from tests.factory import interrupt_then_resume, read
from tests.factory import tiny_spec as small_spec


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "a"
    execute(small_spec(), out, progress=False)
    return out


def test_run_directory_is_complete(reference_run):
    out = reference_run
    for name in ("config.json", "metrics.jsonl", "eval.jsonl", "report.json", "report.md", "curves.png", "front.png",
                 "checkpoint/policy.safetensors", "checkpoint/optimizer.safetensors", "checkpoint/state.json"):
        assert (out / name).exists(), name
    config = json.loads(read(out / "config.json"))
    assert config["spec"]["engine"]["lr"] > 0 and config["spec"]["estimator"] == "grpo"
    assert config["task"]["version"].startswith("arith-")
    assert config["versions"]["torch"] and config["comparability"]["batch"] == "2x4"
    assert config["provenance"]["cpu_capability"] == torch.backends.cpu.get_cpu_capability() != ""
    metrics = [json.loads(l) for l in read(out / "metrics.jsonl").splitlines()]
    assert [m["step"] for m in metrics] == [1, 2, 3, 4]
    assert set(metrics[0]["rewards"]) == {"accuracy", "conciseness", "clarity"}
    assert metrics[-1]["rollouts"] == 4 * 8 and metrics[0]["weights"] == pytest.approx([1 / 3] * 3, abs=1e-6)
    evals = [json.loads(l) for l in read(out / "eval.jsonl").splitlines()]
    assert [e["step"] for e in evals] == [0, 2, 4]
    assert all(0 <= v <= 1 for e in evals for v in e["objectives"])
    report = json.loads(read(out / "report.json"))
    # protocol 3: the start on the selection split; what the run delivers, its final policy, on the report split
    assert report["initial"] == evals[0]["objectives"] and report["final"] == evals[-1]["report"]
    fronts = [r["front"] for r in report["hypervolume_by_step"]]  # the trajectory: selection points so far
    assert fronts == sorted(fronts) and report["protocol3"]["delivered"] == [evals[-1]["report"]]
    assert report["metrics"]["hypervolume"] == pytest.approx(float(np.prod(evals[-1]["report"])), abs=1e-6)
    assert ["report" in e for e in evals] == [False, False, True]  # the report split only for what is delivered
    first = [json.loads(line) for line in read(out / "eval_samples" / "step-000000.jsonl").splitlines()]
    assert {s["split"] for s in first} == {"selection"} and len(first) == 12
    samples = [json.loads(line) for line in read(out / "eval_samples" / "step-000004.jsonl").splitlines()]
    assert {s["split"] for s in samples} == {"selection", "report"} and len(samples) == 12 + 16
    assert np.mean([s["values"][0] for s in samples if s["split"] == "report"]) == pytest.approx(evals[-1]["report"][0])


def test_same_seed_gives_identical_evaluations(reference_run, tmp_path):
    execute(small_spec(), tmp_path / "b", progress=False)
    assert read(tmp_path / "b" / "eval.jsonl") == read(reference_run / "eval.jsonl")


def test_resume_continues_to_the_same_result(reference_run, tmp_path, monkeypatch):
    out = tmp_path / "c"
    interrupt_then_resume(small_spec(), out, monkeypatch)
    assert read(out / "eval.jsonl") == read(reference_run / "eval.jsonl")
    assert [json.loads(l)["step"] for l in read(out / "metrics.jsonl").splitlines()] == [1, 2, 3, 4]


def test_existing_run_directory_needs_resume(reference_run):
    with pytest.raises(UsageError, match="already holds a run; pass --resume"):
        execute(small_spec(), reference_run, progress=False)
    with pytest.raises(UsageError, match="settings differ from the stored run in seed"):
        execute(small_spec(seed=1), reference_run, resume=True, progress=False)


@pytest.mark.parametrize("args, message", [
    (["--weights", "1,-1,1"], "--weights [1.0, -1.0, 1.0]: every value must be >= 0"),
    (["--weights", "a,b,c"], "expected comma-separated floats"),
    (["--weights", "0,0,0"], "at least one weight must be positive"),
    (["--steps", "0"], "--steps 0: must be >= 1"),
    (["--task", "arithm"], "unknown task 'arithm'; did you mean arith, "),
    (["--model", "tiny"], "unknown model 'tiny'"),
    (["--task-opt", "clarity_rule=pretty"], "clarity_rule 'pretty': not one of loose, strict"),
    (["--method-opt", "scalarisation=max"], "scalarisation 'max': not one of linear, tchebycheff"),
    (["--device", "tpu"], "--device 'tpu': not one of auto, cpu, cuda"),
    (["--objectives", "accuracy,style"], "--objectives: style not an objective of task arith"),
    (["--objectives", "accuracy"], "choose 2 to 4 different objectives"),
    (["--objectives", "accuracy,clarity", "--weights", "1,1,1"], "--weights has 3 values; the task has 2 objectives"),
    # the values of issue 19 that gave tracebacks or were accepted
    (["--model", "/etc"], "--model /etc: the directory holds no model saved with save_pretrained"),
    (["--lr", "inf"], "--lr inf: expected a finite number"),
    (["--temperature", "1e-300"], "--temperature 1e-300: must be >= 0.01"),
    (["--seed", "1e20"], "--seed: '1e20' is not a valid int"),
    (["--group-size", "100000"], "--group-size 100000: must be >= 1 and <= 1024"),
    (["--max-new-tokens", "100000"], "--max-new-tokens 100000: must be >= 1 and <= 32768"),
    (["--lora-rank", "100000"], "--lora-rank 100000: must be >= 0 and <= 4096"),
    (["--weights="], "--weights []: expected comma-separated floats"),
    (["--model="], "--model: must not be empty"),
    (["--max-new-tokens", "300"], "--max-new-tokens 300: more than the model's 256 positions; use at most 256"),
    (["--lora-rank", "200"], "--lora-rank 200: larger than the model's hidden size 128"),
])
def test_bad_input_is_one_line_and_writes_nothing(args, message, tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["run", *args, "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not out.exists()


def test_tchebycheff_static_runs(tmp_path):
    out = tmp_path / "t"
    execute(small_spec(steps=2, method_options={"scalarisation": "tchebycheff"}), out, progress=False)
    config = json.loads(read(out / "config.json"))
    assert config["resolved"]["method_settings"]["scalarisation"] == "tchebycheff"
    report = read(out / "report.md")  # the header names the variant and its settings, weights in 3 digits
    assert report.startswith("# static, tchebycheff on arith (seed 0)\n")
    assert "weights (0.333, 0.333, 0.333)" in report and "Method settings: scalarisation = tchebycheff" in report
    every = json.loads(read(out / "config.json"))["spec"]["gradient_cosine_every"]
    assert f"no step diagnosed (every {every} steps; the run is shorter)" in report


@pytest.mark.parametrize("method", ["hypervolume", "gradient", "hv-meta-reward"])
def test_dynamic_methods_run_log_weights_and_count_validation(method, tmp_path):
    out = tmp_path / method
    execute(small_spec(method=method, steps=3, eval_every=3, checkpoint_every=3), out, progress=False)
    metrics = [json.loads(l) for l in read(out / "metrics.jsonl").splitlines()]
    assert all(len(m["weights"]) == 3 for m in metrics)
    generated_in_training = sum(m["mean_length"] * 8 for m in metrics)
    if method == "gradient":
        assert all(len(m["method"]["influences"]) == 3 for m in metrics)
        assert metrics[-1]["tokens"] == pytest.approx(generated_in_training, abs=3 * 8)  # EOS counted in tokens
    else:
        assert all(len(m["method"]["validation"]) == 3 for m in metrics)
        # validation generations (initial + one per step) are counted in the budget
        assert metrics[-1]["tokens"] > generated_in_training + 4 * 4
    moved = max(abs(w - 1 / 3) for w in metrics[-1]["weights"])
    if method == "hv-meta-reward":
        assert moved < 1e-6  # the released rule never changes the weights
    else:
        assert moved > 1e-3


@pytest.mark.parametrize("method", ["hypervolume", "gradient"])
def test_dynamic_methods_resume_exactly(method, tmp_path, monkeypatch):
    """Method state (weights, buffer front, reference point) survives an interruption."""
    spec = dict(method=method, steps=4, eval_every=2, checkpoint_every=2)
    execute(small_spec(**spec), tmp_path / "whole", progress=False)
    interrupt_then_resume(small_spec(**spec), tmp_path / "cut", monkeypatch)
    assert read(tmp_path / "cut" / "eval.jsonl") == read(tmp_path / "whole" / "eval.jsonl")
    whole = [json.loads(l) for l in read(tmp_path / "whole" / "metrics.jsonl").splitlines()]
    cut = [json.loads(l) for l in read(tmp_path / "cut" / "metrics.jsonl").splitlines()]
    assert [m["weights"] for m in cut] == [m["weights"] for m in whole]
    assert [m["tokens"] for m in cut] == [m["tokens"] for m in whole]


def test_two_objective_run_scores_and_reports_only_those(tmp_path):
    out = tmp_path / "two"
    execute(small_spec(steps=2, objectives=["conciseness", "accuracy"], weights=[0.3, 0.7]), out, progress=False)
    config = json.loads(read(out / "config.json"))
    assert config["comparability"]["objectives"] == ["conciseness", "accuracy"]
    metrics = [json.loads(l) for l in read(out / "metrics.jsonl").splitlines()]
    assert list(metrics[0]["rewards"]) == ["conciseness", "accuracy"]
    evals = [json.loads(l) for l in read(out / "eval.jsonl").splitlines()]
    report = json.loads(read(out / "report.json"))
    assert all(len(e["objectives"]) == 2 for e in evals) and report["objective_names"] == ["conciseness", "accuracy"]
    c, a = evals[-1]["objectives"]
    assert report["hypervolume_by_step"][-1]["policy"] == pytest.approx(c * a, abs=1e-6)  # one point: a rectangle


def test_evaluation_progress_counts_problems_within_each_split(tmp_path, capsys):
    execute(small_spec(steps=2, eval_batch_size=4), tmp_path / "run", progress=True)
    err = capsys.readouterr().err
    # 12 selection and 16 report problems, decoded 4 at a time: the bar says how far each split has come.
    for shown in ("evaluating step 0, selection 0/12", "evaluating step 0, selection 4/12",
                  "evaluating step 0, selection 12/12", "evaluating step 2, report 8/16",
                  "evaluating step 2, report 16/16"):
        assert shown in err, shown


@pytest.mark.parametrize("dtype", ["bfloat16-autocast", "bfloat16-autocast-merged"])
def test_a_bfloat16_autocast_lora_run_is_recorded_as_such_and_resumes_exactly(tmp_path, monkeypatch, dtype):
    spec = small_spec(dtype=dtype, lora_rank=4)
    execute(spec, tmp_path / "whole", progress=False)
    config = json.loads(read(tmp_path / "whole" / "config.json"))
    assert config["resolved"]["dtype"] == dtype
    assert config["comparability"]["precision"] == dtype  # not comparable with float32 runs, nor with each other
    assert "bfloat16_units" in config["provenance"]
    # frozen weights are kept in bfloat16; a checkpoint holds them so, and a resumed run computes the same
    interrupt_then_resume(spec, tmp_path / "resumed", monkeypatch)
    assert read(tmp_path / "resumed" / "eval.jsonl") == read(tmp_path / "whole" / "eval.jsonl")


def test_resuming_at_another_precision_is_refused(tmp_path):
    import json as _json

    spec = small_spec(steps=2, eval_every=2, checkpoint_every=1)
    out = tmp_path / "r"
    execute(spec, out, progress=False)
    config = _json.loads(read(out / "config.json"))
    config["resolved"]["dtype"] = "bfloat16-autocast"  # as a machine with bfloat16 units would have resolved auto
    (out / "config.json").write_text(_json.dumps(config))
    with pytest.raises(UsageError, match="computed in bfloat16-autocast and would go on in float32"):
        execute(spec, out, resume=True, progress=False)
