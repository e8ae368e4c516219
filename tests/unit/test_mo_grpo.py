"""mo-grpo against the formula of its paper (arXiv 2509.22047) and against GDPO's first stage, which it shares;
tests/unit/test_advantage_conformance.py compares it with TRL's normalize_then_sum."""
import numpy as np
import pytest

from morlbench.estimators import decoupled, estimate
from morlbench.methods.base import MethodContext, RewardBatch
from morlbench.methods.mo_grpo import MOGRPO, mo_grpo

G = 4
REWARDS = np.random.default_rng(3).integers(0, 2, size=(16, 3)).astype(float)
REWARDS[:, 1] = np.random.default_rng(4).random(16)  # a continuous column, as conciseness is


def paper_formula(rewards, group_size, eps=1e-6):
    """sum_k (r_k - mean_k) / std_k within each prompt group (unbiased std, + eps as morlbench's GRPO)."""
    out = np.zeros(len(rewards))
    for start in range(0, len(rewards), group_size):
        group = rewards[start:start + group_size]
        out[start:start + group_size] = ((group - group.mean(0)) / (group.std(0, ddof=1) + eps)).sum(1)
    return out


def test_uniform_weights_give_the_papers_plain_sum():
    assert np.allclose(mo_grpo(REWARDS, np.full(3, 1 / 3), G), paper_formula(REWARDS, G))


def test_it_is_gdpos_first_stage_with_weights_scaled_by_k():
    w = np.array([0.5, 0.25, 0.25])
    assert np.allclose(mo_grpo(REWARDS, w, G), decoupled(REWARDS, 3 * w, G, batch_norm=False))
    assert not np.allclose(mo_grpo(REWARDS, w, G), decoupled(REWARDS, w, G))  # GDPO whitens; MO-GRPO does not


def test_every_reward_contributes_whatever_its_scale():
    """Multiplying one reward by 100 (or shifting it) leaves MO-GRPO's advantages unchanged; GRPO of the sum is
    then dominated by that reward."""
    scaled = REWARDS.copy()
    scaled[:, 1] = 100 * scaled[:, 1] + 7
    w = np.full(3, 1 / 3)
    assert np.allclose(mo_grpo(scaled, w, G), mo_grpo(REWARDS, w, G), atol=1e-4)
    dominated = estimate("grpo", scaled @ w, G)
    assert np.corrcoef(dominated, estimate("grpo", scaled[:, 1], G))[0, 1] > 0.99


def test_under_rloo_it_is_leave_one_out_of_the_weighted_sum():
    """No column is divided by its std under rloo: the mechanism is inert (declared)."""
    w = np.array([0.5, 0.25, 0.25])
    assert np.allclose(mo_grpo(REWARDS, w, G, "rloo"), 3 * estimate("rloo", REWARDS @ w, G))
    assert MOGRPO.declares.inert_estimators == ("rloo",)


def test_the_method_uses_the_runs_weights_and_estimator():
    method = MOGRPO()
    w = np.array([0.2, 0.3, 0.5])
    method.setup(MethodContext(("a", "b", "c"), w, "grpo", G, 10, 1e-4, 0))
    batch = RewardBatch(REWARDS, G, 0, lambda column: estimate("grpo", column, G))
    columns = [paper_formula(REWARDS[:, [k]], G) for k in range(3)]
    assert method.advantages(batch) == pytest.approx(sum(3 * w[k] * columns[k] for k in range(3)))
    assert method.weights() == pytest.approx(w)
