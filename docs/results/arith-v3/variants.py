"""The relationship variants' descriptive question (docs/results/arith-v3/README.md, fixed while their seed 1
recorded): do the entries spread further from the static baseline where the objectives conflict than where they
are aligned or independent? Per variant group, from the leaderboard's own paired tests of the committed result
files: the entries tested, their seeds, the lowest and highest mean Δ delivered HV against the baseline (to 4
digits, with every entry at each) and the range between them, and how many entries' uncorrected 95% t-intervals
lie wholly above or below 0. No test across variants: their tasks differ, so their hypervolumes are not on one scale.

    python docs/results/arith-v3/variants.py
"""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

from morlbench.compare.board3 import Group3
from morlbench.leaderboard import build

ROOT = Path(__file__).resolve().parents[3]
VARIANTS = (("conflict", "arith-conflict-d2s2v1", "tiny-arith"), ("aligned", "arith-aligned-d2s2v1", "tiny-arith"),
            ("independent", "arith-independent-d2s2v1", "tiny-arith-signoff"))
STEPS = 60


def spread(name: str, group: Group3) -> str:
    tested = [(row.label, row.tests["delivered"].test) for row in group.rows
              if not row.baseline and "delivered" in row.tests]
    if not tested:
        return f"| {name} | 0 | - | - | - | - | - |"
    means = {label: round(t.mean_difference, 4) for label, t in tested}
    low, high = min(means.values()), max(means.values())
    above = sum(1 for _, t in tested if t.low is not None and t.low > 0)
    below = sum(1 for _, t in tested if t.high is not None and t.high < 0)
    seeds = sorted({t.n for _, t in tested})
    seen = str(seeds[0]) if len(seeds) == 1 else f"{seeds[0]}-{seeds[-1]}"
    return (f"| {name} | {len(tested)} | {seen} | "
            f"{low:.4f} ({at(means, low)}) | {high:.4f} ({at(means, high)}) | {high - low:.4f} | {above} / {below} |")


def at(means: dict[str, float], value: float) -> str:
    """The entries whose rounded mean is VALUE (more than one where they tie to the digit)."""
    return ", ".join(sorted(label for label, mean in means.items() if mean == value))


def table(results: Path = ROOT / "leaderboard" / "results") -> list[str]:
    find_group = runpy.run_path(str(ROOT / "docs" / "results" / "verdicts.py"))["find_group"]
    board = build(results, ROOT / "baselines" / "reference.json")
    lines = ["| variant | entries tested | seeds | lowest mean Δ delivered HV | highest | range | "
             "95% intervals above / below 0 |", "|---|---|---|---|---|---|---|"]
    return lines + [spread(name, find_group(board.groups, version, model, STEPS)) for name, version, model in VARIANTS]


if __name__ == "__main__":
    print("\n".join(table(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "leaderboard" / "results")))
