"""Precision: --dtype resolution, bfloat16 autocast through the engine, the gathered log-probability, and where the
choice is recorded (comparability key, model run defaults)."""
import contextlib
import copy
import dataclasses

import pytest
import torch

from morlbench.comparability import comparability_key
from morlbench.engine import precision
from morlbench.engine.engine import Engine
from morlbench.engine.losses import token_logprobs
from morlbench.engine.precision import pick_precision
from morlbench.spec import EngineSettings, RunSpec
from tests.factory import ARITH_PROMPTS


def test_auto_is_float32_on_cpu_unless_the_model_asks_and_the_cpu_has_bfloat16_units(monkeypatch):
    assert pick_precision("auto", "cpu").name == "float32"
    assert pick_precision("auto", "cuda").name == "bfloat16"
    monkeypatch.setattr(precision, "bfloat16_units", lambda: None)
    assert pick_precision("auto", "cpu", cpu_autocast=True).name == "float32"  # the fallback
    monkeypatch.setattr(precision, "bfloat16_units", lambda: "amx")
    chosen = pick_precision("auto", "cpu", cpu_autocast=True)
    assert (chosen.name, chosen.weights, chosen.autocast) == ("bfloat16-autocast", torch.float32, torch.bfloat16)
    assert pick_precision("float32", "cpu", cpu_autocast=True).name == "float32"  # an explicit --dtype wins


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_gathered_logprob_matches_a_float64_log_softmax_of_the_same_logits(dtype):
    torch.manual_seed(0)
    logits = (torch.randn(3, 300, 700) * 4).to(dtype).requires_grad_(True)
    tokens = torch.randint(0, 700, (3, 300))
    upstream = torch.randn(3, 300)
    ours = token_logprobs(logits, tokens)
    (ours * upstream).sum().backward()
    exact_in = logits.detach().double().requires_grad_(True)
    exact = torch.log_softmax(exact_in, -1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
    (exact * upstream.double()).sum().backward()
    assert ours.dtype == torch.float32
    assert torch.allclose(ours.double(), exact, atol=1e-5)
    # the gradient is rounded once, to the logits' dtype
    assert torch.allclose(logits.grad.double(), exact_in.grad, atol=4e-3 * exact_in.grad.abs().max().item())


def test_float32_logits_keep_the_plain_log_softmax():
    logits, tokens = torch.randn(2, 5, 11), torch.randint(0, 11, (2, 5))
    plain = torch.log_softmax(logits, -1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
    assert torch.equal(token_logprobs(logits, tokens), plain)  # bit for bit: recorded float32 runs stay exact


def test_an_update_under_bfloat16_autocast_keeps_float32_weights_and_moves_them(tiny_random_model):
    m = tiny_random_model
    model = dataclasses.replace(m, policy=copy.deepcopy(m.policy), autocast=torch.bfloat16)
    engine = Engine(model, EngineSettings(lr=1e-2, kl_coef=1e-3))
    before = [p.detach().clone() for p in model.policy.parameters()]
    with model.computing():
        gen = engine.sample([model.encode_prompt(p) for p in ARITH_PROMPTS[:2] for _ in range(3)], 8, seed=1)
        stats = engine.update(gen, torch.linspace(-1, 1, gen.sequences.shape[0], dtype=torch.float64))
    assert all(p.dtype == torch.float32 for p in model.policy.parameters())
    assert all(torch.isfinite(torch.tensor(v)) for v in stats.values())
    assert any(not torch.equal(a, p) for a, p in zip(before, model.policy.parameters()))


def test_precision_enters_the_comparability_key_only_where_it_is_not_float32():
    args = (RunSpec(), "arith-v1", ("accuracy",), "m@x", {"selection": "s:1", "report": "r:1"}, 8, "W")
    assert "precision" not in comparability_key(*args)
    assert comparability_key(*args, precision="bfloat16-autocast")["precision"] == "bfloat16-autocast"


def test_smollm2_runs_take_lora_by_default_unless_given_or_the_method_builds_its_own():
    from morlbench.run.resolve import with_model_defaults

    assert with_model_defaults({"task": "math500"})["lora_rank"] == 16  # its default model is smollm2-135m
    assert with_model_defaults({"task": "math500", "lora_rank": 0})["lora_rank"] == 0
    assert "lora_rank" not in with_model_defaults({"task": "math500", "method": "meta-policy"})
    assert with_model_defaults({"task": "arith"}) == {"task": "arith"}  # tiny-arith: no defaults


def test_one_autocast_context_over_several_steps_trains_as_a_context_per_step(tiny_random_model):
    """autocast's weight cache would serve the weights of before an optimizer step; computing() keeps it off."""
    m = tiny_random_model
    prompts = [m.encode_prompt(p) for p in ARITH_PROMPTS[:2] for _ in range(3)]
    finals = []
    for one_context in (True, False):
        model = dataclasses.replace(m, policy=copy.deepcopy(m.policy), autocast=torch.bfloat16)
        engine = Engine(model, EngineSettings(lr=1e-2))
        whole = model.computing() if one_context else contextlib.nullcontext()
        phase = contextlib.nullcontext if one_context else model.computing
        with whole:
            for step in range(3):
                with phase():
                    gen = engine.sample(prompts, 6, seed=step)
                with phase():
                    engine.update(gen, torch.linspace(-1, 1, gen.sequences.shape[0], dtype=torch.float64))
        finals.append([p.detach().clone() for p in model.policy.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*finals))


def test_frozen_linear_weights_are_stored_in_bfloat16_but_trained_and_tied_ones_are_not(tiny_random_model):
    from morlbench.engine.precision import store_frozen_products
    from morlbench.models.lora import apply_lora

    policy = copy.deepcopy(tiny_random_model.policy)
    policy.lm_head.weight = policy.model.embed_tokens.weight  # tied, as SmolLM2's
    apply_lora(policy, 4)
    assert store_frozen_products(policy, torch.bfloat16) > 0
    for name, p in policy.named_parameters():
        frozen_projection = "base_layer" in name
        assert p.dtype == (torch.bfloat16 if frozen_projection else torch.float32), name
    assert policy.lm_head.weight is policy.model.embed_tokens.weight


def test_no_lora_default_for_trls_backend_and_bad_types_are_left_to_the_specs_checks():
    from morlbench.run.resolve import with_model_defaults

    assert "lora_rank" not in with_model_defaults({"task": "math500", "backend": "trl"})
    assert with_model_defaults({"task": 3}) == {"task": 3}  # RunSpec's check names it in one line


def test_gathered_logprob_of_a_strided_slice_equals_that_of_a_contiguous_copy():
    torch.manual_seed(1)
    whole = (torch.randn(2, 600, 50) * 3).bfloat16()
    tokens, upstream = torch.randint(0, 50, (2, 599)), torch.randn(2, 599)
    strided = whole.clone().requires_grad_(True)
    copied = whole[:, :-1].clone().requires_grad_(True)
    ours = token_logprobs(strided[:, :-1], tokens)  # rows not contiguous: as completion_logprobs passes them
    (ours * upstream).sum().backward()
    theirs = token_logprobs(copied, tokens)
    (theirs * upstream).sum().backward()
    assert torch.equal(ours, theirs) and torch.equal(strided.grad[:, :-1], copied.grad)
    assert not strided.grad[:, -1].any()  # the unused last position gets no gradient
