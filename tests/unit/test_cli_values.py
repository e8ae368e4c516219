"""Every command-line value is checked before anything is written (issue #34): a nonsense value ends in one line
naming the flag and what is accepted, and a non-zero exit; suite files keep the same rule."""
import os
import textwrap

import pytest

from morlbench.cli import main
from morlbench.errors import UsageError
from morlbench.spec import normalise_weights
from morlbench.sweep import load_suite


def refused(capsys, argv, *expected):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for text in expected:
        assert text in err, err
    return err


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("the project's README")
    return tmp_path


def test_an_empty_output_path_never_means_the_current_directory(in_tmp, capsys):
    for argv in (["leaderboard", "--out", ""], ["leaderboard", "--results", ""], ["submit", "run", "--to", ""],
                 ["report", "run", "--out", ""], ["run", "--out", ""], ["sweep", "suite.toml", "--out", ""],
                 ["probe", "arith", "--out", ""], ["reference", "results", "--out", ""]):
        refused(capsys, argv, f"error: {argv[-2]} '': expected a path")
    assert sorted(os.listdir(in_tmp)) == ["README.md"]
    assert (in_tmp / "README.md").read_text() == "the project's README"


@pytest.mark.parametrize("target", ["file", "/dev/null"])
def test_an_output_directory_that_is_a_file_is_refused(in_tmp, capsys, target):
    (in_tmp / "file").write_text("x")
    for argv in (["leaderboard", "--out", target], ["submit", "run", "--to", target], ["report", "a", "b", "--out",
                 target], ["run", "--out", target], ["sweep", "suite.toml", "--out", target],
                 ["pretrain", "--out", target]):
        refused(capsys, argv, f"{argv[-2]} {target}: exists and is not a directory")
        refused(capsys, argv[:-1] + [f"{target}/below"], f"{argv[-2]} {target}/below: ", "is not a directory")
    assert (in_tmp / "file").read_text() == "x"


def test_an_output_file_that_is_a_directory_or_a_device_is_refused(in_tmp, capsys):
    for target in (str(in_tmp), "/dev/null"):
        refused(capsys, ["probe", "arith", "--out", target], f"--out {target}: exists and is not a regular file")
        refused(capsys, ["reference", "results", "--out", target], "is not a regular file")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e-300", "-1", "1000"])
def test_generate_temperature_is_zero_or_a_sampling_temperature(capsys, value):
    refused(capsys, ["generate", "--run", "nowhere", "--prompt", "x", f"--temperature={value}"],
            f"--temperature {float(value)!r}", "or 0 to decode greedily")


@pytest.mark.parametrize("value", ["nan", "-1", "0", "inf", "1.5"])
def test_report_hv_ref_is_a_hypervolume(capsys, value):
    refused(capsys, ["report", "nowhere", f"--hv-ref={value}"], f"--hv-ref {float(value)!r}", "> 0 and <= 1")


@pytest.mark.parametrize("argv, flag", [
    (["sweep", "s.toml", "--jobs", "0"], "--jobs 0"), (["sweep", "s.toml", "--jobs", "100000"], "--jobs 100000"),
    (["generate", "--run", "r", "--split", "report", "--n", "0"], "--n 0"),
    (["generate", "--run", "r", "--prompt", "x", "--max-new-tokens", "0"], "--max-new-tokens 0"),
    (["generate", "--run", "r", "--prompt", "x", "--seed", "-1"], "--seed -1"),
    (["probe", "arith", "--seed", "-3"], "--seed -3"), (["probe", "arith", "--group-size", "0"], "--group-size 0"),
    (["probe", "arith", "--prompts-per-step", "0"], "--prompts-per-step 0"), (["probe", "arith", "--batches", "0"],
                                                                             "--batches 0"),
    (["pretrain", "--threads", "0"], "--threads 0"), (["pretrain", "--steps", "0"], "--steps 0"),
])
def test_the_commands_own_numbers_keep_their_declared_ranges(capsys, argv, flag):
    refused(capsys, argv, flag)


def test_huge_weights_resolve_to_their_ratio_not_to_zero():
    assert normalise_weights([1e308, 1e308, 1e308], ("a", "b", "c")) == pytest.approx([1 / 3] * 3)
    assert normalise_weights([1e308, 0.0, 1e308], ("a", "b", "c")) == [0.5, 0.0, 0.5]
    assert normalise_weights([0.5, 0.25, 0.25], ("a", "b", "c")) == [0.5, 0.25, 0.25]


SUITE = """
name = "{name}"
tasks = {tasks}
seeds = {seeds}

[budget]
steps = 1
prompts_per_step = 2
group_size = 2

[[methods]]
name = "static"
label = "{label}"
"""


def suite(tmp_path, name="tiny", tasks='["arith"]', seeds="[0, 1]", label="static"):
    path = tmp_path / "suite.toml"
    path.write_text(textwrap.dedent(SUITE.format(name=name, tasks=tasks, seeds=seeds, label=label)))
    return path


@pytest.mark.parametrize("seeds, message", [
    ("[0, 0]", "seed 0 is listed twice"), ("[1.5]", "seed 1.5: expected a whole number"),
    ("[true]", "seed True: expected a whole number"), ("[-1]", "seed -1: must be >= 0"),
    ("[]", "seeds must be a non-empty list"), ('"0"', "seeds must be a non-empty list"),
])
def test_suite_seeds_are_distinct_whole_numbers(tmp_path, seeds, message):
    with pytest.raises(UsageError, match=message):
        load_suite(suite(tmp_path, seeds=seeds), tmp_path / "out")


@pytest.mark.parametrize("fields, message", [
    ({"label": ".."}, "would leave the suite's directory"), ({"label": "."}, "would leave the suite's directory"),
    ({"tasks": '["arith", "arith"]'}, "two runs would share the directory"),
    ({"label": "tune-lr"}, "labels starting with 'tune-', or with 'w' and a digit, name tuning candidates"),
    ({"label": "w2"}, "labels starting with 'tune-', or with 'w' and a digit, name tuning candidates"),
])
def test_suite_runs_get_directories_of_their_own_inside_the_suite(tmp_path, fields, message):
    with pytest.raises(UsageError, match=message):
        load_suite(suite(tmp_path, **fields), tmp_path / "out")


@pytest.mark.parametrize("name", ["..", "/", "."])
def test_a_suite_name_cannot_leave_runs_sweeps(tmp_path, name):
    with pytest.raises(UsageError, match="cannot name its directory"):
        load_suite(suite(tmp_path, name=name))


def test_a_sound_suite_still_loads(tmp_path):
    planned = load_suite(suite(tmp_path), tmp_path / "out")
    assert [run.spec.seed for run in planned.runs] == [0, 1] * 3  # protocol 3: a run from each w of W
