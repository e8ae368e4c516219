"""Settings are declared once (default, help, range) and every entry point reads the declaration."""
import argparse
import dataclasses

import pytest

from morlbench.cli import build_parser
from morlbench.cli.flags import flag, spec_from_args
from morlbench.errors import UsageError
from morlbench.settings import settings_from_options, validate
from morlbench.spec import EngineSettings, RunSpec


def run_parser() -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["run"]


def parse(*argv: str) -> RunSpec:
    return spec_from_args(run_parser().parse_args(list(argv)))


def test_every_setting_has_a_flag_with_its_help_and_default():
    options = {o: a for a in run_parser()._actions for o in a.option_strings}
    for cls in (RunSpec, EngineSettings):
        defaults = cls()
        for f in dataclasses.fields(cls):
            if f.name in ("engine", "task_options", "method_options"):
                continue
            action = options[flag(f.name)]
            assert f.metadata["help"] and f.metadata["help"] in action.help.replace("%%", "%")
            shown = getattr(defaults, f.name)
            if shown is not None and not isinstance(shown, bool):
                assert f"(default {shown})" in action.help, f.name


def test_flags_reach_the_spec_and_unset_flags_keep_the_defaults():
    spec = parse("--eval-batch-size", "32", "--weight-decay", "0.1", "--beta1", "0.8", "--beta2", "0.95",
                 "--weights", "2,1,1", "--gradient-checkpointing", "--task-opt", "eval_size=16", "--data", "d")
    assert spec.eval_batch_size == 32 and spec.weights == [2.0, 1.0, 1.0]
    assert (spec.engine.weight_decay, spec.engine.beta1, spec.engine.beta2) == (0.1, 0.8, 0.95)
    assert spec.engine.gradient_checkpointing and spec.task_options == {"data": "d", "eval_size": "16"}
    assert parse() == RunSpec()


@pytest.mark.parametrize("argv, message", [
    (["--steps", "1e20"], "--steps: '1e20' is not a valid int"),
    (["--seed", "-1"], "--seed -1: must be >= 0"),
    (["--group-size", "100000"], "--group-size 100000: must be >= 1 and <= 1024"),
    (["--lr", "inf"], "--lr inf: expected a finite number, > 0 and <= 1"),
    (["--kl-coef", "nan"], "--kl-coef nan: expected a finite number"),
    (["--temperature", "1e-300"], "--temperature 1e-300: must be >= 0.01"),
    (["--report-split", ""], "--report-split: must not be empty"),
    (["--objectives", ","], "--objectives []: expected comma-separated strs"),
    (["--lora-rank", "100000"], "--lora-rank 100000: must be >= 0 and <= 4096"),
    (["--loss-aggregation", "sum"], "--loss-aggregation 'sum': not one of token-mean, sequence-mean"),
])
def test_every_range_is_checked_in_one_line(argv, message):
    with pytest.raises(UsageError) as refused:
        parse(*argv)
    assert str(refused.value).startswith(message)


def test_suite_and_config_values_are_checked_by_type_too():
    with pytest.raises(UsageError, match="--steps True: expected a whole number"):
        validate(RunSpec(steps=True))
    with pytest.raises(UsageError, match="--lr '0.1': expected a number"):
        validate(RunSpec(engine=EngineSettings(lr="0.1")))


def test_plugin_settings_are_converted_and_checked_from_their_declaration():
    from morlbench.methods.hypervolume import HypervolumeSettings

    assert settings_from_options(HypervolumeSettings, {"eta": "2"}, "method hypervolume").eta == 2.0
    with pytest.raises(UsageError, match="method hypervolume setting delta 0.0: must be > 0 and <= 1"):
        settings_from_options(HypervolumeSettings, {"delta": "0"}, "method hypervolume")
