import json

import torch
from safetensors.torch import load_file

from morlbench.models.pretraining import build_tokenizer, pretrain
from morlbench.models.tiny_arith import CHECKPOINT_DIR, PretrainRecipe, TinyArith


def test_shipped_checkpoint_loads_with_its_card():
    model = TinyArith().load(torch.device("cpu"), torch.float32)
    assert 1_000_000 <= model.info["parameters"] <= 5_000_000
    assert type(model.policy).__name__ == "LlamaForCausalLM"
    card = json.loads((CHECKPOINT_DIR / "card.json").read_text())
    assert card["checkpoint_sha256"] == model.info["checkpoint_sha256"]
    assert 0.2 <= card["eval"]["objectives"][0] <= 0.7  # greedy accuracy leaves RL room


def test_tokenizer_has_one_token_per_digit_and_roundtrips():
    tokenizer = build_tokenizer(PretrainRecipe())
    text = "Step 1: 23 + 45 = 68.\nThe answer is \\boxed{68}."
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids) == text
    tokens = tokenizer.convert_ids_to_tokens(ids)
    assert all(len(t) == 1 for t in tokens if t.strip("Ġ").isdigit())


def test_pretraining_recipe_is_deterministic(tmp_path):
    recipe = PretrainRecipe(steps=3, batch_size=4, bucket_batches=2, warmup_steps=1, threads=1)
    a = pretrain(recipe, tmp_path / "a", progress=False)
    b = pretrain(recipe, tmp_path / "b", progress=False)
    wa, wb = load_file(str(tmp_path / "a" / "model.safetensors")), load_file(str(tmp_path / "b" / "model.safetensors"))
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
    assert a["final_loss"] == b["final_loss"] and a["parameters"] == b["parameters"]
