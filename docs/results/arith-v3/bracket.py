"""The checks outside reference suite v3's search that placed its learning-rate grid: each entry checked one value
beyond the grid's edge, on tuning seed 1000 only, beside the search's own values on that seed. Prints the Markdown
table of docs/results/arith-v3/README.md ("The tuning search").

    python docs/results/arith-v3/bracket.py

The checks' runs are under baselines/arith-v3-bracket/ENTRY/lrVALUE/[w]/seed1000 (small files only), each the
search's run of that entry and seed with only `--lr` changed (`morlbench run --config .../run.toml --lr VALUE`);
their value is the search's own measure (morlbench.tuning.selection_hypervolume: the delivered points'
hypervolume on the selection split). The search's values come from its record, baselines/arith-v3.tuning.json.
"""
from __future__ import annotations

import json
from pathlib import Path

from morlbench.tuning import selection_hypervolume

ROOT = Path(__file__).resolve().parents[3]
CHECKS = ROOT / "baselines" / "arith-v3-bracket"
SEED = "1000"


def checked() -> dict[str, dict[float, float | None]]:
    """entry -> checked lr -> selection hypervolume of its runs (one per w of W, or one serving run)."""
    found: dict[str, dict[float, float | None]] = {}
    for lr_dir in sorted(CHECKS.glob("*/lr*")):
        runs = sorted(lr_dir.glob(f"**/seed{SEED}"))
        found.setdefault(lr_dir.parent.name, {})[float(lr_dir.name.removeprefix("lr"))] = selection_hypervolume(runs)
    return found


def table() -> list[str]:
    record = json.loads((ROOT / "baselines" / "arith-v3.tuning.json").read_text())["entries"]
    lines = ["| entry | learning rate: selection hypervolume on seed 1000 (bold: outside the search) | chosen |",
             "|---|---|---|"]
    for entry, values in checked().items():
        searched = {c["value"]: c["by_seed"][SEED] for c in record[entry]["candidates"]}
        shown = {lr: "unfinished" if hv is None else f"{hv:.3f}" for lr, hv in {**searched, **values}.items()}
        cells = [f"**{lr:g}: {hv}**" if lr in values else f"{lr:g}: {hv}" for lr, hv in sorted(shown.items())]
        lines.append(f"| {entry} | {', '.join(cells)} | {record[entry]['chosen']:g} |")
    return lines


if __name__ == "__main__":
    print("\n".join(table()))
