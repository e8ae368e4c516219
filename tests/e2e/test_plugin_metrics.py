"""A plugin metric of every kind is computed in run reports and can be shown on the leaderboard; a metric that
raises is reported by name and spares everything else (tests/plugins/morlbench-test-plugin)."""
import json

import pytest

from morlbench.results.submission import submit
from morlbench.run.execute import execute
from tests.factory import run_cli, tiny_spec


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugin-metrics")
    execute(tiny_spec(steps=2, eval_every=1, checkpoint_every=2), root / "static", progress=False)
    execute(tiny_spec(method="soups", steps=3, eval_every=3, checkpoint_every=3), root / "soups", progress=False)
    reference = root / "reference.json"
    version = json.loads((root / "static" / "config.json").read_text())["comparability"]["task_version"]
    reference.write_text(json.dumps({"task_versions": {version: {"hv_ref": 0.004, "front": [[0.5, 0.5, 0.5]],
                                                               "applies_to": "any"}}}))
    return root


def test_every_kind_of_plugin_metric_is_in_the_run_report(test_plugin, runs):
    for name in ("static", "soups"):
        done = run_cli(test_plugin, "report", runs / name, "--reference", runs / "reference.json")
        assert done.returncode == 0, done.stderr
    static = json.loads((runs / "static" / "report.json").read_text())
    soups = json.loads((runs / "soups" / "report.json").read_text())
    for report in (static, soups):
        assert {"spread", "first-gap", "evaluations"} <= set(report["metrics"])
        assert report["metrics"]["evaluations"] == 3.0 if report is static else True
        # the failing metric is named with its error; every other metric is still there
        assert report["metrics_not_computed"]["broken-metric"].startswith("failed: RuntimeError: this metric is")
        assert "hypervolume" in report["metrics"]
    assert soups["metrics"]["served-count"] == 3.0  # soups is served at the 3 preferences of W
    assert static["metrics_not_computed"]["served-count"] == "the run serves no preferences"
    text = (runs / "static" / "report.md").read_text()
    assert "| first-gap |" in text and "| broken-metric | not computed: failed: RuntimeError" in text


def test_plugin_metrics_can_be_leaderboard_columns(test_plugin, runs, tmp_path):
    for name in ("static", "soups"):
        submit(runs / name, tmp_path / "results")
    done = run_cli(test_plugin, "leaderboard", "--results", tmp_path / "results", "--out", tmp_path / "board",
                   "--reference", runs / "reference.json", "--metric", "spread", "--metric", "first-gap",
                   "--metric", "evaluations", "--metric", "served-count")
    assert done.returncode == 0, done.stderr
    table = (tmp_path / "board" / "README.md").read_text()
    header = next(line for line in table.splitlines() if line.startswith("| rank |"))
    assert header.endswith("| spread | first-gap | evaluations | served-count |")
    soups = next(line for line in table.splitlines() if line.startswith("| unranked (1 seeds) | soups |"))  # headline
    assert soups.rstrip(" |").endswith("3.000")  # served-count: soups served at the 3 preferences of W
    assert "spread_mean" in (tmp_path / "board" / "results.csv").read_text().splitlines()[0]
    refused = run_cli(test_plugin, "leaderboard", "--results", tmp_path / "results", "--out", tmp_path / "x",
                      "--metric", "sprad")
    assert refused.returncode == 2 and "unknown metric 'sprad'; did you mean spread" in refused.stderr
