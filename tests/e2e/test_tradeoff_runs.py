"""The trade-off analysis of real runs: in the report, and never changing training."""
import json

import pytest

from morlbench.metrics.tradeoffs import tradeoff_summary
from morlbench.run.execute import execute
from morlbench.spec import RunSpec


@pytest.fixture(scope="module")
def diagnosed_runs(tmp_path_factory):
    base = dict(task="arith-conflict", steps=2, prompts_per_step=4, group_size=4, eval_every=2)
    runs = {}
    for every in (0, 1):
        out = tmp_path_factory.mktemp(f"cos{every}")
        execute(RunSpec(**base, gradient_cosine_every=every), out, progress=False)
        runs[every] = out
    return runs


def test_run_reports_carry_the_tradeoff_analysis(diagnosed_runs):
    out = diagnosed_runs[1]
    report = json.loads((out / "report.json").read_text())
    tradeoffs = report["tradeoffs"]
    assert len(tradeoffs["gradient_cosine_by_step"]) == 2 and tradeoffs["rollouts"] == 32
    assert tradeoffs["pairs"][0]["objectives"] == ["accuracy", "length-budget"]
    assert tradeoffs["pairs"][0]["cosine_steps"] == 2
    assert (out / "tradeoffs.png").stat().st_size > 10_000
    text = (out / "report.md").read_text()
    assert "## Trade-offs between objectives" in text and "![trade-offs](tradeoffs.png)" in text
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    summary = tradeoff_summary(["accuracy", "length-budget"], metrics)
    assert summary["correlation"] == tradeoffs["correlation"]


def test_gradient_diagnostic_does_not_change_training(diagnosed_runs):
    off, on = ((diagnosed_runs[k] / "eval.jsonl").read_text() for k in (0, 1))
    assert off == on
    report = json.loads((diagnosed_runs[0] / "report.json").read_text())
    assert report["tradeoffs"]["gradient_cosine_by_step"] == []
    assert "not computed" in (diagnosed_runs[0] / "report.md").read_text()
