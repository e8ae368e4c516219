"""Math tasks on local fixture rows (never the network), chat templates, and model selection."""
import json
from pathlib import Path

import pytest

from morlbench.cli import main
from morlbench.errors import UsageError
from morlbench.run.execute import execute
from morlbench.run.resolve import pick_model
from morlbench.spec import RunSpec
from morlbench.tasks.math_data import PROMPT_SUFFIX, seeded_cut
from morlbench.tasks.math_tasks import GSM8K, Math500, MathAlgebra, MathSettings

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_parquet_layout_of_the_released_files():
    task = Math500(MathSettings(data=str(FIXTURES / "math500")))
    assert task.split_sizes() == {"train": 6, "val": 3, "test": 3}
    problem = task.split("test")[0]
    assert problem.prompt.endswith(PROMPT_SUFFIX) and problem.prompt.count(PROMPT_SUFFIX) == 1
    assert problem.answer == "\\frac{2}{3}" and problem.difficulty == 5
    assert task.version.startswith("math500-custom")  # a subset is not the released split
    assert (task.selection_split, task.report_split) == ("val", "test")


def test_jsonl_with_problem_and_answer():
    task = MathAlgebra(MathSettings(data=str(FIXTURES / "algebra-jsonl"), prompt_suffix=" Answer in \\boxed{}."))
    problem = task.split("test")[0]
    assert problem.answer == "10" and problem.prompt.endswith(" Answer in \\boxed{}.") and problem.difficulty == 4


def test_canonical_versions_and_declared_sizes_need_no_download():
    assert Math500().version == "math500-d1-s3-loose-running-mean"
    assert Math500().split_sizes() == {"train": 300, "val": 100, "test": 100}
    assert MathAlgebra().split_sizes() == {"train": 1744, "val": 593, "test": 594}
    assert GSM8K().split_sizes() == {"train": 6973, "val": 500, "test": 1319}


def test_the_released_split_is_recognised_as_canonical():
    shared = FIXTURES.parents[2] / "shared" / "data" / "math500"
    if not shared.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    assert Math500(MathSettings(data=str(shared))).version == Math500().version


def test_gsm8k_answers_after_the_hash_marks():
    from morlbench.tasks.math_data import answer_of

    assert answer_of({"question": "q", "answer": "He has 3 + 4 = 7.\n#### 1,072"}) == "1072"


def test_seeded_cut_is_the_same_every_time():
    rows = [{"i": i} for i in range(10)]
    assert seeded_cut(rows, [6, 2, 2]) == seeded_cut(rows, [6, 2, 2])
    assert sorted(r["i"] for part in seeded_cut(rows, [6, 2, 2]) for r in part) == list(range(10))


@pytest.mark.parametrize("data, message", [
    ("/no/such/dir", "not a directory, and not a hub id"),
    (str(FIXTURES), "missing train, val, test"),
])
def test_bad_data_is_one_clear_line(data, message):
    with pytest.raises(UsageError, match=message):
        Math500(MathSettings(data=data)).split("test")


def test_unreachable_hub_says_to_pass_local_data(monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(UsageError, match="pass a local copy with --data DIR"):
        GSM8K(MathSettings(data="nobody/no-such-dataset")).split("test")


def test_list_tasks_shows_versions_and_sizes(capsys):
    assert main(["list", "tasks"]) == 0
    out = capsys.readouterr().out
    for line in ("math500-d1-s3-loose-running-mean; train 300, val 100, test 100",
                 "math-algebra-d1-s3-loose-running-mean; train 1744, val 593, test 594",
                 "gsm8k-d1-s3-loose-running-mean; train 6973, val 500, test 1319", "arith-"):
        assert line in out


def test_a_math_run_on_local_rows_writes_a_normal_report(tmp_path):
    out = tmp_path / "math"
    spec = RunSpec(task="math500", model="tiny-arith", steps=1, prompts_per_step=2, group_size=2, eval_every=1,
                   max_new_tokens=12,
                   task_options={"data": str(FIXTURES / "math500")})
    execute(spec, out, progress=False)
    config = json.loads((out / "config.json").read_text())
    assert config["resolved"]["report_split"] == "test" and config["comparability"]["report_split"] == "test:3"
    assert config["comparability"]["selection_split"] == "val:3"
    assert config["task"]["data_digest"] and config["resolved"]["dtype"] == "float32"
    report = json.loads((out / "report.json").read_text())
    assert len(report["final"]) == 3
    # the math-verify checker's counts travel with every step and into the report (timeouts scored 0)
    assert set(report["scoring"]["accuracy"]) == {"checks", "timeouts", "restarts"}
    assert "Scoring of accuracy: " in (out / "report.md").read_text()


def test_chat_template_wraps_the_prompt(tiny_random_model):
    from morlbench.models.base import LoadedModel

    tokenizer = tiny_random_model.tokenizer
    plain = LoadedModel(tiny_random_model.policy, tokenizer, "t", {}).encode_prompt("What is 1+1?")
    tokenizer.chat_template = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}<|assistant|>"
    try:
        chat = LoadedModel(tiny_random_model.policy, tokenizer, "t", {}).encode_prompt("What is 1+1?")
    finally:
        tokenizer.chat_template = None
    assert tokenizer.decode(chat) == "<|user|>What is 1+1?<|assistant|>" and len(chat) > len(plain)


def test_model_names_resolve_to_directories_registry_or_hub(tmp_path):
    from morlbench.models.hf import HubModel
    from morlbench.models.local import LocalDirectory

    with pytest.raises(UsageError, match="holds no model saved with save_pretrained"):
        pick_model(str(tmp_path))  # a directory without config.json
    (tmp_path / "config.json").write_text("{}")
    assert isinstance(pick_model(str(tmp_path)), LocalDirectory)
    assert isinstance(pick_model("HuggingFaceTB/SmolLM2-135M-Instruct"), HubModel)
    assert type(pick_model("tiny-arith")).__name__ == "TinyArith"
    with pytest.raises(UsageError, match="unknown model"):
        pick_model("tiny")


def test_hub_model_offline_is_one_clear_line(monkeypatch):
    import torch

    from morlbench.models.hf import HubModel

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UsageError, match="cannot load it from the hub or its cache"):
        HubModel("nobody/no-such-model-here").load(torch.device("cpu"), torch.float32)


@pytest.mark.slow
def test_smollm2_loads_offline_and_answers_in_its_chat_format(tmp_path, monkeypatch):
    import torch

    from morlbench.engine.sampling import generate
    from morlbench.models.hf import SmolLM2, smollm2_gguf

    try:
        smollm2_gguf()
    except UsageError as exc:
        pytest.skip(str(exc))
    monkeypatch.setenv("MORLBENCH_CACHE", str(tmp_path))  # exercise the GGUF conversion, not a cached copy
    model = SmolLM2().load(torch.device("cpu"), torch.float32)
    assert model.info["parameters"] == 134_515_008
    assert list(tmp_path.glob("smollm2-135m-*/model.safetensors"))
    ids = model.encode_prompt("What is 2+3? Give the final answer in \\boxed{}.")
    assert model.tokenizer.decode(ids).endswith("<|im_start|>assistant\n")
    gen = generate(model.policy, [ids], max_new_tokens=24, eos_id=model.eos_token_id, pad_id=model.pad_token_id,
                   greedy=True)
    assert gen.lengths[0] > 0


def test_lora_rank_trains_only_adapters_and_serves_them(tmp_path, capsys):
    from safetensors.torch import load_file

    from morlbench.models.tiny_arith import CHECKPOINT_DIR
    from tests.factory import tiny_spec as small_spec

    out = tmp_path / "lora"
    execute(small_spec(steps=2, eval_every=2, checkpoint_every=2, lora_rank=2), out, progress=False)
    trained = load_file(str(out / "checkpoint" / "policy.safetensors"))
    base = load_file(str(CHECKPOINT_DIR / "model.safetensors"))
    lora = [k for k in trained if "lora_" in k]
    assert lora and any(trained[k].abs().sum() > 0 for k in lora if "lora_B" in k)  # B starts at zero
    for key, value in trained.items():
        stem = key.replace(".base_layer", "")
        if "lora_" not in key and stem in base:
            assert torch_equal(value, base[stem]), key  # the base stays frozen
    assert main(["generate", "--run", str(out), "--max-new-tokens", "4", "--prompt", "Ann has 3 pens."]) == 0
    assert main(["run", "--method", "meta-policy", "--lora-rank", "2", "--out", str(tmp_path / "x"),
                 "--no-progress"]) == 2
    assert "--lora-rank does not apply to method meta-policy" in capsys.readouterr().err


def torch_equal(a, b):
    import torch

    return torch.equal(a, b)
