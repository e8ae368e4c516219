"""docs/results/arith-v3/tuning.py prints a tuning record as a table: means, per-seed values, the choice in bold,
and whether it lies at an edge of the search."""
import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "docs" / "results" / "arith-v3" / "tuning.py"


def load():
    spec = importlib.util.spec_from_file_location("tuning_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def candidate(value, by_seed):
    valid = [v for v in by_seed.values() if v is not None]
    return {"value": value, "by_seed": by_seed, "mean": sum(valid) / len(valid) if len(valid) == len(by_seed) else None}


def test_the_table_bolds_the_choice_and_flags_edges(tmp_path, capsys):
    entries = {
        "low": {"setting": "lr", "chosen": 1e-4, "candidates": [candidate(1e-4, {"1": 0.4, "2": 0.3}),
                                                                 candidate(1e-3, {"1": 0.1, "2": 0.2})]},
        "middle": {"setting": "lr", "chosen": 2e-4, "candidates": [candidate(1e-4, {"1": 0.1, "2": 0.1}),
                                                                    candidate(2e-4, {"1": 0.5, "2": 0.5}),
                                                                    candidate(1e-3, {"1": 0.2, "2": 0.2})]},
        "unfinished": {"setting": "lr", "chosen": None, "candidates": [candidate(1e-4, {"1": 0.4, "2": None})]},
    }
    path = tmp_path / "x.tuning.json"
    path.write_text(json.dumps({"rule": "highest mean", "entries": entries}))
    load().main(path)
    lines = {line.split("|")[1].strip(): line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")}
    assert "**0.350** (0.400 / 0.300)" in lines["low"] and lines["low"].endswith("| lowest |")
    assert lines["low"].count("not searched") == 1  # 2e-4, searched by another entry only
    assert "**0.500** (0.500 / 0.500)" in lines["middle"] and lines["middle"].endswith("| no |")
    assert "- (0.400 / -)" in lines["unfinished"] and lines["unfinished"].endswith("| None | - |")


def test_the_readme_holds_the_committed_records_table(capsys):
    """docs/results/arith-v3/README.md quotes the table of baselines/arith-v3.tuning.json as the script prints it."""
    root = Path(__file__).parents[2]
    load().main(root / "baselines" / "arith-v3.tuning.json")
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    readme = (root / "docs" / "results" / "arith-v3" / "README.md").read_text()
    entries = json.loads((root / "baselines" / "arith-v3.tuning.json").read_text())["entries"]
    assert len(printed) == 2 + len(entries) and "\n".join(printed) in readme


def test_the_readme_holds_the_cost_table_of_the_committed_tuning_runs(capsys):
    """docs/results/arith-v3/README.md ("Cost") quotes docs/results/arith-v3/cost.py on the committed tuning runs."""
    import runpy

    root = Path(__file__).parents[2]
    cost = runpy.run_path(str(root / "docs" / "results" / "arith-v3" / "cost.py"))
    lines = cost["table"](root / "baselines" / "arith-v3-runs" / "tuning")
    assert len(lines) == 2 + 10 and lines[-1].startswith("| tchebycheff | 24 |")  # ten tuned entries, 24 runs each
    assert "\n".join(lines) in (root / "docs" / "results" / "arith-v3" / "README.md").read_text()


def test_the_readme_holds_the_bracket_checks_of_the_committed_runs():
    """The grid's bracket checks (baselines/arith-v3-bracket) as docs/results/arith-v3/bracket.py prints them."""
    import runpy

    root = Path(__file__).parents[2]
    bracket = runpy.run_path(str(root / "docs" / "results" / "arith-v3" / "bracket.py"))
    lines, second = bracket["table"](), bracket["table"]("1001")
    assert bracket["seeds"]() == ["1000", "1001"]
    assert [line.split(" | ")[0] for line in lines[2:]] == [
        "| gdpo", "| gradient-tuned", "| hypervolume", "| meta-policy", "| mo-grpo", "| soups", "| static",
        "| tchebycheff"]  # every tuned entry that chose an edge of the grid, but hv-meta-reward (never acts)
    assert "**1e-05: 0.269**, 3e-05: 0.368" in lines[-2]  # checked below the grid, beside the search's lowest
    assert [line.split(" | ")[0] for line in second[2:]] == ["| hypervolume", "| tchebycheff"]
    readme = (root / "docs" / "results" / "arith-v3" / "README.md").read_text()
    assert "\n".join(lines) in readme and "\n".join(second) in readme
