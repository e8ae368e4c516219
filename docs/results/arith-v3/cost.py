"""What reference suite v3's runs cost, from their reports: per entry, the runs read and the median seconds of one
run (training, evaluation, both: `budget.train_seconds` and `budget.eval_seconds` of each report.json), and
evaluation's share of the total. Prints the Markdown table of docs/results/arith-v3/README.md ("Cost").

    python docs/results/arith-v3/cost.py baselines/arith-v3-runs/tuning     # the tuning search
    python docs/results/arith-v3/cost.py baselines/arith-v3-runs/arith      # the ranked runs (finished ones)

Runs are found as ROOT/.../LABEL/.../seedS/report.json and grouped by the entry's label, the first directory
under ROOT that is not a task name ("arith" under tuning/), so the lr candidates and starting points of an entry
pool. Seconds are wall-clock with two runs at a time on two cores: medians, because a few runs shared the machine
with tests or benchmarks.
"""
from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

TASKS = {"arith", "arith-conflict", "arith-aligned", "arith-independent"}


def entry_of(report: Path, root: Path) -> str:
    parts = [p for p in report.relative_to(root).parts[:-2] if p not in TASKS]
    return parts[0] if parts else report.parent.parent.name


def seconds_by_entry(root: Path) -> dict[str, list[tuple[float, float]]]:
    found: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for report in sorted(root.rglob("seed*/report.json")):
        budget = json.loads(report.read_text())["budget"]
        found[entry_of(report, root)].append((budget["train_seconds"], budget["eval_seconds"]))
    return found


def table(root: Path) -> list[str]:
    lines = ["| entry | runs | median s per run: training | evaluation | both | evaluation's share of the total |",
             "|---|---|---|---|---|---|"]
    for label, runs in sorted(seconds_by_entry(root).items()):
        train, evaluation = [t for t, _ in runs], [e for _, e in runs]
        both = [t + e for t, e in runs]
        share = sum(evaluation) / sum(both)
        lines.append(f"| {label} | {len(runs)} | {statistics.median(train):.0f} | {statistics.median(evaluation):.0f} "
                     f"| {statistics.median(both):.0f} | {share:.0%} |")
    return lines


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python docs/results/arith-v3/cost.py RUNS (e.g. baselines/arith-v3-runs/tuning)")
    if not Path(sys.argv[1]).is_dir():
        raise SystemExit(f"error: {sys.argv[1]!r} is not a directory of runs (e.g. baselines/arith-v3-runs/tuning)")
    print("\n".join(table(Path(sys.argv[1]))))
