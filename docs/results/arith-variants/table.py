"""The relationship variants on the committed results: per variant, each entry's front hypervolume with its
verdicts against the variant's static grid and best static vector (the leaderboard's paired tests), where its
final policy ends (report split, mean over seeds) and, for dynamic methods, where its weights end. Prints the
Markdown tables of docs/results/arith-variants/README.md.

    python docs/results/arith-variants/table.py
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from morlbench.compare.render import rank_cell
from morlbench.compare.tables import BOARD_COLUMNS
from morlbench.leaderboard import build

ROOT = Path(__file__).resolve().parents[3]
VARIANTS = ("arith-conflict", "arith-aligned", "arith-independent")
COLUMNS = {c.header: c for c in BOARD_COLUMNS}
SHOWN = ("hypervolume", "vs grid", "vs best static", "weights moved (L1)")


def mean_vector(vectors: list[list[float]]) -> str:
    return "(" + ", ".join(f"{v:.2f}" for v in np.mean(np.asarray(vectors, dtype=float), axis=0)) + ")"


def final_cells(row) -> tuple[str, str]:
    """The final evaluation's report vector and the final weights, each a mean over the entry's seeds."""
    records = row.entry.records
    finals = [r.evals[-1] for r in records]
    if any("report" not in e for e in finals):
        return "-", "-"
    weights = [e.get("weights") for e in finals]
    dynamic = row.entry.method in ("hypervolume", "gradient") and all(w is not None for w in weights)
    return mean_vector([e["report"] for e in finals]), mean_vector(weights) if dynamic else "-"


def main() -> None:
    board = build(ROOT / "leaderboard" / "results", ROOT / "baselines" / "reference.json")
    for variant in VARIANTS:
        group = next((g for g in board.groups if g.key["task_version"].startswith(variant + "-")), None)
        if group is None:
            print(f"### `{variant}`: no results\n")
            continue
        objectives = ", ".join(group.key.get("objectives", []))
        print(f"### `{variant}` ({objectives}; group {group.key['task_version']})\n")
        print("| rank | entry | seeds | " + " | ".join(SHOWN) + " | final policy (report) | final weights |")
        print("|---" * (len(SHOWN) + 5) + "|")
        for row in group.rows:
            cells = [COLUMNS[name].cell(row) for name in SHOWN]
            final, weights = final_cells(row)
            print(f"| {rank_cell(row)} | {row.label} | {','.join(map(str, row.seeds))} | " + " | ".join(cells)
                  + f" | {final} | {weights} |")
        print()


if __name__ == "__main__":
    main()
