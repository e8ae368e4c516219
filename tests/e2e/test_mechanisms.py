"""Every dynamic method's mechanism acts at its defaults on the embedded task (docs/methods.md): a default 20-step
run of ``gradient`` and of ``hypervolume`` moves its weights by an L1 distance of at least 0.05 from the start,
and the report says so; ``hv-meta-reward`` logs its contribution c and multiplier m at every step."""
import json
import math

import pytest

from morlbench.run.execute import execute
from morlbench.spec import RunSpec


@pytest.mark.slow
@pytest.mark.parametrize("method", ["gradient", "hypervolume"])
def test_default_twenty_step_run_moves_its_weights(method, tmp_path):
    execute(RunSpec(method=method, steps=20), tmp_path, progress=False)
    report = json.loads((tmp_path / "report.json").read_text())
    mechanism = report["mechanism"]
    assert mechanism["weight_l1_final"] >= 0.05, mechanism
    assert mechanism["signal_steps"] == mechanism["signal_measured"] == 20
    assert "Mechanism: weights moved by L1" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize("estimator", ["grpo", "rloo"])
def test_hv_meta_reward_logs_its_contribution_and_multiplier_every_step(estimator, tmp_path):
    """Logged and reported under both estimators; under grpo the report says the multiplier is inert by
    construction (the method's declared inert_estimators, recorded in config.json), under rloo it does not."""
    from tests.factory import tiny_spec

    execute(tiny_spec(method="hv-meta-reward", steps=3, eval_every=3, checkpoint_every=3, estimator=estimator),
            tmp_path, progress=False)
    logs = [json.loads(line)["method"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert all({"contribution", "multiplier", "signal"} <= set(log) for log in logs)
    assert all(log["multiplier"] == pytest.approx(0.5 + 1.5 * math.tanh(log["contribution"]))
               for log in logs)
    report = json.loads((tmp_path / "report.json").read_text())
    mechanism = report["mechanism"]
    assert mechanism["signal_measured"] == 3 and mechanism["weight_l1_final"] == 0.0
    assert mechanism["multiplier_min"] == min(log["multiplier"] for log in logs)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["resolved"]["method_capabilities"]["inert_estimators"] == ["grpo", "reinforce++"]
    text = (tmp_path / "report.md").read_text()
    assert "reward multiplier between" in text
    assert (mechanism.get("inert_under") == "grpo") == (estimator == "grpo")
    assert ("inert by construction under grpo" in text) == (estimator == "grpo")
