"""The suite files shipped in baselines/ read as suites, and a suite recorded into another's board fixes the same
comparability (task, budget, settings, seeds): its runs must join that group, not start one of their own."""
from pathlib import Path

import pytest

from morlbench.suite_file import read_suite

BASELINES = Path(__file__).parents[2] / "baselines"


@pytest.mark.parametrize("path", sorted(BASELINES.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_suite_reads(path):
    assert read_suite(path)["methods"]


def test_static_paper_joins_the_real_model_board():
    board = read_suite(BASELINES / "smollm2-arith.toml")
    extra = read_suite(BASELINES / "smollm2-arith-static-paper.toml")
    fixed = ("tasks", "seeds", "budget", "settings", "leaderboard")
    assert {k: extra[k] for k in fixed} == {k: board[k] for k in fixed}
    assert extra["methods"] == [{"name": "static", "label": "static-paper", "tune": False}]
    assert {m.get("label") for m in board["methods"]}.isdisjoint({"static-paper"})  # recorded apart, one label
    assert board["settings"]["dtype"] == "float32"  # machines with and without bfloat16 units record one group
