"""``--dtype bfloat16-autocast-merged``: rollouts sampled from bfloat16 copies of the projections, LoRA folded in;
the model is put back untouched, a plain projection's copy computes what autocast computes, a LoRA one differs
by bfloat16 rounding only."""
import copy
import dataclasses

import pytest
import torch

from morlbench.engine.engine import Engine
from morlbench.engine.precision import pick_precision, store_frozen_products
from morlbench.engine.sampling_weights import sampling_copies
from morlbench.models.lora import apply_lora
from morlbench.spec import EngineSettings
from tests.factory import ARITH_PROMPTS


def _lora_model(tiny_random_model, rank: int = 4):
    model = dataclasses.replace(tiny_random_model, policy=copy.deepcopy(tiny_random_model.policy),
                                autocast=torch.bfloat16, merged_sampling=True)
    apply_lora(model.policy, rank)
    store_frozen_products(model.policy, torch.bfloat16)
    torch.manual_seed(1)
    with torch.no_grad():  # adapters that have trained: B is no longer zero
        for name, p in model.policy.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.05)
    return model


def _logits(model, ids):
    with torch.no_grad(), model.computing():
        return model.policy(ids).logits


def test_the_name_selects_autocast_with_merged_sampling():
    chosen = pick_precision("bfloat16-autocast-merged", "cpu")
    assert (chosen.name, chosen.weights, chosen.autocast, chosen.merged_sampling) == (
        "bfloat16-autocast-merged", torch.float32, torch.bfloat16, True)
    assert not pick_precision("bfloat16-autocast", "cpu").merged_sampling


def test_the_policy_is_put_back_untouched(tiny_random_model):
    model = _lora_model(tiny_random_model)
    modules = dict(model.policy.named_modules())
    state = {k: v.clone() for k, v in model.policy.state_dict().items()}
    with model.computing(), sampling_copies(model.policy, torch.bfloat16):
        inside = dict(model.policy.named_modules())
        assert type(inside["model.layers.0.self_attn.q_proj"]) is torch.nn.Linear  # the adapter is folded in
        assert not any(p.requires_grad for p in inside["model.layers.0.self_attn.q_proj"].parameters())
    after = dict(model.policy.named_modules())
    assert after.keys() == modules.keys() and all(after[k] is modules[k] for k in modules)
    assert all(torch.equal(v, model.policy.state_dict()[k]) for k, v in state.items())


def test_a_copy_is_the_float32_fold_rounded_once_made_under_autocast_too(tiny_random_model):
    model = _lora_model(tiny_random_model)
    wrapped = model.policy.get_submodule("model.layers.0.self_attn.q_proj")
    a, b = wrapped.lora_A["default"].weight.double(), wrapped.lora_B["default"].weight.double()
    expected = (wrapped.get_base_layer().weight.double() + b @ a * wrapped.scaling["default"]).to(torch.bfloat16)
    with model.computing(), sampling_copies(model.policy, torch.bfloat16):
        copy_ = model.policy.get_submodule("model.layers.0.self_attn.q_proj")
        assert copy_.weight.dtype == torch.bfloat16
        assert torch.equal(copy_.weight, expected)


def test_copies_are_refused_outside_autocast(tiny_random_model):
    model = _lora_model(tiny_random_model)
    with pytest.raises(RuntimeError, match="needs torch.bfloat16 autocast"):
        with sampling_copies(model.policy, torch.bfloat16):
            pass
    assert type(model.policy.get_submodule("model.layers.0.self_attn.q_proj")) is not torch.nn.Linear


def test_a_biased_projection_computes_what_autocast_computes():
    torch.manual_seed(0)
    layer = torch.nn.Sequential(torch.nn.Linear(16, 8, bias=True), torch.nn.Linear(8, 4, bias=True))
    x = torch.randn(3, 16)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, cache_enabled=False):
        plain = layer(x)
        with sampling_copies(layer, torch.bfloat16):
            copied = layer(x)
    assert torch.equal(plain, copied)


def test_plain_projections_compute_what_autocast_computes(tiny_random_model):
    model = dataclasses.replace(tiny_random_model, policy=copy.deepcopy(tiny_random_model.policy),
                                autocast=torch.bfloat16)
    ids = torch.tensor([model.encode_prompt(p) for p in ARITH_PROMPTS[:1]])
    plain = _logits(model, ids)
    with model.computing(), sampling_copies(model.policy, torch.bfloat16):
        copied = _logits(model, ids)
    assert torch.equal(plain, copied)


def test_folded_adapters_differ_from_the_unmerged_products_by_rounding_only(tiny_random_model):
    model = _lora_model(tiny_random_model)
    ids = torch.tensor([model.encode_prompt(p) for p in ARITH_PROMPTS[:1]])
    unmerged = _logits(model, ids).float()
    with model.computing(), sampling_copies(model.policy, torch.bfloat16):
        merged = _logits(model, ids).float()
    for name, p in model.policy.named_parameters():
        if "lora_B" in name:
            p.data.zero_()
    without_adapters = _logits(model, ids).float()
    rounding = (merged - unmerged).abs().max()
    assert 0 < rounding < 0.1 * (unmerged - without_adapters).abs().max()  # far below what the adapters change


def test_an_engine_samples_merged_and_updates_its_own_adapters(tiny_random_model, monkeypatch):
    from morlbench.engine import engine as engine_module

    used = []

    def spy(policy, dtype):
        used.append(dtype)
        return sampling_copies(policy, dtype)

    monkeypatch.setattr(engine_module, "sampling_copies", spy)
    model = _lora_model(tiny_random_model)
    engine = Engine(model, EngineSettings(lr=1e-2, kl_coef=1e-3))
    engine.set_parameter_groups([{"params": [p for p in model.policy.parameters() if p.requires_grad]}])
    before = {n: p.detach().clone() for n, p in model.policy.named_parameters() if p.requires_grad}
    prompts = [model.encode_prompt(p) for p in ARITH_PROMPTS[:2] for _ in range(3)]
    with model.computing():
        gen = engine.sample(prompts, 8, seed=1)
        again = engine.sample(prompts, 8, seed=1)
        engine.update(gen, torch.linspace(-1, 1, gen.sequences.shape[0], dtype=torch.float64))
    assert used == [torch.bfloat16, torch.bfloat16]  # each sampling call, and only sampling, used the copies
    assert torch.equal(gen.sequences, again.sequences)  # seeded
    after = dict(model.policy.named_parameters())
    assert any(not torch.equal(before[n], after[n]) for n in before)  # the real adapters trained, not the copies
