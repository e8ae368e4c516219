"""The dynamic methods of arXiv 2509.11452: faithful where the paper's rule is kept, correct where fixed."""
import numpy as np
import pytest
import torch

from morlbench.errors import UsageError
from morlbench.estimators import estimate
from morlbench.methods.base import MethodContext, RewardBatch, StepInfo
from morlbench.methods.gradient import GradientWeighting, gram_matrix, influences, select_parameters
from morlbench.methods.hypervolume import HvMetaReward, HypervolumeWeighting, ValidatedFront, marginal_gains
from morlbench.methods.static import Static
from morlbench.preferences import mirror_ascent, with_floor

OBJECTIVES = ("accuracy", "conciseness", "clarity")
W = np.array([0.5, 0.25, 0.25])
L = 96
NAMES = tuple(f"model.layers.{i}.mlp.up_proj.weight" for i in range(4)) + ("model.embed_tokens.weight",)


def context(estimator="grpo", validations=(), weights=W, lr=1e-4, names=NAMES, max_new_tokens=L):
    points = iter([np.asarray(p, dtype=float) for p in validations])
    return MethodContext(OBJECTIVES, np.asarray(weights), estimator, 4, 10, lr, 0,
                         validate=lambda: next(points), parameter_names=names, max_new_tokens=max_new_tokens)


def batch(estimator, step=0, seed=0, gradients=None):
    rewards = np.random.default_rng(seed).integers(0, 2, size=(16, 3)).astype(np.float64)
    return RewardBatch(rewards, 4, step, lambda col: estimate(estimator, col, 4), gradients)


def relative_difference(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


# -- hv-meta-reward ---------------------------------------------------------------------------------------
def meta_reward_after_a_gain(estimator):
    """hv-meta-reward whose last validation added hypervolume: m = 0.5 + 1.5 tanh(0.1), far from 1."""
    method = HvMetaReward()
    method.setup(context(estimator, validations=[(0.2, 0.3, 0.2), (0.6, 0.8, 0.7)]))
    log = method.after_step(StepInfo(1, np.zeros(3)))
    assert log["contribution"] > 0 and abs(method.multiplier - 1.0) > 0.1
    return method


def test_hv_meta_reward_is_a_no_op_under_grpo():
    method = meta_reward_after_a_gain("grpo")
    static = Static()
    static.setup(context("grpo"))
    b = batch("grpo")
    assert relative_difference(method.advantages(b), static.advantages(b)) < 1e-5


def test_hv_meta_reward_is_not_a_no_op_under_rloo():
    method = meta_reward_after_a_gain("rloo")
    static = Static()
    static.setup(context("rloo"))
    b = batch("rloo")
    assert relative_difference(method.advantages(b), static.advantages(b)) > 0.1
    assert np.allclose(method.advantages(b), method.multiplier * static.advantages(b))


def test_hv_meta_reward_multiplier_follows_the_released_formula():
    """Reference (0.2, 0.2, 0.2); (0.4, 0.3, 0.2) is not above it in clarity: c = 0, m = 0.5. (0.3, 0.3, 0.3)
    adds a box of 0.1 x (0.1 x L tokens) x 0.1: the released code measures length in raw tokens, and a
    conciseness gain of 0.1 is 0.1 x L = 9.6 tokens shorter."""
    method = HvMetaReward()
    method.setup(context(validations=[(0.2, 0.2, 0.2), (0.4, 0.3, 0.2), (0.3, 0.3, 0.3)]))
    first = method.after_step(StepInfo(1, np.zeros(3)))
    assert first["contribution"] == 0.0 and method.multiplier == pytest.approx(0.5)  # not above ref in clarity
    second = method.after_step(StepInfo(2, np.zeros(3)))
    c = 0.1 * (0.1 * L) * 0.1
    assert second["contribution"] == pytest.approx(c) and method.multiplier == pytest.approx(0.5 + 1.5 * np.tanh(c))
    assert second["signal"] == pytest.approx(c)


def test_hv_meta_reward_in_normalised_units_is_l_times_smaller():
    tokens, normalised = HvMetaReward(), HvMetaReward.from_options({"length_units": "normalised"})
    for method in (tokens, normalised):
        method.setup(context(validations=[(0.2, 0.2, 0.2), (0.3, 0.3, 0.3)]))
    ratio = tokens.after_step(StepInfo(1, np.zeros(3)))["contribution"] / \
        normalised.after_step(StepInfo(1, np.zeros(3)))["contribution"]
    assert ratio == pytest.approx(L)


def test_hv_meta_reward_is_a_constant_half_when_nothing_beats_the_initial_conciseness():
    """As on arith: the initial policy is the most concise point a run reaches, so no later point has volume above
    it, c = 0 and m = 0.5 at every step; under RLOO that halves every advantage, under GRPO it changes nothing."""
    method = HvMetaReward()
    method.setup(context("rloo", validations=[(0.25, 0.88, 0.24), (0.5, 0.68, 0.66), (0.6, 0.55, 0.9)]))
    logs = [method.after_step(StepInfo(s, np.zeros(3))) for s in (1, 2)]
    assert [log["contribution"] for log in logs] == [0.0, 0.0] and method.multiplier == 0.5
    static = Static()
    static.setup(context("rloo"))
    assert np.allclose(method.advantages(batch("rloo")), 0.5 * static.advantages(batch("rloo")))


def test_points_worse_than_the_reference_add_nothing_and_never_crash():
    """The released code computed a negative box volume here and crashed."""
    front = ValidatedFront([[0.5, 0.5, 0.5]])
    ref = np.array([0.4, 0.4, 0.4])
    assert front.contribution(np.array([0.9, 0.1, 0.9]), ref) == 0.0
    assert front.contribution(np.array([0.0, 0.0, 0.0]), ref) == 0.0
    method = HvMetaReward()
    method.setup(context(validations=[(0.5, 0.5, 0.5), (0.9, 0.1, 0.9), (0.1, 0.1, 0.1)]))
    for step in (1, 2):
        assert method.after_step(StepInfo(step, np.zeros(3)))["contribution"] == 0.0


# -- hypervolume -----------------------------------------------------------------------------------------
def test_marginal_gains_hand_checked():
    # A lone point p = (.5, .5, .2): raising objective k by d adds d times the product of the others.
    gains = marginal_gains(np.array([0.5, 0.5, 0.2]), [], np.zeros(3), 0.1)
    assert gains == pytest.approx([0.1 * 0.5 * 0.2, 0.1 * 0.5 * 0.2, 0.1 * 0.5 * 0.5])


def test_hypervolume_moves_weight_toward_the_objective_adding_most_volume():
    method = HypervolumeWeighting()
    method.setup(context(validations=[(0.3, 0.3, 0.1)], weights=[1 / 3] * 3))
    before = method.weights().copy()
    assert before == pytest.approx([1 / 3] * 3)
    # Against the buffer's front, improving clarity (lowest) adds most hypervolume.
    log = method.update(np.array([0.6, 0.6, 0.1]))
    assert np.argmax(log["gains"]) == 2
    after = method.weights()
    assert after[2] > before[2] and after[0] < before[0] and after.sum() == pytest.approx(1.0)
    assert all(after >= method.settings.floor)


def test_hypervolume_steps_are_the_gains_relative_to_the_volume_reached():
    """A lone point p = (.5, .5, .2) above the reference -delta = -0.05: HV = .55 x .55 x .25, and raising
    objective k by delta adds delta x the product of the other two sides, so the relative gains are
    delta / (p_k + delta) = (1/11, 1/11, 1/5); the free weights move by softmax(log v + eta x those)."""
    method = HypervolumeWeighting.from_options({"floor": "0"})
    method.setup(context(validations=[(0.0, 0.0, 0.0)], weights=[1 / 3] * 3))
    method.front = ValidatedFront()
    log = method.update(np.array([0.5, 0.5, 0.2]))
    assert log["relative_gains"] == pytest.approx([1 / 11, 1 / 11, 1 / 5], rel=1e-6)
    assert method.weights() == pytest.approx(mirror_ascent(np.full(3, 1 / 3), np.array([1 / 11, 1 / 11, 1 / 5]), 1.0))
    assert log["signal"] == pytest.approx(1 / 5 - 1 / 11)


def test_hypervolume_weights_settle_when_no_objective_adds_more_than_another():
    """A balanced point gains the same volume from every probe, and a point deep inside the front gains none: in
    both cases the step is zero, where the L1-normalised rule took a full step of eta every time."""
    method = HypervolumeWeighting()
    method.setup(context(validations=[(0.4, 0.4, 0.4)], weights=[1 / 3] * 3))
    for point in ([0.4, 0.4, 0.4], [0.1, 0.1, 0.1]):
        before = method.weights().copy()
        log = method.update(np.array(point))
        assert np.abs(method.weights() - before).sum() < 1e-12 and log["signal"] < 1e-12
    assert method.weights() == pytest.approx([1 / 3] * 3)


def test_hypervolume_starts_from_given_weights_and_keeps_the_floor():
    method = HypervolumeWeighting.from_options({"eta": "5", "floor": "0.1"})
    method.setup(context(validations=[(0.5, 0.5, 0.0)]))
    assert method.weights() == pytest.approx(W)
    for _ in range(20):
        method.update(np.array([0.5, 0.5, 0.0]))  # only clarity can add volume
    w = method.weights()
    assert w[2] > 0.75 and min(w) >= 0.1 - 1e-12 and w.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("reference", ["origin", "initial"])
def test_hypervolume_never_crashes_on_points_worse_than_the_reference(reference):
    method = HypervolumeWeighting.from_options({"reference": reference})
    method.setup(context(validations=[(0.5, 0.5, 0.5)]))
    for point in ([0.9, 0.1, 0.9], [0.0, 0.0, 0.0], [0.1, 0.1, 0.1]):
        log = method.update(np.array(point))
        assert all(g >= 0 for g in log["gains"]) and method.weights().sum() == pytest.approx(1.0)


def test_hypervolume_gets_signal_when_two_objectives_are_at_zero():
    method = HypervolumeWeighting()
    method.setup(context(validations=[(0.0, 0.9, 0.0)], weights=[1 / 3] * 3))
    log = method.update(np.array([0.0, 0.95, 0.0]))
    assert log["gains"][0] > 0 and log["gains"][2] > 0
    assert method.weights()[1] < 1 / 3


def test_hypervolume_bad_settings():
    with pytest.raises(UsageError, match="setting reference 'best': not one of origin, initial"):
        HypervolumeWeighting.from_options({"reference": "best"})
    with pytest.raises(UsageError, match="weight floor 0.5"):
        HypervolumeWeighting.from_options({"floor": "0.5"}).setup(context(validations=[(0, 0, 0)]))


# -- gradient --------------------------------------------------------------------------------------------
KNOWN = torch.tensor([[1.0, 0.0, 0.0], [0.8, 0.3, 0.0], [-0.9, 0.0, 0.1]])  # g_1, g_2 agree; g_3 conflicts


def test_influences_are_row_sums_of_the_gram_matrix():
    gram = gram_matrix(KNOWN)
    s = influences(gram, "none")
    total = KNOWN.sum(0)
    assert s == pytest.approx([float(KNOWN[k] @ total) for k in range(3)])
    assert s[0] > 0 and s[1] > 0 and s[2] < 0
    # scale=gradient-norm: divided by the mean squared norm (1 + 0.73 + 0.82) / 3 = 0.85
    assert influences(gram, "gradient-norm") == pytest.approx(s / 0.85)
    assert influences(100 * gram, "gradient-norm") == pytest.approx(influences(gram, "gradient-norm"))


def known_gradients(seen):
    def gradients(advantages, names, with_kl=False, clip_norm=0.0):
        seen.update(advantages=advantages, names=names, with_kl=with_kl, clip_norm=clip_norm)
        return KNOWN

    return gradients


def test_gradient_raises_agreeing_and_lowers_conflicting_objective():
    """The defaults are the released rule: raw influences, eta = lr / 1e-5 (the paper's lr 1e-6: eta = 0.1)."""
    method = GradientWeighting()
    method.setup(context(weights=[1 / 3] * 3, lr=1e-6))
    assert method.eta == pytest.approx(0.1)
    seen = {}
    b = batch("grpo", gradients=known_gradients(seen))
    advantages = method.advantages(b)
    w = method.weights()
    assert w[0] > 1 / 3 and w[1] > 1 / 3 and w[2] < 1 / 3 and w.sum() == pytest.approx(1.0)
    expected = mirror_ascent(np.full(3, 1 / 3), gram_matrix(KNOWN).sum(axis=1), 0.1)
    assert w == pytest.approx(expected)
    # the paper's defaults reach the engine: KL in g_k, whole-model clip to 1, the middle blocks
    assert seen["with_kl"] is True and seen["clip_norm"] == 1.0 and seen["names"] == [NAMES[1], NAMES[2]]
    per_column = np.stack([estimate("grpo", b.rewards[:, k], 4) for k in range(3)], axis=1)
    assert np.allclose(seen["advantages"], per_column)
    # the update scalarises the rewards with the NEW weights, then applies the run's estimator (the paper's code)
    assert np.allclose(advantages, estimate("grpo", b.rewards @ w, 4))
    log = method.after_step(StepInfo(1, np.zeros(3)))
    assert log["influences"] == pytest.approx(gram_matrix(KNOWN).sum(axis=1))
    assert log["signal"] > 0


def test_gradient_norm_scaling_is_a_named_departure():
    """scale=gradient-norm divides the influences by the mean squared gradient norm: the step no longer shrinks
    with the gradients (at the paper's eta, gradients 10x smaller move the weights 100x less without it)."""
    moved = {}
    for scale in ("none", "gradient-norm"):
        method = GradientWeighting.from_options({"scale": scale})
        method.setup(context(weights=[1 / 3] * 3, lr=1e-6))
        method.advantages(batch("grpo", gradients=lambda a, names, with_kl=False, clip_norm=0.0: KNOWN / 10))
        moved[scale] = np.abs(method.weights() - 1 / 3).sum()
    assert moved["gradient-norm"] > 50 * moved["none"] > 0


def test_gradient_combine_keeps_the_per_objective_estimates():
    method = GradientWeighting.from_options({"advantages": "combine"})
    method.setup(context(weights=[1 / 3] * 3))
    seen = {}
    advantages = method.advantages(batch("grpo", gradients=known_gradients(seen)))
    assert np.allclose(advantages, seen["advantages"] @ method.weights())


def test_scalarising_first_and_combining_estimates_differ():
    """GRPO(sum_k w_k r_k) and sum_k w_k GRPO(r_k) are different advantages on a random binary batch."""
    rewards = np.random.default_rng(0).integers(0, 2, size=(64, 3)).astype(float)
    w = np.full(3, 1 / 3)
    first = estimate("grpo", rewards @ w, 8)
    combined = np.stack([estimate("grpo", rewards[:, k], 8) for k in range(3)], axis=1) @ w
    assert np.abs(first - combined).max() > 0.5


def test_gradient_eta_is_lr_over_reg_and_update_every_skips_steps():
    method = GradientWeighting.from_options({"reg": "1e-3", "update_every": "2"})
    method.setup(context(lr=2e-4))
    assert method.eta == pytest.approx(0.2)
    calls = {}
    method.advantages(batch("grpo", step=1, gradients=known_gradients(calls)))
    assert not calls and method.weights() == pytest.approx(W)
    method.advantages(batch("grpo", step=2, gradients=known_gradients(calls)))
    assert calls


def test_layer_selection():
    names = NAMES
    assert select_parameters(names, "all") is None
    assert select_parameters(names, "middle") == [names[1], names[2]]  # 4 blocks: 10/36 of them left at each end
    assert select_parameters(names, "last-half") == [names[2], names[3]]
    assert select_parameters(names, "0,3") == [names[0], names[3]]
    with pytest.raises(UsageError, match="the model has blocks 0..3"):
        select_parameters(names, "7")
    blocks = tuple(f"model.layers.{i}.mlp.weight" for i in range(36))
    assert select_parameters(blocks, "middle") == list(blocks[10:26])  # the paper's blocks 10..25 on Qwen3-8B


def test_floor_mix_stays_on_simplex():
    w = with_floor(np.array([1.0, 0.0, 0.0]), 0.05)
    assert w == pytest.approx([0.9, 0.05, 0.05])


# -- gdpo ------------------------------------------------------------------------------------------------
def test_gdpo_normalises_each_column_then_weights_then_whitens():
    from morlbench.estimators import whiten
    from morlbench.methods.gdpo import GDPO

    method = GDPO()
    method.setup(context())
    b = batch("grpo")
    per_column = np.stack([estimate("grpo", b.rewards[:, k], 4) for k in range(3)], axis=1)
    assert np.allclose(method.advantages(b), whiten(per_column @ W))
    assert GDPO().capabilities().decoupled_normalisation and not GDPO().capabilities().linear_scalarisation
    unwhitened = GDPO.from_options({"batch_norm": "false"})
    unwhitened.setup(context())
    assert np.allclose(unwhitened.advantages(b), per_column @ W)
