"""The command line around a run: --version, run files (--config) and their round trip."""
import pytest

from morlbench.cli import build_parser, main
from morlbench.cli.flags import spec_from_args
from morlbench.errors import UsageError
from morlbench.runfile import load_run_file, write_run_file
from morlbench.spec import RunSpec

RUN_FILE = """
task = "arith"
seed = 3
[budget]
steps = 2
prompts_per_step = 2
[settings]
engine = { lr = 2e-4 }
[method]
name = "static"
weights = [0.5, 0.25, 0.25]
options = { scalarisation = "tchebycheff" }
"""


def test_version_is_printed(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.startswith("morlbench 0.")


def test_a_run_file_takes_the_keys_of_a_suite_entry_and_flags_override_it(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(RUN_FILE)
    args = build_parser().parse_args(["run", "--config", str(path), "--seed", "4", "--group-size", "2"])
    spec = spec_from_args(args, load_run_file(path))
    assert (spec.seed, spec.steps, spec.prompts_per_step, spec.group_size) == (4, 2, 2, 2)
    assert spec.weights == [0.5, 0.25, 0.25] and spec.method_options == {"scalarisation": "tchebycheff"}
    assert spec.engine.lr == 2e-4 and spec.engine.kl_coef == RunSpec().engine.kl_coef


def test_the_stored_run_file_round_trips(tmp_path):
    spec = RunSpec(task="arith", seed=7, weights=[0.2, 0.3, 0.5], method_options={"scalarisation": "tchebycheff"},
                   task_options={"clarity_rule": "strict"})
    write_run_file(spec, tmp_path / "run.toml")
    assert RunSpec.from_dict(load_run_file(tmp_path / "run.toml")) == spec


@pytest.mark.parametrize("text, message", [
    ("stepz = 3", "unknown run setting 'stepz'"),
    ("[method]\nname = 'static'\nweigths = [1, 1, 1]", "unknown key 'weigths' in [method]"),
    ("steps = ", "not a TOML file"),
    ("budget = 3", "[budget] must be a table"),
])
def test_a_bad_run_file_is_refused_in_one_line(tmp_path, text, message):
    path = tmp_path / "run.toml"
    path.write_text(text)
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_run_file(path)


def test_a_missing_run_file_is_named(tmp_path):
    with pytest.raises(UsageError, match="--config .*nothing.toml: no such file"):
        load_run_file(tmp_path / "nothing.toml")


def test_a_probe_takes_the_model_and_its_run_defaults(monkeypatch, capsys):
    import morlbench.probe

    probed = []
    monkeypatch.setattr(morlbench.probe, "probe", lambda spec, batches: probed.append(spec) or {})
    monkeypatch.setattr(morlbench.probe, "markdown", lambda results: "")
    assert main(["probe", "arith", "--model", "smollm2-135m", "--batches", "1"]) == 0
    assert main(["probe", "arith", "--batches", "1"]) == 0
    assert (probed[0].model, probed[0].lora_rank) == ("smollm2-135m", 16)  # SmolLM2's LoRA, as a run gets it
    assert (probed[1].model, probed[1].lora_rank) == (None, 0)  # the task's own model, as configured
