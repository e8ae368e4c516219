"""Print a Markdown table of run directories: weights, start and end points, front hypervolume, budget.

Usage: python scripts/table_of_runs.py RUN_DIR...
"""
import json
import sys
from pathlib import Path


def row(path: Path) -> str:
    report = json.loads((path / "report.json").read_text())
    config = json.loads((path / "config.json").read_text())
    weights = ",".join(f"{w:.2f}" for w in config["resolved"]["weights"])
    final = " | ".join(f"{v:.3f}" for v in report["final"])
    return (f"| {report['method']} | {weights} | {report['seed']} | {final} | "
            f"{report['hypervolume_by_step'][-1]['policy']:.4f} | {report['metrics']['hypervolume']:.4f} | "
            f"{report['budget']['tokens']} | {report['budget']['train_seconds']:.0f} |")


def main(paths: list[str]) -> None:
    first = json.loads((Path(paths[0]) / "report.json").read_text())
    names = " | ".join(first["objective_names"])
    print(f"| method | weights | seed | {names} | HV of final point | HV of run front | tokens | train s |")
    print("|---" * (7 + len(first["objective_names"])) + "|")
    for path in paths:
        print(row(Path(path)))


if __name__ == "__main__":
    main(sys.argv[1:])
