import numpy as np
import pytest

from morlbench.errors import UsageError
from morlbench.estimators import estimate

R = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0])  # two groups of 4


def test_grpo_normalises_each_group():
    adv = estimate("grpo", R, 4)
    # group 1: mean .5, unbiased std sqrt(1/3); group 2: mean .75, std .5
    s1 = (1 / 3) ** 0.5
    expected = [0.5 / (s1 + 1e-6), -0.5 / (s1 + 1e-6), -0.5 / (s1 + 1e-6), 0.5 / (s1 + 1e-6),
                0.25 / 1.000002 * 2, 0.25 / 1.000002 * 2, 0.25 / 1.000002 * 2, -0.75 / 1.000002 * 2]
    assert adv.tolist() == pytest.approx(expected, rel=1e-9)


def test_grpo_ignores_a_global_scale_up_to_epsilon():
    a, b = estimate("grpo", R, 4), estimate("grpo", 3.7 * R, 4)
    assert np.allclose(a, b, rtol=1e-5)


def test_rloo_is_leave_one_out():
    adv = estimate("rloo", R, 4)
    # R_i minus the mean of the other three
    assert adv[0] == pytest.approx(1 - 1 / 3)
    assert adv[1] == pytest.approx(0 - 2 / 3)
    assert adv[7] == pytest.approx(0 - 1.0)
    assert np.allclose(estimate("rloo", 2 * R, 4), 2 * adv)  # RLOO sees a global scale


def test_reinforce_pp_whitens_the_batch():
    adv = estimate("reinforce++", R, 4)
    assert adv.mean() == pytest.approx(0, abs=1e-12)
    assert adv.std(ddof=1) == pytest.approx(1, rel=1e-5)
    assert adv[0] == adv[4]  # no group baseline


def test_identical_rewards_in_a_group_give_zero_advantage():
    flat = np.ones(4)
    assert np.abs(estimate("grpo", flat, 4)).max() == 0
    assert np.abs(estimate("rloo", flat, 4)).max() == 0


def test_errors():
    with pytest.raises(UsageError, match="unknown estimator 'ppo'"):
        estimate("ppo", R, 4)
    with pytest.raises(ValueError, match="do not split into groups"):
        estimate("grpo", R, 3)
