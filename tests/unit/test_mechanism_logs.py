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


def write_run(directory: Path, steps: list[dict], finished: bool = True) -> None:
    directory.mkdir(parents=True)
    (directory / "metrics.jsonl").write_text("".join(json.dumps(s) + "\n" for s in steps))
    if finished:
        (directory / "report.json").write_text("{}")


def test_rows_are_entries_at_their_starting_point_with_what_the_method_logged(tmp_path):
    step = lambda i, w, m: {"step": i, "weights": w, "method": m}  # noqa: E731
    write_run(tmp_path / "arith" / "hv" / "w0.5-0.5" / "seed0",
              [step(0, [0.5, 0.5], {"signal": 0.0, "multiplier": 0.5, "gains": [1.0, 3.0]}),
               step(1, [0.7, 0.3], {"signal": 0.2, "multiplier": 1.5, "gains": [3.0, 5.0]})])
    write_run(tmp_path / "arith" / "hv" / "w0.5-0.5" / "seed1",
              [step(0, [0.5, 0.5], {"signal": 0.1, "multiplier": 1.0, "gains": [2.0, 4.0]})])
    write_run(tmp_path / "arith" / "hv" / "w0.5-0.5" / "seed2", [step(0, [0.1, 0.9], {"signal": 9.0})],
              finished=False)  # an unfinished run is not read
    lines = load().table(tmp_path).splitlines()
    row = next(line for line in lines if line.startswith("| hv/w0.5-0.5 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "2" and cells[2] == "(0.5, 0.5)" and cells[3] == "(0.6, 0.4)"  # last steps 0.7/0.5 and 0.3/0.5
    assert cells[4] == "0.67"  # 2 of 3 steps with a non-zero signal
    assert cells[5] == "gains 2, 4 [1, 3 .. 3, 5]; multiplier 1 [0.5 .. 1.5]"


def test_the_tuning_runs_beside_the_ranked_ones_are_read_only_on_their_own(tmp_path):
    write_run(tmp_path / "arith" / "static" / "w1-0" / "seed0", [{"step": 0, "weights": [1.0, 0.0]}])
    write_run(tmp_path / "tuning" / "arith" / "static" / "tune-lr=0.1" / "w1-0" / "seed9",
              [{"step": 0, "weights": [1.0, 0.0]}])
    mechanisms = load()
    assert list(mechanisms.runs_by_entry(tmp_path)) == [("arith", "static/w1-0")]
    assert list(mechanisms.runs_by_entry(tmp_path / "tuning")) == [("arith", "static/tune-lr=0.1/w1-0")]
