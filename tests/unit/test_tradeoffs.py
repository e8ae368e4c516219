
import numpy as np
import pytest

from morlbench import registry
from morlbench.errors import UsageError
from morlbench.metrics.tradeoffs import (
    centred_cross_products,
    correlation,
    cosine_matrix,
    pair_verdicts,
)
from morlbench.run.resolve import resolve
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
        assert task.version.startswith(f"{name}-d2s2v")
        arith = registry.lookup("tasks", "arith")()
        assert [p.prompt for p in task.split("report")[:3]] == [p.prompt for p in arith.split("report")[:3]]
    assert registry.lookup("tasks", "arith-aligned")().objectives[1].rule == "strict"


def test_objectives_may_add_registered_extras_and_errors_name_them():
    r = resolve(RunSpec(objectives=["accuracy", "conciseness", "closing-phrase"]))
    assert r.task.objective_names == ("accuracy", "conciseness", "closing-phrase")
    with pytest.raises(UsageError, match="accepted: accuracy, conciseness, clarity, closing-phrase, length-budget"):
        resolve(RunSpec(objectives=["accuracy", "brevity"]))
