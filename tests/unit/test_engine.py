import pytest
import torch

from morlbench.engine.engine import Engine
from morlbench.engine.losses import aggregate, completion_logprobs, kl_k3, surrogate
from morlbench.engine.sampling import generate
from morlbench.errors import UsageError
from morlbench.spec import EngineSettings
from tests.factory import ARITH_PROMPTS

PROMPTS = ["Ana has 12 coins. How many coins does Ana have now? Give the final answer in \\boxed{}.\n",
           "Ben has 40 pens. Then 13 more are added. How many pens does Ben have now?"]


def encode(model, group=3):
    return [model.encode_prompt(p) for p in PROMPTS for _ in range(group)]


def test_sampling_is_reproducible_and_respects_eos(tiny_random_model):
    m = tiny_random_model
    kwargs = dict(max_new_tokens=12, eos_id=m.eos_token_id, pad_id=m.pad_token_id)
    a = generate(m.policy, encode(m), generator=torch.Generator().manual_seed(3), **kwargs)
    b = generate(m.policy, encode(m), generator=torch.Generator().manual_seed(3), **kwargs)
    assert torch.equal(a.sequences, b.sequences)
    for row in range(a.sequences.shape[0]):
        comp, mask = a.completion_ids[row], a.completion_mask[row]
        ends = (comp == m.eos_token_id).nonzero()
        if len(ends):
            first = int(ends[0])
            assert mask[: first + 1].all() and not mask[first + 1 :].any()
            assert a.lengths[row] == first and not a.truncated[row]
        else:
            assert mask.all() and a.lengths[row] == 12 and a.truncated[row]


@pytest.mark.parametrize("model_name", ["tiny_random_model", "embedded_model"])
def test_kv_cache_sampling_matches_a_full_forward(model_name, request):
    """Greedy tokens from the cached loop (rows leaving the batch as they end) are the argmax of one uncached
    forward over the whole sequence."""
    m = request.getfixturevalue(model_name)
    prompts = encode(m, 1) if model_name == "tiny_random_model" else [m.encode_prompt(p) for p in ARITH_PROMPTS]
    gen = generate(m.policy, prompts, max_new_tokens=64, eos_id=m.eos_token_id, pad_id=m.pad_token_id,
                   greedy=True)
    if model_name == "embedded_model":
        assert len(set(gen.lengths)) > 2 and not any(gen.truncated)  # rows ended at different steps
    logp = completion_logprobs(m.policy, gen)
    with torch.no_grad():
        logits = m.policy(input_ids=gen.sequences, attention_mask=gen.attention_mask,
                          position_ids=gen.position_ids).logits[:, gen.prompt_width - 1 : -1]
    argmax = logits.argmax(-1)
    mask = gen.completion_mask.bool()
    assert torch.equal(argmax[mask], gen.completion_ids[mask])
    assert logp.shape == gen.completion_ids.shape


def test_a_sampled_row_depends_on_the_seed_and_its_own_prompt_only(embedded_model):
    """Rows leave the decoding batch when they end; that must not change what the other rows sample."""
    m = embedded_model
    longest, first, *others = [m.encode_prompt(p) for p in sorted(ARITH_PROMPTS, key=len, reverse=True)]
    kwargs = dict(max_new_tokens=64, eos_id=m.eos_token_id, pad_id=m.pad_token_id, temperature=1.0)
    a = generate(m.policy, [*others, longest, first], generator=torch.Generator().manual_seed(5), **kwargs)
    b = generate(m.policy, [others[2], others[2], others[0], longest, first],
                 generator=torch.Generator().manual_seed(5), **kwargs)
    assert a.lengths[:3] != b.lengths[:3]  # the neighbours end at other steps
    for row in (3, 4):
        assert a.lengths[row] == b.lengths[row]
        assert torch.equal(a.completion_ids[row, : a.lengths[row] + 1], b.completion_ids[row, : b.lengths[row] + 1])


def test_surrogate_clipping_and_kl():
    logp = torch.log(torch.tensor([[0.5, 0.5]]))
    old = torch.log(torch.tensor([[0.25, 0.5]]))  # ratio 2 then 1
    loss, clipped = surrogate(logp, old, torch.tensor([1.0]), 0.2)
    assert loss[0].tolist() == pytest.approx([-1.2, -1.0])
    assert clipped.tolist() == [[True, False]]
    loss, _ = surrogate(logp, old, torch.tensor([-1.0]), 0.2)
    assert loss[0].tolist() == pytest.approx([2.0, 1.0])  # negative advantage: the pessimistic unclipped term
    assert kl_k3(logp, logp).abs().max() == 0
    assert (kl_k3(logp, old) > 0).any()


def test_aggregations():
    values = torch.tensor([[1.0, 3.0, 0.0], [2.0, 0.0, 0.0]])
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    assert aggregate(values, mask, "token-mean").item() == pytest.approx(2.0)
    assert aggregate(values, mask, "sequence-mean").item() == pytest.approx(2.0)
    values[1, 0] = 4.0
    assert aggregate(values, mask, "token-mean").item() == pytest.approx(8 / 3)
    assert aggregate(values, mask, "sequence-mean").item() == pytest.approx(3.0)


def relative_difference(a, b):
    """||a - b|| / ||b||: float32 rounding differs per element, so compare whole vectors."""
    return float((a.double() - b.double()).norm() / b.double().norm())


@pytest.mark.parametrize("aggregation", ["token-mean", "sequence-mean"])
def test_per_objective_gradients_are_exact(tiny_random_model, aggregation):
    """sum_k w_k g_k equals the gradient of the policy loss with advantages sum_k w_k A_k."""
    m = tiny_random_model
    engine = Engine(m, EngineSettings(kl_coef=0.0, loss_aggregation=aggregation))
    gen = engine.sample(encode(m), 16, seed=1)
    torch.manual_seed(0)
    adv = torch.randn(gen.sequences.shape[0], 3, dtype=torch.float64)
    w = torch.tensor([0.5, 0.2, 0.3], dtype=torch.float64)
    per_objective = engine.objective_gradients(gen, adv)
    combined = engine.objective_gradients(gen, (adv @ w).unsqueeze(1))[0]
    mixed = (w.to(per_objective.dtype).unsqueeze(1) * per_objective).sum(0)
    assert per_objective.shape == (3, sum(p.numel() for p in m.policy.parameters()))
    assert relative_difference(mixed, combined) < 1e-5
    # and it is the gradient the update would follow (at ratio 1 clipping is inactive)
    engine.policy.zero_grad()
    logp = completion_logprobs(engine.policy, gen)
    loss, _ = surrogate(logp, logp.detach(), adv @ w, 0.2)
    aggregate(loss, gen.completion_mask, aggregation).backward()
    direct = torch.cat([p.grad.reshape(-1) for p in engine.policy.parameters()])
    assert relative_difference(direct, combined) < 1e-5


def test_parameter_subset_selects_blocks(tiny_random_model):
    engine = Engine(tiny_random_model, EngineSettings(kl_coef=0.0))
    gen = engine.sample(encode(tiny_random_model), 8, seed=2)
    names = [n for n, _ in tiny_random_model.policy.named_parameters() if n.startswith("model.layers.1.")]
    g = engine.objective_gradients(gen, torch.ones(gen.sequences.shape[0], 2), names)
    expected = sum(p.numel() for n, p in tiny_random_model.policy.named_parameters() if n in names)
    assert g.shape == (2, expected)
    with pytest.raises(UsageError, match="not trainable parameters"):
        engine.objective_gradients(gen, torch.ones(gen.sequences.shape[0], 2), ["model.nope"])


def test_update_moves_probability_toward_positive_advantage(tiny_random_model):
    import copy

    from morlbench.models.base import LoadedModel

    m = tiny_random_model
    model = LoadedModel(copy.deepcopy(m.policy), m.tokenizer, "copy", {})
    engine = Engine(model, EngineSettings(lr=1e-2, kl_coef=1e-3))
    gen = engine.sample(encode(model), 8, seed=4)
    adv = torch.tensor([1.0, -1.0, 0.0] * 2, dtype=torch.float64)
    with torch.no_grad():
        before = (completion_logprobs(model.policy, gen) * gen.completion_mask).sum(1)
    stats = engine.update(gen, adv)
    with torch.no_grad():
        after = (completion_logprobs(model.policy, gen) * gen.completion_mask).sum(1)
    assert after[0] > before[0] and after[1] < before[1]
    assert set(stats) >= {"loss", "kl", "grad_norm", "clip_fraction"}


@pytest.mark.parametrize("aggregation", ["token-mean", "sequence-mean"])
def test_micro_batches_accumulate_exactly_the_whole_batch_update(tiny_random_model, aggregation):
    import copy

    m = tiny_random_model
    gen = generate(m.policy, encode(m, 4), max_new_tokens=10, eos_id=m.eos_token_id, pad_id=m.pad_token_id,
                   generator=torch.Generator().manual_seed(5))
    advantages = torch.linspace(-1, 1, gen.sequences.shape[0], dtype=torch.float64)
    results = []
    for budget in (0, 30):  # auto (whole batch here); 30 completion tokens per forward (several micro-batches)
        model = copy.copy(m)
        model.policy = copy.deepcopy(m.policy)
        engine = Engine(model, EngineSettings(lr=1e-2, loss_aggregation=aggregation, micro_batch_tokens=budget,
                                              ppo_epochs=2))
        assert (len(engine.micro_batches(gen)) > 1) == (budget > 0)
        grads = engine.objective_gradients(gen, torch.stack([advantages, -advantages], dim=1))
        stats = engine.update(gen, advantages)
        results.append((grads, stats, torch.cat([p.detach().reshape(-1) for p in model.policy.parameters()])))
    (g0, s0, w0), (g1, s1, w1) = results
    assert relative_difference(g0, g1) < 1e-5
    assert s0 == pytest.approx(s1, rel=1e-4, abs=1e-7)
    # float32 sums in another order: Adam (lr 1e-2, two epochs) turns their last-bit differences into up to about
    # 1e-6 on a few weights, depending on the CPU's kernels (1.26e-6 on one of 34,496 weights on a Xeon here).
    assert torch.allclose(w0, w1, atol=1e-5)
