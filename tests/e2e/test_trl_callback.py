"""morlbench inside a TRL script: the documented example (examples/trl_callback.py, docs/trl.md) runs a few steps
in a user's own GRPOTrainer, the method's weights reach TRL's reward aggregation each step, and ``morlbench report``
reads the run directory it writes. Refusals are one line, before anything is written."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from morlbench.cli import main
from morlbench.errors import UsageError

trl = pytest.importorskip("trl")

EXAMPLE = Path(__file__).parents[2] / "examples" / "trl_callback.py"
SMALL = ["--task-opt", "select_size=8", "--task-opt", "report_size=8", "--task-opt", "val_size=4"]


@pytest.mark.slow  # about 35 s on a shared 2-core machine
def test_the_documented_example_runs_and_morlbench_report_reads_its_run(tmp_path):
    out = tmp_path / "trl-hypervolume"
    done = subprocess.run([sys.executable, str(EXAMPLE), "--out", str(out), "--steps", "3", "--eval-every", "2",
                           *SMALL], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    evals = [json.loads(line) for line in (out / "eval.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [1, 2, 3] and [e["step"] for e in evals] == [0, 2, 3]
    # the weights each step used: uniform, then those the method logged after the previous step
    used = [np.full(3, 1 / 3)] + [np.asarray(m["weights"]) for m in metrics[:-1]]
    assert not np.allclose(used[1], used[0], atol=1e-3)  # hypervolume moved them
    for m, weights in zip(metrics, used):
        rewards = np.asarray(list(m["rewards"].values()))
        assert m["trl_reward"] == pytest.approx(float(rewards @ weights), abs=1e-5)  # TRL summed with them
        assert m["method"]["signal"] is not None
    config = json.loads((out / "config.json").read_text())
    assert config["spec"]["backend"] == "trl" and config["spec"]["steps"] == 3
    assert config["spec"]["prompts_per_step"] == 4 and config["spec"]["group_size"] == 4
    assert config["trl"]["num_generations"] == 4 and config["comparability"]["engine"] == "trl"
    written = json.loads((out / "report.json").read_text())
    (out / "report.json").unlink()
    assert main(["report", str(out)]) == 0
    rebuilt = json.loads((out / "report.json").read_text())
    assert rebuilt["metrics"]["hypervolume"] == written["metrics"]["hypervolume"] is not None
    assert rebuilt["mechanism"]["signal_steps"] == 3 and (out / "curves.png").exists()


def config(tmp_path, **overrides):
    fields = dict(output_dir=str(tmp_path / "scratch"), max_steps=2, per_device_train_batch_size=4,
                  num_generations=2, max_completion_length=8, logging_steps=1, report_to=[], use_cpu=True)
    return trl.GRPOConfig(**{**fields, **overrides})


@pytest.mark.parametrize("overrides, settings, message", [
    ({}, {"method": "gradient"}, "method gradient needs per-objective policy gradients"),
    ({}, {"method": "static", "method_options": {"scalarisation": "tchebycheff"}}, "neither scalarises"),
    ({"logging_steps": 10}, {}, "GRPOConfig logging_steps=10: every step is recorded"),
    ({"num_iterations": 2}, {}, "GRPOConfig num_iterations=2"),
    ({"scale_rewards": "batch"}, {}, "GRPOConfig scale_rewards='batch'"),
    ({"max_steps": -1}, {}, "GRPOConfig max_steps=-1"),
    ({"multi_objective_aggregation": "normalize_then_sum"}, {}, "multi_objective_aggregation='sum_then_normalize'"),
    ({}, {"steps": 5}, "steps come from the GRPOConfig; set them there"),
    ({}, {"eval_evry": 5}, "unknown setting 'eval_evry'"),
    ({}, {"eval_every": 0}, "--eval-every 0: must be >= 1"),
])
def test_what_the_callback_cannot_record_is_refused_in_one_line(tmp_path, overrides, settings, message):
    from morlbench.integrations.trl import MorlbenchCallback

    out = tmp_path / "never"
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")) as refused:
        MorlbenchCallback(config(tmp_path, **overrides), out, **settings)
    assert "\n" not in str(refused.value) and not out.exists()


def test_a_trainer_not_attached_or_on_other_rewards_is_refused_before_the_run_is_written(tmp_path):
    from morlbench.integrations.trl import MorlbenchCallback

    out = tmp_path / "run"
    args = config(tmp_path)
    morl = MorlbenchCallback(args, out, task_options={"select_size": 4, "report_size": 4})

    def other(completions, **_):
        return [0.0] * len(completions)

    trainer = trl.GRPOTrainer(model=morl.model.policy, processing_class=morl.model.tokenizer,
                              reward_funcs=[other] * 3, train_dataset=morl.train_dataset, args=args, callbacks=[morl])
    with pytest.raises(UsageError, match=r"call callback.attach\(trainer\) before trainer.train\(\)"):
        trainer.train()
    morl.attach(trainer)
    with pytest.raises(UsageError, match=r"reward_funcs=...\) must be callback.reward_funcs"):
        trainer.train()
    assert not out.exists()


def test_docs_show_the_example_as_it_is():
    doc = (Path(__file__).parents[2] / "docs" / "trl.md").read_text()
    assert f"```python\n{EXAMPLE.read_text()}```" in doc
