"""docs/results/mechanisms.py reads what the runs logged, by entry and starting point, finished runs only."""
import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "docs" / "results" / "mechanisms.py"


def load():
    spec = importlib.util.spec_from_file_location("mechanisms", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_run(directory: Path, start: list[float], steps: list[dict], finished: bool = True) -> None:
    directory.mkdir(parents=True)
    (directory / "config.json").write_text(json.dumps({"resolved": {"weights": start}}))
    (directory / "metrics.jsonl").write_text("".join(json.dumps(s) + "\n" for s in steps))
    if finished:
        (directory / "report.json").write_text("{}")


def step(i, weights, method):
    return {"step": i, "weights": weights, "method": method}


def row(table: str, entry: str) -> list[str]:
    line = next(line for line in table.splitlines() if line.startswith(f"| {entry} |"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_rows_are_entries_at_their_starting_point_with_what_the_method_logged(tmp_path):
    where = tmp_path / "arith" / "hv" / "w0.5-0.5"
    write_run(where / "seed0", [0.5, 0.5], [
        step(0, [0.6, 0.4], {"signal": 0.0, "multiplier": 0.0, "gains": [1.0, 3.0], "preference": [[1, 2]]}),
        step(1, [0.9, 0.1], {"signal": -0.2, "multiplier": 0.0, "gains": [2.0, 5.0], "preference": [[1]]}),
        {"step": 2, "weights": [0.9, 0.1], "method": {}}])  # a step that measured no signal
    write_run(where / "seed1", [0.5, 0.5], [step(0, [0.7, 0.3], {"signal": 0.3, "multiplier": 9.0,
                                                                  "gains": [9.0, 4.0]})])
    write_run(where / "seed2", [0.5, 0.5], [step(0, [0.1, 0.9], {"signal": 9.0})], finished=False)  # not read
    cells = row(load().table(tmp_path), "hv/w0.5-0.5")
    assert cells[:3] == ["hv/w0.5-0.5", "2", "(0.5, 0.5)"]  # the configured start, not the first step's result
    assert cells[3] == "(0.8, 0.2)"  # median of the last steps' weights (0.9, 0.1) and (0.7, 0.3)
    assert cells[4] == "1/3"  # positive signals of the steps that logged one: a negative one is not an action
    # medians over all steps of all runs (skewed: a mean would read 3.0 and 4.67, 4.0)
    assert cells[5] == ("gains 2, 4 [1, 3 .. 9, 5]; multiplier 0 [0 .. 9]; not summarised (not one number or list "
                        "shape): preference")


def test_the_tuning_runs_beside_the_ranked_ones_are_read_only_on_their_own(tmp_path):
    write_run(tmp_path / "arith" / "static" / "w1-0" / "seed0", [1.0, 0.0], [step(0, [1.0, 0.0], {})])
    write_run(tmp_path / "tuning" / "arith" / "static" / "tune-lr=0.1" / "w1-0" / "seed9", [1.0, 0.0],
              [step(0, [1.0, 0.0], {})])
    mechanisms = load()
    assert list(mechanisms.runs_by_entry(tmp_path)) == [("arith", "static/w1-0")]
    assert list(mechanisms.runs_by_entry(tmp_path / "tuning")) == [("arith", "static/tune-lr=0.1/w1-0")]
    assert mechanisms.table(tmp_path / "empty") == f"no finished runs under {tmp_path / 'empty'}"


def test_a_run_without_weights_or_signal_reads_as_dashes_and_nan_is_left_out(tmp_path):
    write_run(tmp_path / "arith" / "gdpo" / "seed0", [], [{"step": 0, "method": {"x": float("nan")}},
                                                          {"step": 1, "method": {"x": 2.0}}])
    cells = row(load().table(tmp_path), "gdpo")
    assert cells[2:] == ["—", "—", "—", "x 2 [2 .. 2]"]
