import json

import numpy as np
import pytest

from morlbench import registry
from morlbench.errors import UsageError
from morlbench.metrics.tradeoffs import (
    centred_cross_products, correlation, cosine_matrix, pair_verdicts, tradeoff_summary,
)
from morlbench.runner import execute, resolve
from morlbench.spec import RunSpec
from morlbench.tasks.base import Problem, Sample
from morlbench.tasks.objectives import ClosingPhrase, LengthBudget


def test_correlation_is_taken_within_prompt_groups():
    # Group 1: accuracy and length trade off exactly; group 2: both constant (a hard prompt, all wrong, all long).
    rewards = np.array([[1, 0], [0, 1], [1, 0], [0, 1], [0, 0], [0, 0], [0, 0], [0, 0]], dtype=float)
    r = correlation(centred_cross_products(rewards, group_size=4))
    assert r[0, 1] == pytest.approx(-1.0) and r[0, 0] == pytest.approx(1.0)
    # Pooled over prompts, the hard prompt would pull the two together; within groups it adds nothing.
    pooled = np.corrcoef(rewards.T)[0, 1]
    assert pooled > -1.0


def test_correlation_matches_numpy_on_centred_data_and_is_nan_without_variation():
    rng = np.random.default_rng(0)
    rewards = rng.random((24, 3))
    rewards[:, 2] = 0.5
    groups = rewards.reshape(6, 4, 3)
    centred = (groups - groups.mean(axis=1, keepdims=True)).reshape(24, 3)
    r = correlation(centred_cross_products(rewards, 4))
    expected = (centred[:, 0] @ centred[:, 1]) / np.sqrt((centred[:, 0] ** 2).sum() * (centred[:, 1] ** 2).sum())
    assert r[0, 1] == pytest.approx(expected)
    assert np.isnan(r[0, 2]) and np.isnan(r[2, 2])


def test_cosine_matrix_hand_checked():
    c = cosine_matrix([[1.0, 0.0], [1.0, 1.0], [-2.0, 0.0], [0.0, 0.0]])
    assert c[0, 1] == pytest.approx(2 ** -0.5)
    assert c[0, 2] == pytest.approx(-1.0)
    assert np.isnan(c[0, 3])


def test_pair_verdicts():
    names = ("a", "b", "c", "d")
    corr = np.array([[1, 0.5, -0.4, 0.02], [0.5, 1, 0.3, np.nan], [-0.4, 0.3, 1, 0.0], [0.02, np.nan, 0.0, 1]])
    cos = np.array([[1, 0.2, -0.2, 0.01], [0.2, 1, -0.3, np.nan], [-0.2, -0.3, 1, 0.0], [0.01, np.nan, 0.0, 1]])
    verdicts = {v.objectives: v.verdict for v in pair_verdicts(names, corr, [cos, cos])}
    assert verdicts[("a", "b")] == "aligned"
    assert verdicts[("a", "c")] == "conflicting"
    assert verdicts[("a", "d")] == "independent"
    assert verdicts[("b", "c")] == "mixed (rewards aligned, gradients conflicting)"
    assert verdicts[("b", "d")] == "unmeasured"
    only_rewards = {v.objectives: v.verdict for v in pair_verdicts(names, corr, [])}
    assert only_rewards[("b", "c")] == "aligned"
    # Cosines that swing from step to step decide nothing: the correlation's label stands, marked so.
    noisy = [cos * 0 + 0.5, cos * 0 - 0.6, cos * 0 + 0.4]
    verdicts = {v.objectives: v for v in pair_verdicts(names, corr, noisy)}
    assert verdicts[("a", "b")].verdict == "aligned (gradient cosines inconclusive)"
    low, high = verdicts[("a", "b")].cosine_interval
    assert low < 0 < high and verdicts[("a", "b")].cosine_steps == 3


def sample(text: str, tokens: int) -> Sample:
    return Sample(Problem("p", "q", "1"), text, tokens)


def test_extra_objectives_score_as_documented():
    budget, phrase = LengthBudget(8), ClosingPhrase("Done.")
    samples = [sample("\\boxed{12}", 6), sample("12 + 3 = 15. \\boxed{15}\nDone.  ", 17), sample("x Done", 8)]
    assert budget.train_rewards(samples, None).tolist() == [1.0, 0.0, 1.0]
    assert phrase.train_rewards(samples, None).tolist() == [0.0, 1.0, 0.0]
    assert phrase.eval_value(samples, None) == pytest.approx(1 / 3)
    with pytest.raises(UsageError, match="at least 1 token"):
        LengthBudget(0)


def test_variants_declare_their_objectives_versions_and_models():
    expected = {"arith-conflict": (("accuracy", "length-budget"), "tiny-arith"),
                "arith-aligned": (("accuracy", "clarity"), "tiny-arith"),
                "arith-independent": (("accuracy", "closing-phrase"), "tiny-arith-signoff")}
    for name, (objectives, model) in expected.items():
        task = registry.lookup("tasks", name)()
        assert task.objective_names == objectives and task.default_model == model
        assert task.version.startswith(f"{name}-d1s1v")
        assert [p.prompt for p in task.split("eval")[:3]] == [p.prompt for p in registry.lookup("tasks", "arith")().split("eval")[:3]]
    assert registry.lookup("tasks", "arith-aligned")().objectives[1].rule == "strict"


def test_objectives_may_add_registered_extras_and_errors_name_them():
    r = resolve(RunSpec(objectives=["accuracy", "conciseness", "closing-phrase"]))
    assert r.task.objective_names == ("accuracy", "conciseness", "closing-phrase")
    with pytest.raises(UsageError, match="accepted: accuracy, conciseness, clarity, closing-phrase, length-budget"):
        resolve(RunSpec(objectives=["accuracy", "brevity"]))


@pytest.fixture(scope="module")
def diagnosed_runs(tmp_path_factory):
    base = dict(task="arith-conflict", steps=2, prompts_per_step=4, group_size=4, eval_every=2)
    runs = {}
    for every in (0, 1):
        out = tmp_path_factory.mktemp(f"cos{every}")
        execute(RunSpec(**base, gradient_cosine_every=every), out, progress=False)
        runs[every] = out
    return runs


def test_run_reports_carry_the_tradeoff_analysis(diagnosed_runs):
    out = diagnosed_runs[1]
    report = json.loads((out / "report.json").read_text())
    tradeoffs = report["tradeoffs"]
    assert len(tradeoffs["gradient_cosine_by_step"]) == 2 and tradeoffs["rollouts"] == 32
    assert tradeoffs["pairs"][0]["objectives"] == ["accuracy", "length-budget"]
    assert tradeoffs["pairs"][0]["cosine_steps"] == 2
    assert (out / "tradeoffs.png").stat().st_size > 10_000
    text = (out / "report.md").read_text()
    assert "## Trade-offs between objectives" in text and "![trade-offs](tradeoffs.png)" in text
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    summary = tradeoff_summary(["accuracy", "length-budget"], metrics)
    assert summary["correlation"] == tradeoffs["correlation"]


def test_gradient_diagnostic_does_not_change_training(diagnosed_runs):
    off, on = ((diagnosed_runs[k] / "eval.jsonl").read_text() for k in (0, 1))
    assert off == on
    report = json.loads((diagnosed_runs[0] / "report.json").read_text())
    assert report["tradeoffs"]["gradient_cosine_by_step"] == []
    assert "not computed" in (diagnosed_runs[0] / "report.md").read_text()
