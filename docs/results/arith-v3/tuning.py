"""The tuning search of reference suite v3, from its record: per entry, each candidate's selection hypervolume
per tuning seed and their mean, the chosen value, and whether it lies at an edge of the searched values (where
the search may not bracket the entry's optimum). Prints the Markdown table of docs/results/arith-v3/README.md.

    python docs/results/arith-v3/tuning.py [baselines/arith-v3.tuning.json]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main(path: Path) -> None:
    record = json.loads(path.read_text())
    entries = record["entries"]
    values = sorted({c["value"] for entry in entries.values() for c in entry["candidates"]})
    print("| entry | setting | " + " | ".join(f"{v:g}" for v in values) + " | chosen | at an edge |")
    print("|---|---|" + "---|" * len(values) + "---|---|")
    for label, entry in entries.items():
        candidates = entry["candidates"]
        cells = {}
        for c in candidates:
            seeds = " / ".join(cell(v) for v in c["by_seed"].values())
            cells[c["value"]] = (f"**{cell(c['mean'])}** ({seeds})" if c["value"] == entry["chosen"] else
                                 f"{cell(c['mean'])} ({seeds})")
        row = " | ".join(cells.get(v, "not searched") for v in values)
        searched = [c["value"] for c in candidates]
        edge = "-" if entry["chosen"] is None else (
            "lowest" if entry["chosen"] == min(searched) else "highest" if entry["chosen"] == max(searched) else "no")
        print(f"| {label} | {entry['setting']} | {row} | {entry['chosen']} | {edge} |")
    seeds = ", ".join(next(iter(entries.values()))["candidates"][0]["by_seed"])
    print(f"\nEach cell: mean selection hypervolume over the tuning seeds ({seeds}), then per seed; bold: chosen "
          f"({record['rule']}).")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "baselines" / "arith-v3.tuning.json")
