"""What each entry's mechanism did, read from its runs' logs: the weights each run started from (config.json) and
had after its last step, and what the method logged at every step (`method` in metrics.jsonl). Prints one
Markdown table per task.

    python docs/results/mechanisms.py baselines/arith-v3-runs            # the ranked runs
    python docs/results/mechanisms.py baselines/arith-v3-runs/tuning     # the tuning runs

Runs are found as ROOT/TASK/LABEL/.../seedS/metrics.jsonl beside a report.json (finished runs only), and read
by entry and starting point (the directories between the label and the seed: a single-policy entry's w of W, a
tuning candidate). Per row: the runs (seeds) read; the starting weights and those after the last step (median
over runs, per objective); the steps whose signal was positive out of those that logged one (the definition of
morlbench.metrics.mechanism, which the reports and boards use); and every other number the method logged as a
number or a list of numbers of one length, as the median over all steps of all runs with its range (element by
element for a list). Values of another shape (nested lists, lists whose length varies) are named, not summarised.
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from morlbench.metrics.mechanism import signal_trajectory


class Run:
    def __init__(self, directory: Path) -> None:
        self.steps = [s for s in map(json.loads, (directory / "metrics.jsonl").read_text().splitlines())
                      if isinstance(s, dict) and "step" in s]
        config = json.loads((directory / "config.json").read_text()) if (directory / "config.json").exists() else {}
        self.start = (config.get("resolved") or {}).get("weights")
        logged = [s["weights"] for s in self.steps if s.get("weights") is not None]
        self.last = logged[-1] if logged else None


def runs_by_entry(root: Path) -> dict[tuple[str, str], list[Run]]:
    """(task, entry and starting point) -> each finished run under ``root``."""
    found: dict[tuple[str, str], list[Run]] = defaultdict(list)
    for metrics in sorted(root.glob("*/*/**/seed*/metrics.jsonl")):
        if not (metrics.parent / "report.json").exists():
            continue
        task, *where, _seed = metrics.parent.relative_to(root).parts
        if task == "tuning":  # a suite's tuning runs sit beside its ranked ones: read them on their own
            continue
        found[(task, "/".join(where))].append(Run(metrics.parent))
    return found


def fmt(values: np.ndarray) -> str:
    return ", ".join(f"{v:.3g}" for v in np.atleast_1d(values))


def median_weights(vectors: list) -> str:
    vectors = [v for v in vectors if v]  # none logged, or none configured
    if not vectors or len({len(v) for v in vectors}) != 1:
        return "—"
    return f"({fmt(np.median(np.asarray(vectors, dtype=float), axis=0))})"


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def signal_cell(runs: list[Run]) -> str:
    signals = [s for run in runs for s in signal_trajectory(run.steps)]
    return f"{sum(s > 0 for s in signals)}/{len(signals)}" if signals else "—"


def logged_cell(runs: list[Run]) -> str:
    """Every other number the method logged: median [min .. max] over steps and runs, NaN left out."""
    values: dict[str, list] = defaultdict(list)
    for run in runs:
        for step in run.steps:
            for key, value in (step.get("method") or {}).items():
                if key != "signal":
                    values[key].append(value)
    parts, skipped = [], []
    for key in sorted(values):
        shaped = values[key]
        scalar = all(is_number(v) for v in shaped)
        listed = all(isinstance(v, list) and v and all(is_number(x) for x in v) for v in shaped) \
            and len({len(v) for v in shaped}) == 1
        if not (scalar or listed):
            skipped.append(key)
            continue
        array = np.asarray(shaped, dtype=float)
        if np.isnan(array).all():
            parts.append(f"{key} nan")
            continue
        median, low, high = (f(array, axis=0) for f in (np.nanmedian, np.nanmin, np.nanmax))
        parts.append(f"{key} {fmt(median)} [{fmt(low)} .. {fmt(high)}]")
    if skipped:
        parts.append(f"not summarised (not one number or list shape): {', '.join(skipped)}")
    return "; ".join(parts) or "—"


def table(root: Path) -> str:
    entries = runs_by_entry(root)
    if not entries:
        return f"no finished runs under {root}"
    lines = []
    for task in sorted({task for task, _ in entries}):
        lines += [f"### {task}", "", "| entry | runs | weights at the start | after the last step | signal > 0 "
                  "(steps) | logged by the method: median [min .. max] over steps and runs |",
                  "|---|---|---|---|---|---|"]
        for (t, label), runs in sorted(entries.items()):
            if t == task:
                lines.append(f"| {label or '(none)'} | {len(runs)} | {median_weights([r.start for r in runs])} | "
                             f"{median_weights([r.last for r in runs])} | {signal_cell(runs)} | "
                             f"{logged_cell(runs)} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        sys.exit("usage: python docs/results/mechanisms.py RUN_ROOT (a suite's run directory, e.g. "
                 "baselines/arith-v3-runs)")
    print(table(Path(sys.argv[1])))
