"""Stored LoRA adapters merged in a fixed order (morlbench.models.adapters): where the sum is exact in float64 (as
on the first test's data) the merge is ``W + s * B @ A`` rounded once to float32, it agrees with peft's merge, a
merge two processes race to write is written once, and the shipped reference build is whole."""
import copy
import dataclasses
import json

import pytest
import torch

from morlbench.models.adapters import adapter_state, load_adapters, merge_in_fixed_order, merged_state, save_adapters
from morlbench.models.lora import apply_lora


def _bf16(*shape: int, scale: float = 1.0) -> torch.Tensor:
    return (torch.randn(*shape, generator=torch.Generator().manual_seed(sum(shape))) * scale).to(torch.bfloat16)


def test_the_merge_is_the_exact_sum_rounded_once():
    weight = _bf16(48, 40).float() + torch.randn(48, 40, generator=torch.Generator().manual_seed(3)) * 1e-3
    a, b = _bf16(32, 40, scale=0.05), _bf16(48, 32, scale=0.02)
    # bfloat16 products are exact in float64 and 32 of them sum exactly there: any order gives this value
    exact = (weight.double() + 2.0 * (b.double() @ a.double())).float()
    merged = merge_in_fixed_order(weight, a, b, 2.0)
    assert merged.dtype == torch.float32 and torch.equal(merged, exact)
    assert not torch.equal(merged, weight)


def test_the_merge_agrees_with_peft_on_a_llama_model(tiny_random_model):
    from morlbench.models.lora import unwrap_lora

    policy = copy.deepcopy(tiny_random_model.policy)
    apply_lora(policy, 4)
    with torch.no_grad():  # trained adapters, already at the bfloat16 values that are stored
        for name, param in policy.named_parameters():
            if "lora_" in name:
                param.copy_((torch.randn_like(param) * 0.05).to(torch.bfloat16).float())
    base = {k.replace(".base_layer.", "."): v.clone() for k, v in policy.state_dict().items() if "lora_" not in k}
    adapters, scaling = adapter_state(policy)
    assert scaling == 2.0 and all(t.dtype == torch.bfloat16 for t in adapters.values())
    unwrap_lora(policy, fold=True)  # peft's own merge
    ours = merged_state(base, adapters, scaling)
    theirs = policy.state_dict()
    assert ours.keys() == theirs.keys()
    assert all(torch.allclose(ours[k], theirs[k], rtol=1e-5, atol=1e-6) for k in ours)
    assert any(not torch.equal(ours[k], base[k]) for k in ours)


def test_adapters_round_trip_through_safetensors_with_their_scaling(tmp_path):
    adapters = {"layer.lora_A": _bf16(4, 6), "layer.lora_B": _bf16(5, 4)}
    save_adapters(tmp_path / "a.safetensors", adapters, 2.0)
    loaded, scaling = load_adapters(tmp_path / "a.safetensors")
    assert scaling == 2.0 and all(torch.equal(loaded[k], adapters[k]) for k in adapters)


def test_adapters_for_a_layer_the_base_lacks_are_refused():
    with pytest.raises(ValueError, match="layers the base model lacks: other"):
        merged_state({"layer.weight": torch.zeros(5, 6)}, {"other.lora_A": _bf16(4, 6), "other.lora_B": _bf16(5, 4)},
                     2.0)


def test_the_shipped_reference_build_is_whole_and_starts_inside_the_issues_band():
    from morlbench.models.warm_start import ADAPTERS_FILE, SHIPPED, WarmStartRecipe
    from morlbench.results.atomic import file_sha256

    card = json.loads((SHIPPED / "card.json").read_text())
    assert file_sha256(SHIPPED / ADAPTERS_FILE)[:16] == card["adapters_sha256"]
    recipe = json.loads(json.dumps(dataclasses.asdict(WarmStartRecipe())))
    assert card["recipe"] == {**recipe, "threads": card["recipe"]["threads"]}  # the default recipe's build
    adapters, scaling = load_adapters(SHIPPED / ADAPTERS_FILE)
    assert scaling == 2.0 and len(adapters) == 2 * 30 * 7  # every linear layer of SmolLM2's 30 blocks
    accuracy = card["eval"]["objectives"][0]
    assert card["eval"]["split"] == "report" and card["eval"]["problems"] == 512 and 0.2 <= accuracy <= 0.7


def test_a_model_another_process_merged_first_is_kept_and_nothing_half_written_stays(tmp_path, tiny_random_model):
    from morlbench.errors import UsageError
    from morlbench.models.warm_start import save

    out = tmp_path / "merged"
    out.mkdir()
    (out / "model.safetensors").write_text("the other process's model")  # it renamed its copy in first
    save(tiny_random_model, out, {}, replace=False)
    assert (out / "model.safetensors").read_text() == "the other process's model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["merged"]
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}")  # a stop while it was written: no weights
    with pytest.raises(UsageError, match="cannot write .*broken.*remove it and run again"):
        save(tiny_random_model, broken, {}, replace=False)
    save(tiny_random_model, broken, {"seed": 0})  # replace: the broken directory goes
    assert (broken / "model.safetensors").is_file() and "versions" in json.loads((broken / "build.json").read_text())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken", "merged"]
