"""The lean Llama passes (morlbench/engine/llama.py, passes.py) compute what transformers' forward computes."""
import copy

import numpy as np
import pytest
import torch

from morlbench.engine import llama
from morlbench.engine.engine import Engine
from morlbench.engine.kv_cache import SharedPromptCache
from morlbench.engine.llama import LeanLlama
from morlbench.engine.losses import completion_logprobs
from morlbench.engine.passes import PaddedPasses, SharedPromptPasses
from morlbench.engine.sampling import TransformersForward, generate, left_pad, positions_from_mask
from morlbench.models.base import LoadedModel
from morlbench.spec import EngineSettings
from tests.factory import ARITH_PROMPTS, random_llama


def grouped_query_model(tokenizer):
    """A random Llama whose 4 query heads share 2 key/value heads."""
    return random_llama(tokenizer, heads=4, kv_heads=2, seed=3).eval()


@pytest.fixture(params=["tiny_random_model", "embedded_model", "grouped_query"])
def model(request):
    if request.param == "grouped_query":
        tiny = request.getfixturevalue("tiny_random_model")
        return LoadedModel(grouped_query_model(tiny.tokenizer), tiny.tokenizer, "grouped", {})
    return request.getfixturevalue(request.param)


def prompts_of(model, group=3):
    return [model.encode_prompt(p) for p in ARITH_PROMPTS for _ in range(group)]


def without_lean(monkeypatch):
    monkeypatch.setattr(LeanLlama, "supports", staticmethod(lambda m: False))


def test_lean_decoding_gives_the_same_tokens(model, monkeypatch):
    kwargs = dict(max_new_tokens=24, eos_id=model.eos_token_id, pad_id=model.pad_token_id)
    assert LeanLlama.supports(model.policy)
    lean = [generate(model.policy, prompts_of(model), generator=torch.Generator().manual_seed(2), **kwargs),
            generate(model.policy, prompts_of(model, 1), greedy=True, **kwargs)]
    without_lean(monkeypatch)
    plain = [generate(model.policy, prompts_of(model), generator=torch.Generator().manual_seed(2), **kwargs),
             generate(model.policy, prompts_of(model, 1), greedy=True, **kwargs)]
    for a, b in zip(lean, plain):
        assert torch.equal(a.sequences, b.sequences) and a.lengths == b.lengths


def test_first_rows_are_the_first_occurrence_of_each_value():
    inverse = torch.tensor([2, 0, 2, 1, 0, 1])
    assert llama.first_rows(inverse, 3).tolist() == [1, 3, 0]


@pytest.mark.parametrize("kv_heads", ["equal", "grouped"])
@torch.no_grad()
def test_decoding_with_shared_prompts_follows_transformers(tiny_random_model, kv_heads):
    """Rows that repeat a prompt share its keys and values while decoding (SharedPromptCache), also after rows
    leave the batch; their logits stay those of transformers' forward with every row's own cache."""
    policy = tiny_random_model.policy if kv_heads == "equal" else grouped_query_model(tiny_random_model.tokenizer)
    # rollouts of a prompt interleaved with other prompts' (groups of 2 and 3), and one prompt alone
    prompts = [tiny_random_model.encode_prompt(p) for _ in range(3) for p in ARITH_PROMPTS[:4]][1:]
    prompts.insert(5, tiny_random_model.encode_prompt(ARITH_PROMPTS[4]))
    ids, mask = left_pad(prompts, tiny_random_model.pad_token_id, torch.device("cpu"))
    lean, plain = LeanLlama(policy), TransformersForward(policy)
    (ours, cache), (theirs, their_cache) = (f.prefill(ids, mask, positions_from_mask(mask), ids.shape[1] + 6)
                                           for f in (lean, plain))
    assert isinstance(cache, SharedPromptCache)
    position, rows = mask.sum(dim=1, keepdim=True), torch.arange(len(ids))
    draw = torch.Generator().manual_seed(0)
    for step in range(5):
        assert torch.allclose(ours, theirs, atol=1e-5)
        if step == 2:  # prompts lose rollouts, the one alone and another lose all theirs
            keep = torch.tensor([r for r in range(len(rows)) if r not in (1, 3, 5, 6, 10)])
            cache.select(keep)
            their_cache.select(keep)
            rows, mask, position, ours, theirs = rows[keep], mask[keep], position[keep], ours[keep], theirs[keep]
        token = torch.randint(3, theirs.shape[1], (len(rows),), generator=draw)  # rollouts of a prompt differ
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
        ours, theirs = lean.decode(token, position, mask, cache), plain.decode(token, position, mask, their_cache)
        position = position + 1
    assert torch.allclose(ours, theirs, atol=1e-5)


@pytest.mark.parametrize("group", [1, 3])
@pytest.mark.parametrize("prompts_per_pass", [1, 2, 3])
@torch.no_grad()
def test_prefill_in_passes_is_bit_for_bit_one_pass(model, monkeypatch, prompts_per_pass, group):
    """Prompts prefilled a few at a time (5 distinct prompts, alone or each repeated 3 times: the last pass may be
    short) leave the same logits and cache, every bit, in every row, as one pass over all of them."""
    ids, mask = left_pad(prompts_of(model, group), model.pad_token_id, torch.device("cpu"))
    lean, width = LeanLlama(model.policy), ids.shape[1]

    def prefill():
        logits, cache = lean.prefill(ids, mask, positions_from_mask(mask), width + 4)
        return logits, cache.filled(), cache.length

    monkeypatch.setattr(llama, "PREFILL_POSITIONS", 10**9)
    one_pass = prefill()
    monkeypatch.setattr(llama, "PREFILL_POSITIONS", prompts_per_pass * width)
    in_passes = prefill()
    assert torch.equal(one_pass[0], in_passes[0]) and one_pass[2] == in_passes[2] == width
    assert all(torch.equal(a, b) for a, b in zip(one_pass[1], in_passes[1]))


def test_shared_prompt_logprobs_equal_the_padded_forward(model):
    engine = Engine(model, EngineSettings())
    gen = engine.sample(prompts_of(model), 24, seed=4)
    shared = SharedPromptPasses(gen, 10_000)
    assert len(shared.prompt_ids) == len(ARITH_PROMPTS) and len(shared.parts) >= 1
    session = shared.begin(model.policy, grad=False)
    with torch.no_grad():
        reference = completion_logprobs(model.policy, gen)
        for part in shared.parts:
            mask = shared.mask(part).bool()
            ours = session.logprobs(part)
            assert torch.allclose(ours[mask], reference[part, : mask.shape[1]][mask], atol=1e-5)


@pytest.mark.parametrize("kv_heads", ["equal", "grouped"])
def test_shared_prompt_update_and_gradients_equal_the_padded_ones(tiny_random_model, kv_heads):
    advantages = torch.as_tensor(np.random.default_rng(1).normal(size=(15, 3)))
    policy = tiny_random_model.policy if kv_heads == "equal" else grouped_query_model(tiny_random_model.tokenizer)
    results = []
    for shared in (True, False):
        model = LoadedModel(copy.deepcopy(policy), tiny_random_model.tokenizer, "r", {})
        engine = Engine(model, EngineSettings(shared_prompts=shared, micro_batch_tokens=200, ppo_epochs=2))
        gen = engine.sample(prompts_of(model), 20, seed=9)
        kind = SharedPromptPasses if shared else PaddedPasses
        assert isinstance(engine.passes(gen), kind) and len(engine.passes(gen).parts) > 1
        grads = engine.objective_gradients(gen, advantages, with_kl=True, clip_norm=0.5)
        stats = engine.update(gen, advantages[:, 0])
        results.append((grads, stats, [p.detach().clone() for p in model.policy.parameters()]))
    (g1, s1, p1), (g2, s2, p2) = results
    assert torch.allclose(g1, g2, rtol=1e-4, atol=1e-7)
    assert s1["loss"] == pytest.approx(s2["loss"], rel=1e-5) and s1["kl"] == pytest.approx(s2["kl"], abs=1e-7)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(p1, p2))
