"""``--backend trl``: TRL's GRPOTrainer samples and updates; the method's weights must reach it every step."""
import json

import numpy as np
import pytest
import torch

from morlbench.cli import main
from morlbench.estimators import estimate
from morlbench.methods.base import MethodContext, RewardBatch, StepInfo
from morlbench.methods.hypervolume import HvMetaReward, HypervolumeWeighting
from morlbench.methods.static import Static

pytest.importorskip("trl")

OBJECTIVES = ("accuracy", "conciseness", "clarity")


def random_batch(seed: int) -> RewardBatch:
    rewards = np.random.default_rng(seed).random((16, 3))
    return RewardBatch(rewards, 4, 0, lambda column: estimate("grpo", column, 4))


@pytest.mark.parametrize("method", [Static(), HypervolumeWeighting(), HvMetaReward()], ids=lambda m: m.name)
def test_linear_methods_advantages_are_the_estimate_of_their_reward_weights(method):
    """The contract the TRL backend relies on, checked after the weights have moved."""
    points = iter(np.random.default_rng(1).random((4, 3)))
    method.setup(MethodContext(OBJECTIVES, np.array([0.5, 0.25, 0.25]), "grpo", 4, 10, 1e-4, 0,
                               validate=lambda: next(points)))
    method.after_step(StepInfo(1, np.zeros(3)))
    method.after_step(StepInfo(2, np.zeros(3)))
    assert method.capabilities().linear_scalarisation
    for seed in range(3):
        batch = random_batch(seed)
        expected = batch.estimate(batch.rewards @ method.reward_weights())
        assert np.allclose(method.advantages(batch), expected, atol=1e-12)


@pytest.mark.parametrize("args, message", [
    (["--method", "gradient"], "method gradient needs per-objective policy gradients"),
    (["--method", "meta-policy"], "method meta-policy schedules its own training"),
    (["--method-opt", "scalarisation=tchebycheff"], "method static (with these settings) neither scalarises"),
    (["--estimator", "rloo"], "--backend trl: --estimator rloo"),
    (["--lora-rank", "4"], "--backend trl: --lora-rank"),
    (["--dtype", "bfloat16-autocast-merged"], "--backend trl: --dtype bfloat16-autocast-merged"),
    (["--backend", "deepspeed"], "unknown backend 'deepspeed'; registered: morlbench, trl"),
])
def test_what_trl_cannot_run_is_refused_in_one_line(args, message, tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["run", "--backend", "trl", *args, "--steps", "8", "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not out.exists()


def test_weights_changed_during_training_take_effect_in_trl(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "--backend", "trl", "--method", "hypervolume", "--method-opt", "eta=5", "--steps", "3",
                 "--prompts-per-step", "2", "--group-size", "4", "--eval-every", "3", "--out", str(out),
                 "--no-progress"]) == 0
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [1, 2, 3]
    used = [np.full(3, 1 / 3)] + [np.asarray(m["weights"]) for m in metrics[:-1]]  # set before each step
    assert not np.allclose(used[1], used[0], atol=1e-3) and not np.allclose(used[2], used[1], atol=1e-3)
    for m, weights in zip(metrics, used):
        rewards = np.asarray(list(m["rewards"].values()))
        # TRL's logged reward is the mean of its weighted sum of our reward columns: the weights it used
        assert m["trl_reward"] == pytest.approx(float(rewards @ weights), abs=1e-5)
    stale = np.asarray(list(metrics[2]["rewards"].values())) @ used[0]
    assert metrics[2]["trl_reward"] != pytest.approx(float(stale), abs=1e-5)
    evals = [json.loads(line) for line in (out / "eval.jsonl").read_text().splitlines()]
    assert [e["step"] for e in evals] == [0, 3]
    config = json.loads((out / "config.json").read_text())
    assert config["spec"]["backend"] == "trl"
    assert (out / "report.json").exists() and (out / "checkpoint" / "state.json").exists()


def test_gdpo_runs_on_trl_as_normalize_then_sum(tmp_path, capsys):
    from types import SimpleNamespace

    from morlbench.integrations.trl_config import grpo_config
    from morlbench.methods.gdpo import GDPO
    from tests.factory import tiny_spec

    spec = tiny_spec(method="gdpo", backend="trl", method_options={"eps": 0.0001})
    loop = SimpleNamespace(spec=spec, max_new_tokens=8, method=GDPO.from_options({"eps": "0.0001"}),
                           engine=SimpleNamespace(device=torch.device("cpu")), show_progress=False,
                           model=SimpleNamespace(policy=SimpleNamespace(dtype=torch.float32), autocast=None))
    assert grpo_config(loop, str(tmp_path / "scratch")).multi_objective_aggregation == "normalize_then_sum"
    assert main(["run", "--backend", "trl", "--method", "gdpo", "--steps", "2", "--out", str(tmp_path / "no"),
                 "--no-progress"]) == 2
    assert "--method-opt eps=0.0001" in capsys.readouterr().err and not (tmp_path / "no").exists()
    out = tmp_path / "run"
    assert main(["run", "--backend", "trl", "--method", "gdpo", "--method-opt", "eps=0.0001", "--steps", "2",
                 "--prompts-per-step", "2", "--group-size", "4", "--eval-every", "2", "--out", str(out),
                 "--no-progress"]) == 0
    assert json.loads((out / "config.json").read_text())["spec"]["method"] == "gdpo"
