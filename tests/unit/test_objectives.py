import numpy as np
import pytest

from morlbench.errors import UsageError
from morlbench.run.budget import RunningMeanLength
from morlbench.tasks.base import Problem, Sample
from morlbench.tasks.objectives import Accuracy, Clarity, Conciseness, ScoreContext, integer_equal, is_clear, last_boxed

P = Problem("p", "prompt", "56", 2)


def s(text, n=10):
    return Sample(P, text, n)


@pytest.mark.parametrize("text, expected", [
    ("so \\boxed{56}.", "56"),
    ("\\boxed{1} then \\boxed{56}", "56"),
    ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
    ("no box", None),
    ("\\boxed{12", None),
    ("\\boxed{7} and finally \\boxed{12", None),  # the paper's rule: an unterminated LAST box is no answer
    ("\\boxed{2}" + "\\boxed{" * 150_000, None),  # hostile: a closed box, then 150,000 unterminated ones
    ("\\boxed{}", ""),
])
def test_last_boxed(text, expected):
    assert last_boxed(text) == expected


@pytest.mark.parametrize("boxed, ok", [("56", True), (" 56 ", True), ("+56", True), ("056", True),
                                       ("5 6", True), ("56.0", False), ("x=56", False), (None, False), ("", False)])
def test_integer_equal(boxed, ok):
    assert integer_equal(boxed, "56") is ok


def test_accuracy_rewards_and_eval():
    acc = Accuracy()
    samples = [s("\\boxed{56}"), s("\\boxed{55}"), s("56"), s("\\boxed{1}\\boxed{56}")]
    ctx = ScoreContext(96, 10.0)
    assert acc.train_rewards(samples, ctx).tolist() == [1, 0, 0, 1]
    assert acc.eval_value(samples, ctx) == 0.5


def test_conciseness_running_mean_rule_is_strictly_below_mean():
    con = Conciseness()
    samples = [s("a", 5), s("b", 10), s("c", 15)]
    assert con.train_rewards(samples, ScoreContext(96, 10.0)).tolist() == [1, 0, 0]


def test_conciseness_continuous_and_eval():
    con = Conciseness("continuous")
    samples = [s("a", 0), s("b", 48), s("c", 200)]
    ctx = ScoreContext(96, float("nan"))
    assert con.train_rewards(samples, ctx).tolist() == [1.0, 0.5, 0.0]
    # Eval: 1 - mean(min(len, L))/L = 1 - (0 + 48 + 96)/3/96 = 0.5
    assert con.eval_value(samples, ctx) == pytest.approx(0.5)


def test_unknown_rules_are_usage_errors():
    with pytest.raises(UsageError, match="conciseness rule"):
        Conciseness("short")
    with pytest.raises(UsageError, match="clarity rule"):
        Clarity("pretty")


NUMBERED = "Step 1: 23 + 45 = 68.\nStep 2: 68 - 12 = 56.\nThe answer is \\boxed{56}."
INLINE = "23 + 45 = 68, 68 - 12 = 56. \\boxed{56}"
INLINE_ONE = "23 + 45 = 68. \\boxed{68}"


@pytest.mark.parametrize("text, loose, strict", [
    (NUMBERED, True, True),
    (INLINE, True, False),          # the paper's loose rule: " - " and "56." count as enumerators
    (INLINE_ONE, False, False),     # one enumerator only
    ("\\boxed{56}", False, False),
    ("First add, then subtract. \\boxed{56}", True, False),
    ("Step 1: a\nStep 2: b\n", False, False),  # no boxed answer
    ("Step 1: a\nStep 2: b\n\\boxed{ }", False, False),  # empty boxed answer
])
def test_clarity_rules(text, loose, strict):
    assert is_clear(text, "loose") is loose
    assert is_clear(text, "strict") is strict
    assert Clarity("loose").train_rewards([s(text)], ScoreContext(96, 1.0)).tolist() == [float(loose)]


def test_running_mean_length_state_roundtrip():
    r = RunningMeanLength()
    assert np.isnan(r.value)
    assert r.update([10, 20]) == 15
    assert r.update([30]) == 20
    other = RunningMeanLength()
    other.load_state_dict(r.state_dict())
    assert other.value == 20

