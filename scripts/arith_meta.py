"""The comparison behind docs/results/arith-meta.md.

`meta-policy` and `soups` (60 steps each, one artifact) against the paper's static grid trained for 20 steps per
weight vector (3 runs, 60 steps in all): the same total rollout budget. Several seeds, two runs at a time (one
torch thread each); finished runs are kept and skipped.

Usage: python scripts/arith_meta.py [--out runs/arith-meta] [--seeds 0 1 2] [--jobs 2] > table.md
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from morlbench.methods.meta_policy import das_dennis, held_out_preferences
from morlbench.metrics.pareto import best_stored_utility, controllability, hypervolume, served_utility
from morlbench.metrics.stats import format_ci
from morlbench.results.rundir import open_run
from run_grid import run_missing  # scripts/run_grid.py, beside this file

TOTAL_STEPS = 60
GRID = {"static-uniform": "0.334,0.333,0.333", "static-acc": "0.5,0.25,0.25", "static-con-cla": "0.25,0.375,0.375"}
SERVING = ("meta-policy", "soups")
NAMES = ("accuracy", "conciseness", "clarity")


def command(name: str, seed: int, out: Path) -> list[str]:
    args = [sys.executable, "-m", "morlbench", "run", "--task", "arith", "--seed", str(seed), "--out", str(out),
            "--no-progress"]
    if name in GRID:
        return args + ["--method", "static", "--weights", GRID[name], "--steps", str(TOTAL_STEPS // len(GRID))]
    return args + ["--method", name, "--steps", str(TOTAL_STEPS)]


def run_all(root: Path, seeds: list[int], jobs: int) -> None:
    run_missing(root, (*SERVING, *GRID), seeds, jobs, command)


def artifact_bytes(path: Path) -> int:
    return (path / "checkpoint" / "policy.safetensors").stat().st_size


def serving_row(runs) -> dict[str, list]:
    """Per seed: what one meta-policy / soups artifact serves (its final sweep)."""
    row = {k: [] for k in ("hv", "u_grid", "u_held", "control", "tokens", "train_s", "wall_s", "bytes")}
    for run in runs:
        final = run.evals[-1]
        w = [p["preference"] for p in final["points"]]
        j = [p["objectives"] for p in final["points"]]
        row["hv"].append(hypervolume(j))
        row["u_grid"].append(served_utility(w, j))
        row["u_held"].append(served_utility([p["preference"] for p in final["held_out"]],
                                            [p["objectives"] for p in final["held_out"]]))
        row["control"].append(controllability(w, j))
        row["tokens"].append(run.metrics[-1]["tokens"])
        row["train_s"].append(run.metrics[-1]["train_seconds"])
        row["wall_s"].append(run.metrics[-1]["train_seconds"] + run.metrics[-1]["eval_seconds"])
        row["bytes"].append(artifact_bytes(run.path))
    return row


def grid_row(runs_by_seed, grid: np.ndarray, held: np.ndarray) -> dict[str, list]:
    """Per seed: the static grid serves each preference with the best of its stored policies."""
    row = {k: [] for k in ("hv", "u_grid", "u_held", "control", "tokens", "train_s", "wall_s", "bytes")}
    for runs in runs_by_seed:
        finals = [r.evals[-1]["objectives"] for r in runs]
        weights = [r.config()["resolved"]["weights"] for r in runs]
        row["hv"].append(hypervolume(finals))
        row["u_grid"].append(best_stored_utility(grid, finals))
        row["u_held"].append(best_stored_utility(held, finals))
        row["control"].append(controllability(weights, finals))
        row["tokens"].append(sum(r.metrics[-1]["tokens"] for r in runs))
        row["train_s"].append(sum(r.metrics[-1]["train_seconds"] for r in runs))
        row["wall_s"].append(sum(r.metrics[-1]["train_seconds"] + r.metrics[-1]["eval_seconds"] for r in runs))
        row["bytes"].append(sum(artifact_bytes(r.path) for r in runs))
    return row


def control_cell(values: list[list[float | None]]) -> str:
    cells = []
    for k in range(len(NAMES)):
        defined = [v[k] for v in values if v[k] is not None]
        cells.append("n/a" if not defined else f"{np.mean(defined):+.2f}" + ("" if len(defined) == len(values)
                                                                              else f" ({len(defined)}/{len(values)})"))
    return ", ".join(cells)


def summarise(root: Path, seeds: list[int]) -> str:
    grid, held = das_dennis(3, 4), held_out_preferences(3, 10, 2026)
    rows = {name: serving_row([open_run(root / f"{name}-s{s}") for s in seeds]) for name in SERVING}
    rows["static grid (3 x 20 steps)"] = grid_row([[open_run(root / f"{n}-s{s}") for n in GRID] for s in seeds],
                                                  grid, held)
    lines = [
        "| method | served HV | utility, grid prefs | utility, held-out prefs | controllability (acc, con, cla) | "
        "tokens | train s | train + eval s | stored MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, r in rows.items():
        lines.append(
            f"| {label} | {format_ci(r['hv'], 4)} | {format_ci(r['u_grid'], 4)} | {format_ci(r['u_held'], 4)} | "
            f"{control_cell(r['control'])} | {format_ci(r['tokens'], 0)} | {format_ci(r['train_s'], 0)} | "
            f"{format_ci(r['wall_s'], 0)} | {np.mean(r['bytes']) / 1e6:.2f} |"
        )
    return "\n".join(lines)


def plot_served(root: Path, seeds: list[int], path: Path) -> None:
    """Served points of every method and seed, in the accuracy-conciseness and accuracy-clarity planes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.2))
    styles = {"meta-policy": ("o", "C0"), "soups": ("s", "C1"), "static grid": ("^", "C3")}
    for label, (marker, color) in styles.items():
        points = []
        for seed in seeds:
            if label == "static grid":
                points += [open_run(root / f"{n}-s{seed}").evals[-1]["objectives"] for n in GRID]
            else:
                points += [p["objectives"] for p in open_run(root / f"{label}-s{seed}").evals[-1]["points"]]
        pts = np.asarray(points)
        for ax, k in zip(axes, (1, 2)):
            ax.scatter(pts[:, 0], pts[:, k], marker=marker, color=color, alpha=0.6, s=30, label=label)
    for ax, name in zip(axes, NAMES[1:]):
        ax.set_xlabel("accuracy")
        ax.set_ylabel(name)
        ax.set_xlim(0, 0.8)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"served policies at step 60, seeds {', '.join(map(str, seeds))} (greedy, eval split)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/arith-meta"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--summarise-only", action="store_true")
    parser.add_argument("--plot", type=Path, default=None, help="also draw the served points into this PNG")
    args = parser.parse_args()
    if not args.summarise_only:
        run_all(args.out, args.seeds, args.jobs)
    print(summarise(args.out, args.seeds))
    if args.plot:
        plot_served(args.out, args.seeds, args.plot)


if __name__ == "__main__":
    main()
