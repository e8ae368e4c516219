"""docs/results/arith-v3/README.md ("Boards") quotes the analysis of the committed ranked results as the scripts print
it: the main group's verdicts and power (docs/results/verdicts.py), the paper's pre-registered pair, and the ranked
runs' cost (docs/results/arith-v3/cost.py); and each relationship variant's verdicts with their spread
(docs/results/arith-v3/variants.py)."""
import runpy
from pathlib import Path

ROOT = Path(__file__).parents[2]
README = ROOT / "docs" / "results" / "arith-v3" / "README.md"
GROUP = ["arith-d2s2-loose-running-mean", "--model", "tiny-arith"]


def test_the_reading_quotes_the_main_groups_verdicts_and_the_pre_registered_pair(capsys):
    verdicts = runpy.run_path(str(ROOT / "docs" / "results" / "verdicts.py"))
    verdicts["main"](GROUP)
    blocks = [block.strip() for block in capsys.readouterr().out.split("\n\n") if block.strip()]
    verdicts["main"](GROUP + ["--pair", "gradient-paper", "static-paper"])
    board, pair = blocks[1], capsys.readouterr().out.strip()
    blocks.append(pair)
    entries = [line.split(" | ") for line in board.splitlines()[2:]]
    assert len(entries) == 12 and all(cells[1] == "10" for cells in entries)  # every ranked entry at 10 seeds
    assert [line.split(" | ")[1] for line in pair.splitlines()[2:]] == ["10", "10", "10"]
    readme = README.read_text()
    missing = [block.splitlines()[0] for block in blocks if block not in readme]
    assert not missing, f"the README does not quote: {missing}"


def test_the_reading_quotes_the_cost_of_the_ranked_runs():
    cost = runpy.run_path(str(ROOT / "docs" / "results" / "arith-v3" / "cost.py"))
    lines = cost["table"](ROOT / "baselines" / "arith-v3-runs" / "arith")
    assert len(lines) == 2 + 12 and "\n".join(lines) in README.read_text()


def test_the_reading_quotes_each_relationship_variant_at_5_seeds_and_their_spread(capsys):
    verdicts = runpy.run_path(str(ROOT / "docs" / "results" / "verdicts.py"))
    variants = runpy.run_path(str(ROOT / "docs" / "results" / "arith-v3" / "variants.py"))
    readme = README.read_text()
    for _, version, model in variants["VARIANTS"]:  # the groups the spread table reads
        group = [version, "--model", model, "--steps", str(variants["STEPS"])]
        verdicts["main"](group)
        blocks = [block.strip() for block in capsys.readouterr().out.split("\n\n") if block.strip()]
        entries = [line.split(" | ") for line in blocks[1].splitlines()[2:]]
        assert len(entries) == 12 and all(cells[1] == "5" for cells in entries), group[0]
        missing = [block.splitlines()[0] for block in blocks if block not in readme]
        assert not missing, f"the README does not quote {group[0]}'s: {missing}"
    spread = variants["table"]()
    assert len(spread) == 2 + 3 and "\n".join(spread) in readme
