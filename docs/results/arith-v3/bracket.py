"""The checks outside reference suite v3's search that placed its learning-rate grid and tested its edges: each
entry checked one value beyond the edge it chose, on tuning seed 1000 (and on 1001 where the gap on 1000 was
inside the spread between the two tuning seeds), beside the search's own values on that seed. Prints the Markdown
tables of docs/results/arith-v3/README.md ("The tuning search"), one per tuning seed checked.

    python docs/results/arith-v3/bracket.py

The checks' runs are under baselines/arith-v3-bracket/ENTRY/lrVALUE/[w]/seedSEED (small files only), each the
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


def seeds() -> list[str]:
    """The tuning seeds some check ran on."""
    return sorted({run.name.removeprefix("seed") for run in CHECKS.glob("*/lr*/**/seed*")})


def checked(seed: str) -> dict[str, dict[float, float | None]]:
    """entry -> checked lr -> selection hypervolume of its runs on ``seed`` (one per w of W, or one serving run)."""
    found: dict[str, dict[float, float | None]] = {}
    for lr_dir in sorted(CHECKS.glob("*/lr*")):
        runs = sorted(lr_dir.glob(f"**/seed{seed}"))
        if runs:
            found.setdefault(lr_dir.parent.name, {})[float(lr_dir.name.removeprefix("lr"))] = \
                selection_hypervolume(runs)
    return found


def table(seed: str = "1000") -> list[str]:
    record = json.loads((ROOT / "baselines" / "arith-v3.tuning.json").read_text())["entries"]
    lines = [f"| entry | learning rate: selection hypervolume on seed {seed} (bold: outside the search) | chosen |",
             "|---|---|---|"]
    for entry, values in checked(seed).items():
        searched = {c["value"]: c["by_seed"][seed] for c in record[entry]["candidates"]}
        shown = {lr: "unfinished" if hv is None else f"{hv:.3f}" for lr, hv in {**searched, **values}.items()}
        cells = [f"**{lr:g}: {hv}**" if lr in values else f"{lr:g}: {hv}" for lr, hv in sorted(shown.items())]
        lines.append(f"| {entry} | {', '.join(cells)} | {record[entry]['chosen']:g} |")
    return lines


if __name__ == "__main__":
    print("\n\n".join("\n".join(table(seed)) for seed in seeds()))
