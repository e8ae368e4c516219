"""Plugins that break their hook's contract are refused with one line naming them: no run finishes, no result is
accepted, no built-in is replaced (docs/plugins.md, "The contract"). The misbehaving plugins live in the test
plugin distribution (tests/plugins/morlbench-test-plugin/morlbench_test_plugin/misbehaving.py)."""
import json

import pytest

from tests.factory import run_cli

SMALL = ("--steps", "2", "--prompts-per-step", "2", "--group-size", "2", "--max-new-tokens", "8", "--no-progress")
PLUGIN = "(from morlbench-test-plugin)"


def test_a_plugin_cannot_take_a_built_in_name(test_plugin, tmp_path):
    out = run_cli(test_plugin, "list", "methods")
    assert "method 'static' from morlbench-test-plugin refused: the name is already registered by morlbench" \
        in out.stderr
    line = next(l for l in out.stdout.splitlines() if l.split()[:1] == ["static"])
    assert "morlbench-test-plugin" not in line
    run = tmp_path / "run"
    assert run_cli(test_plugin, "run", "--method", "static", *SMALL, "--out", run).returncode == 0
    submitted = run_cli(test_plugin, "submit", run, "--to", tmp_path / "results")
    assert submitted.returncode == 0, submitted.stderr
    assert json.loads(open(submitted.stdout.strip()).read())["package"] == "morlbench"


SLOW = pytest.mark.slow  # one case in the fast suite; the others, each a run in a subprocess, in the slow one
CASES = [
    (("--method", "nan-advantages"), f"method 'nan-advantages' {PLUGIN}: advantages() returned 4 non-finite values"),
    pytest.param(("--method", "wrong-shape"),
                 f"method 'wrong-shape' {PLUGIN}: advantages() returned shape (3,); expected 4 numbers", marks=SLOW),
    pytest.param(("--method", "bad-weights"), f"method 'bad-weights' {PLUGIN}: weights() returned [-1.0, 1.0, 1.0]; "
                 "expected finite numbers >= 0 that sum to 1", marks=SLOW),
    pytest.param(("--method", "non-json-log"),
                 f"method 'non-json-log' {PLUGIN}: after_step() returned a value JSON cannot store", marks=SLOW),
    pytest.param(("--objectives", "accuracy,short-objective"),
                 f"objective 'short-objective' {PLUGIN}: train_rewards() returned shape (3,); expected 4 numbers",
                 marks=SLOW),
    pytest.param(("--objectives", "accuracy,wild-objective"),
                 f"objective 'wild-objective' {PLUGIN}: eval_value() returned values outside [0, 1] (e.g. [7.5])",
                 marks=SLOW),
]


IDS = [(case if isinstance(case, tuple) else case.values)[0][-1] for case in CASES]  # the plugin's name


@pytest.mark.parametrize("args, message", CASES, ids=IDS)
def test_a_broken_contract_stops_the_run_in_one_line_and_nothing_is_accepted(test_plugin, tmp_path, args, message):
    run = tmp_path / "run"
    out = run_cli(test_plugin, "run", *args, *SMALL, "--out", run)
    assert out.returncode == 2, out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("morlbench run: error: ") and message in last, last
    assert "Traceback" not in out.stderr
    assert not (run / "report.json").exists()
    failure = json.loads((run / "failure.json").read_text())
    assert message in failure["error"] and failure["step"] == 0
    refused = run_cli(test_plugin, "submit", run, "--to", tmp_path / "results")
    assert refused.returncode == 2 and "is a failed run" in refused.stderr
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())


def test_a_metric_returning_a_string_is_not_computed_and_named(test_plugin, tmp_path):
    run = tmp_path / "run"
    assert run_cli(test_plugin, "run", *SMALL, "--out", run).returncode == 0
    reasons = json.loads((run / "report.json").read_text())["metrics_not_computed"]
    assert reasons["string-metric"].startswith("failed: ContractError: metric 'string-metric' (from "
                                               "morlbench-test-plugin): returned str 'high'")
