"""Print Markdown tables of run directories: one row per run, then one row per weight setting with the
mean and 95% bootstrap interval over seeds.

Usage: python scripts/table_of_runs.py RUN_DIR...
"""
import json
import sys
from collections import defaultdict
from pathlib import Path

from morlbench.metrics.stats import format_ci as ci


def load(path: Path) -> dict:
    report = json.loads((path / "report.json").read_text())
    config = json.loads((path / "config.json").read_text())
    return {
        "method": report["method"],
        "weights": ",".join(f"{w:.2f}" for w in config["resolved"]["weights"]),
        "seed": report["seed"],
        "final": report["final"],
        "hv_final": report["hypervolume_by_step"][-1]["policy"],
        "hv_front": report["metrics"]["hypervolume"],
        "tokens": report["budget"]["tokens"],
        "seconds": report["budget"]["train_seconds"],
        "names": report["objective_names"],
    }


def main(paths: list[str]) -> None:
    runs = [load(Path(p)) for p in paths]
    names = runs[0]["names"]
    print(f"| method | weights | seed | {' | '.join(names)} | HV of final point | HV of run front | tokens | train s |")
    print("|---" * (7 + len(names)) + "|")
    for r in runs:
        final = " | ".join(f"{v:.3f}" for v in r["final"])
        print(f"| {r['method']} | {r['weights']} | {r['seed']} | {final} | {r['hv_final']:.4f} | {r['hv_front']:.4f} "
              f"| {r['tokens']} | {r['seconds']:.0f} |")
    groups = defaultdict(list)
    for r in runs:
        groups[(r["method"], r["weights"])].append(r)
    print()
    print(f"| method | weights | seeds | {' | '.join(names)} | HV of final point | tokens |")
    print("|---" * (5 + len(names)) + "|")
    for (method, weights), rs in groups.items():
        cells = " | ".join(ci([r["final"][k] for r in rs]) for k in range(len(names)))
        print(f"| {method} | {weights} | {len(rs)} | {cells} | {ci([r['hv_final'] for r in rs], 4)} | "
              f"{ci([r['tokens'] for r in rs], 0)} |")


if __name__ == "__main__":
    main(sys.argv[1:])
