"""Advantage conformance: for the same reward tensors, morlbench's estimators give what TRL 1.16's own trainers
compute. TRL is called, not copied: a real GRPOTrainer / RLOOTrainer on a tiny random model generates two tokens
per prompt, its reward functions return the reward columns under test, and the advantages come from TRL's
``_generate_and_score_completions``. TRL adds 1e-4 to every standard deviation (the paper and verl 1e-6), so
morlbench's functions are called with ``eps=1e-4`` here; TRL computes in float32.
"""
import numpy as np
import pytest

from morlbench.estimators import decoupled, estimate, grpo, rloo, whiten

trl = pytest.importorskip("trl")
torch = pytest.importorskip("torch")

G = 4
TRL_EPS = 1e-4


class Rewards:
    """The reward columns TRL's reward functions hand back, set by each test."""

    def __init__(self, k: int) -> None:
        self.columns = np.zeros((0, k))

    def functions(self):
        def column(k):
            def reward(prompts, completions, **_):
                assert len(completions) == len(self.columns)
                return self.columns[:, k].tolist()

            reward.__name__ = f"objective{k}"
            return reward

        return [column(k) for k in range(self.columns.shape[1])]


def make_trainer(kind: str, model, k: int, rows: int, tmp, **config):
    """A TRL trainer on a copy of ``model`` (TRL changes the model it is given)."""
    import copy

    from datasets import Dataset

    model = copy.copy(model)
    model.policy = copy.deepcopy(model.policy)
    rewards = Rewards(k)
    common = dict(output_dir=str(tmp), per_device_train_batch_size=rows, num_generations=G, max_completion_length=2,
                  use_cpu=True, report_to=[], logging_steps=1, save_strategy="no", beta=0.0, seed=0,
                  dataloader_num_workers=0, disable_tqdm=True)
    dataset = Dataset.from_dict({"prompt": ["Ana has 3 coins."] * rows})
    if kind == "grpo":
        args = trl.GRPOConfig(**common, generation_batch_size=rows, **config)
        trainer = trl.GRPOTrainer(model=model.policy, reward_funcs=rewards.functions(), args=args,
                                  train_dataset=dataset, processing_class=model.tokenizer)
    else:
        args = trl.RLOOConfig(**common, generation_batch_size=rows, **config)
        trainer = trl.RLOOTrainer(model=model.policy, reward_funcs=rewards.functions(), args=args,
                                  train_dataset=dataset, processing_class=model.tokenizer)
    return trainer, rewards


def trl_advantages(trainer, rewards: Rewards, columns: np.ndarray, weights=None) -> np.ndarray:
    rewards.columns = np.asarray(columns, dtype=np.float64)
    if weights is not None:
        trainer.reward_weights = torch.tensor(weights, dtype=torch.float32)
    trainer.model.train()
    out = trainer._generate_and_score_completions([{"prompt": "Ana has 3 coins."}] * len(columns))
    return out["advantages"].double().numpy()


@pytest.fixture(scope="module")
def grpo3(tiny_random_model, tmp_path_factory):
    return make_trainer("grpo", tiny_random_model, 3, 8, tmp_path_factory.mktemp("grpo3"))


@pytest.fixture(scope="module")
def gdpo3(tiny_random_model, tmp_path_factory):
    return make_trainer("grpo", tiny_random_model, 3, 8, tmp_path_factory.mktemp("gdpo3"),
                        multi_objective_aggregation="normalize_then_sum")


@pytest.fixture(scope="module")
def rloo1(tiny_random_model, tmp_path_factory):
    return make_trainer("rloo", tiny_random_model, 1, 8, tmp_path_factory.mktemp("rloo1"))


RANDOM = np.random.default_rng(7).integers(0, 2, size=(8, 3)).astype(float)  # two groups of 4, binary rewards
W = np.array([0.5, 0.25, 0.25])


def test_grpo_of_the_weighted_sum_equals_trl_sum_then_normalize(grpo3):
    """GRPO on sum_k w_k r_k: per group (R - mean) / (unbiased std + eps); TRL's default aggregation."""
    ours = grpo(RANDOM @ W, G, eps=TRL_EPS)
    assert np.allclose(ours, trl_advantages(*grpo3, RANDOM, W), atol=1e-5)


def test_gdpo_equals_trl_normalize_then_sum(gdpo3):
    """Decoupled: each column normalised per group, weighted sum, then whitened over the batch."""
    ours = decoupled(RANDOM, W, G, eps=TRL_EPS)
    assert np.allclose(ours, trl_advantages(*gdpo3, RANDOM, W), atol=1e-5)


def test_rloo_equals_trl_rloo_trainer(rloo1):
    """Leave-one-out: R_i minus the mean of the other G - 1 rollouts of its group."""
    column = RANDOM[:, :1]
    assert np.allclose(rloo(column[:, 0], G), trl_advantages(*rloo1, column), atol=1e-6)


def test_zero_variance_groups_give_zero_advantages(grpo3, gdpo3):
    """Group 1 all ones, group 2 all zeros in every column: (r - mean) = 0 in every group, so GRPO gives 0 / (0 +
    eps) = 0, and GDPO's batch whitening of an all-zero sum gives 0 / (0 + eps) = 0. TRL agrees."""
    flat = np.vstack([np.ones((4, 3)), np.zeros((4, 3))])
    assert np.array_equal(grpo(flat @ W, G), np.zeros(8))
    assert np.array_equal(decoupled(flat, W, G), np.zeros(8))
    assert np.allclose(trl_advantages(*grpo3, flat, W), 0) and np.allclose(trl_advantages(*gdpo3, flat, W), 0)


def test_rows_with_equal_totals_cancel_in_both_aggregations(grpo3, gdpo3):
    """Column 2 = 1 - column 1 in every row, equal weights on them: every row sums to 0.5, so GRPO sees no variance
    (advantages 0); GDPO's normalised columns are exact negatives of each other (same group std), so they cancel row
    by row and the advantages are 0 too. Group 1: column 1 = (1, 0, 0, 0): normalised (1.5, -0.5, -0.5, -0.5) with
    mean .25 and unbiased std .5; column 2 gives (-1.5, .5, .5, .5)."""
    first = np.array([1, 0, 0, 0, 1, 1, 0, 0], dtype=float)
    columns = np.stack([first, 1 - first, np.zeros(8)], axis=1)
    weights = np.array([0.5, 0.5, 0.0])
    normalised = grpo(first, G)
    assert normalised[:4] == pytest.approx([1.5 / 1.000002, -0.5 / 1.000002, -0.5 / 1.000002, -0.5 / 1.000002])
    assert np.allclose(grpo(columns @ weights, G), 0) and np.allclose(decoupled(columns, weights, G), 0)
    assert np.allclose(trl_advantages(*grpo3, columns, weights), 0, atol=1e-6)
    assert np.allclose(trl_advantages(*gdpo3, columns, weights), 0, atol=1e-6)
    # unequal weights no longer cancel: GDPO keeps (w1 - w2) x the normalised first column, then whitens it
    unequal = np.array([0.75, 0.25, 0.0])
    expected = whiten(0.5 * grpo(first, G, TRL_EPS), TRL_EPS)
    assert np.allclose(decoupled(columns, unequal, G, eps=TRL_EPS), expected)
    assert np.allclose(trl_advantages(*gdpo3, columns, unequal), expected, atol=1e-5)


def test_leave_one_out_with_normalisation_blows_small_differences_up(tiny_random_model, tmp_path, rloo1):
    """Rewards (1, 1, 1, .999) and (0, 0, 0, 0): the leave-one-out advantages are 4/3 x (r - mean) = (1/3000,
    1/3000, 1/3000, -1/1000) in group 1 and zeros in group 2: batch mean 0, unbiased batch std
    sqrt((3/9e6 + 1e-6) / 7) = 4.36e-4. TRL's normalize_advantages=True divides by it (+ 1e-4): the -0.001 becomes
    -0.001 / 5.36e-4 = -1.87, a 0.001 reward difference turned into an advantage of order one. morlbench's RLOO,
    like TRL's default, does not whiten."""
    column = np.array([[1.0], [1.0], [1.0], [0.999], [0.0], [0.0], [0.0], [0.0]])
    raw = rloo(column[:, 0], G)
    assert raw[:4] == pytest.approx([1 / 3000, 1 / 3000, 1 / 3000, -1 / 1000], rel=1e-9) and not raw[4:].any()
    assert np.allclose(trl_advantages(*rloo1, column), raw, atol=1e-6)
    normalised, rewards = make_trainer("rloo", tiny_random_model, 1, 8, tmp_path, normalize_advantages=True)
    blown = trl_advantages(normalised, rewards, column)
    assert blown[3] == pytest.approx(-0.001 / (((3 / 9e6 + 1e-6) / 7) ** 0.5 + 1e-4), rel=1e-3)
    assert blown[3] == pytest.approx(whiten(raw, TRL_EPS)[3], rel=1e-3)


def test_one_objective_batches(tiny_random_model, tmp_path):
    """K = 1: GRPO of w r with any w > 0 is GRPO of r (the scale cancels up to eps); GDPO is GRPO of r, whitened."""
    trainer, rewards = make_trainer("grpo", tiny_random_model, 1, 8, tmp_path,
                                    multi_objective_aggregation="normalize_then_sum")
    column = RANDOM[:, :1]
    assert np.allclose(decoupled(column, [1.0], G, eps=TRL_EPS), trl_advantages(trainer, rewards, column, [1.0]),
                       atol=1e-5)
    assert np.allclose(grpo(column[:, 0], G), grpo(3.0 * column[:, 0], G), atol=1e-5)


def test_reinforce_pp_has_no_trl_counterpart_and_is_batch_whitening():
    """TRL 1.16 has no REINFORCE++ estimator (verl's ``reinforce_plus_plus`` whitens the returns over the batch).
    Rewards (1, 0, 0, 1, 1, 1, 1, 0): mean 5/8, unbiased std sqrt(15/56); advantages (r - 5/8) / (std + 1e-6),
    the same for equal rewards in different groups (no group baseline)."""
    r = np.array([1.0, 0, 0, 1, 1, 1, 1, 0])
    std = (15 / 56) ** 0.5
    assert estimate("reinforce++", r, G) == pytest.approx((r - 5 / 8) / (std + 1e-6))


def test_mo_grpo_is_trl_normalize_then_sum_before_its_batch_whitening(gdpo3):
    """MO-GRPO (arXiv 2509.22047) sums the per-group normalised rewards, GDPO's first stage; TRL's
    normalize_then_sum then whitens that sum over the batch. Whitening MO-GRPO's advantages (with weights scaled
    by K, undone here so that TRL's unscaled 1e-4 in the whitening matches) gives TRL's own."""
    from morlbench.methods.mo_grpo import mo_grpo

    ours = mo_grpo(RANDOM, W, G, eps=TRL_EPS)
    assert np.allclose(whiten(ours / len(W), TRL_EPS), trl_advantages(*gdpo3, RANDOM, W), atol=1e-5)
    assert not np.allclose(ours, whiten(ours, TRL_EPS), atol=1e-2)  # the whitening is a real difference
