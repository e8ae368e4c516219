"""What each entry's mechanism did, read from the per-step logs of its runs: the weights every step trained with
(`weights` in metrics.jsonl) and what the method logged (`method`). Prints one Markdown table per task.

    python docs/results/mechanisms.py baselines/arith-v3-runs            # the ranked runs
    python docs/results/mechanisms.py baselines/arith-v3-runs/tuning     # the tuning runs

Runs are found as ROOT/TASK/LABEL/.../seedS/metrics.jsonl beside a report.json (finished runs only), and read
by entry and starting point (the directories between the label and the seed: a single-policy entry's w of W, a
tuning candidate). Per row: the runs (seeds) read; the weights of the first and last step (median over runs, per
objective); the share of steps whose logged `signal` was non-zero; and every other number the method logged, as
the median over all steps of all runs with its range (a list, e.g. one value per objective, element by element).
Nothing is computed that the runs did not log.
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np


def runs_by_entry(root: Path) -> dict[tuple[str, str], list[list[dict]]]:
    """(task, entry and starting point) -> the step records of each finished run under ``root``."""
    found: dict[tuple[str, str], list[list[dict]]] = defaultdict(list)
    for metrics in sorted(root.glob("*/*/**/metrics.jsonl")):
        if not (metrics.parent / "report.json").exists():
            continue
        task, *where, _seed = metrics.parent.relative_to(root).parts
        if task == "tuning":  # a suite's tuning runs sit beside its ranked ones: read them on their own
            continue
        label = "/".join(where)
        steps = [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]
        found[(task, label)].append([s for s in steps if "step" in s])
    return found


def fmt(values: np.ndarray) -> str:
    return ", ".join(f"{v:.3g}" for v in values)


def weights_cell(runs: list[list[dict]], index: int) -> str:
    rows = [run[index]["weights"] for run in runs if run and run[index].get("weights") is not None]
    return f"({fmt(np.median(np.asarray(rows, dtype=float), axis=0))})" if rows else "—"


def logged_cells(runs: list[list[dict]]) -> tuple[str, str]:
    """The share of steps with a non-zero signal, and every other logged number: median [min, max]."""
    values: dict[str, list] = defaultdict(list)
    for run in runs:
        for step in run:
            for key, value in (step.get("method") or {}).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool) or \
                        isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
                    values[key].append(value)
    signal = values.pop("signal", [])
    share = f"{np.mean(np.asarray(signal, dtype=float) != 0):.2f}" if signal else "—"
    parts = []
    for key in sorted(values):
        try:
            array = np.asarray(values[key], dtype=float)
        except ValueError:  # lists of different lengths: not one quantity
            continue
        median, low, high = (np.atleast_1d(f(array, axis=0)) for f in (np.median, np.min, np.max))
        parts.append(f"{key} {fmt(median)} [{fmt(low)} .. {fmt(high)}]")
    return share, "; ".join(parts) or "—"


def table(root: Path) -> str:
    lines = []
    entries = runs_by_entry(root)
    for task in sorted({task for task, _ in entries}):
        lines += [f"### {task}", "", "| entry | runs | weights, first step | weights, last step | signal steps | "
                  "logged by the method: median [min .. max] over steps and runs |", "|---|---|---|---|---|---|"]
        for (t, label), runs in sorted(entries.items()):
            if t == task:
                share, logged = logged_cells(runs)
                lines.append(f"| {label} | {len(runs)} | {weights_cell(runs, 0)} | {weights_cell(runs, -1)} | "
                             f"{share} | {logged} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        sys.exit("usage: python docs/results/mechanisms.py RUN_ROOT (a suite's run directory, e.g. "
                 "baselines/arith-v3-runs)")
    print(table(Path(sys.argv[1])))
