"""A suite tuned by another suite's search (``tuned_by``): each entry runs at the value the other's record chose
for the same entry, and nothing else is borrowed."""
import json
import textwrap

import pytest

from morlbench.errors import UsageError
from morlbench.suite_file import load_suite
from morlbench.tuning import tuning_suite

BASE = """
name = "base"
tasks = ["arith"]
seeds = [0, 1]
[budget]
steps = 2
prompts_per_step = 2
group_size = 2
[tune]
setting = "lr"
values = [1e-4, 1e-3]
seeds = [50]
[[methods]]
name = "static"
[[methods]]
name = "gradient"
label = "gradient-paper"
tune = false
"""

VARIANT = """
name = "variant"
tasks = ["arith-conflict"]
seeds = {seeds}
tuned_by = "base.toml"
{extra}
[budget]
steps = 2
prompts_per_step = 2
group_size = 2
[[methods]]
name = "static"
{methods}
"""


def suites(tmp_path, seeds="[0]", extra="", methods=""):
    (tmp_path / "base.toml").write_text(textwrap.dedent(BASE))
    (tmp_path / "base.tuning.json").write_text(json.dumps(
        {"entries": {"static": {"setting": "lr", "chosen": 1e-3, "candidates": []}}}))
    path = tmp_path / "variant.toml"
    path.write_text(textwrap.dedent(VARIANT.format(seeds=seeds, extra=extra, methods=methods)))
    return path


def test_each_entry_runs_at_the_value_the_other_suite_chose(tmp_path):
    suite = load_suite(suites(tmp_path, methods='[[methods]]\nname = "gradient"\nlabel = "gradient-paper"\n'
                                                 'tune = false'), tmp_path / "out")
    lrs = {run.label: run.spec.engine.lr for run in suite.runs}
    assert lrs["static"] == 1e-3  # chosen by base's search, not the engine default
    assert lrs["gradient-paper"] == 1e-4  # tune = false in both: as configured
    assert {run.spec.task for run in suite.runs} == {"arith-conflict"}
    assert len([r for r in suite.runs if r.label == "static"]) == 3  # from each w of the 2-objective W


@pytest.mark.parametrize("kwargs, message", [
    ({"methods": '[[methods]]\nname = "hypervolume"'}, "has no entry with the same name"),
    ({"methods": '[[methods]]\nname = "static"\nlabel = "tchebycheff"\noptions = { scalarisation = "tchebycheff" }'},
     "has no entry with the same name"),
    ({"seeds": "[0, 50]"}, "ranks seeds [50] that"),
    ({"extra": '[tune]\nsetting = "lr"\nvalues = [1e-4]\nseeds = [9]'}, "a suite has one search"),
    ({"extra": '[settings]\nmodel = "tiny-arith-signoff"'}, "runs model tiny-arith-signoff and .* tuned model the "
                                                               "task default"),
])
def test_what_it_refuses(tmp_path, kwargs, message):
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("]", r"\]") if "[" in message
                       else message):
        load_suite(suites(tmp_path, **kwargs), tmp_path / "out")


def test_a_missing_choice_and_tuning_it_name_the_other_suite(tmp_path):
    path = suites(tmp_path)
    (tmp_path / "base.tuning.json").write_text(json.dumps({"entries": {}}))
    with pytest.raises(UsageError, match="morlbench tune .*base.toml"):
        load_suite(path, tmp_path / "out")
    with pytest.raises(UsageError, match="tuned by base.toml: run `morlbench tune` on that suite"):
        tuning_suite(path, tmp_path / "out")


@pytest.mark.parametrize("target, message", [("missing.toml", "is not a readable suite file"),
                                             ("variant.toml", "is not a suite with a \\[tune\\] table"),
                                             ("plain.toml", "is not a suite with a \\[tune\\] table")])
def test_a_source_that_is_not_a_tuned_suite_is_named(tmp_path, target, message):
    path = suites(tmp_path)
    (tmp_path / "plain.toml").write_text(textwrap.dedent(BASE).split("[tune]")[0] + '[[methods]]\nname = "static"\n')
    path.write_text(path.read_text().replace('tuned_by = "base.toml"', f'tuned_by = "{target}"'))
    with pytest.raises(UsageError, match=message):
        load_suite(path, tmp_path / "out")


def test_an_explicit_tune_true_is_the_same_entry(tmp_path):
    suite = load_suite(_with_methods(tmp_path, '[[methods]]\nname = "static"\ntune = true'), tmp_path / "out")
    assert {run.spec.engine.lr for run in suite.runs} == {1e-3}


def _with_methods(tmp_path, methods):
    path = suites(tmp_path)
    path.write_text(path.read_text().replace('[[methods]]\nname = "static"\n', methods + "\n", 1))
    return path


def test_challenge_refuses_a_suite_that_borrows_its_tuning(tmp_path, capsys):
    from morlbench.cli import main

    path = suites(tmp_path)
    assert main(["challenge", "gradient", "--suite", str(path), "--out", str(tmp_path / "ch"), "--dry-run"]) == 2
    assert "borrows its tuning from base.toml; challenge that suite" in capsys.readouterr().err


def test_an_unfinished_tuning_run_leaves_its_candidate_without_a_mean(tmp_path):
    from morlbench.tuning import selection_hypervolume

    started = tmp_path / "started"
    started.mkdir()
    (started / "config.json").write_text("{}")  # interrupted: no report
    assert selection_hypervolume([started, tmp_path / "never-started"]) is None
