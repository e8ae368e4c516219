"""The comparison behind docs/results/arith-dynamic.md.

The paper's static grid, `hypervolume`, `hv-meta-reward` and `gradient` on the embedded task at the default
budget, several seeds each, two runs at a time (one torch thread each). Finished runs are kept and skipped.

Usage: python scripts/arith_dynamic.py [--out runs/arith-dynamic] [--seeds 0 1 2] [--jobs 2] > table.md
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from morlbench.metrics.pareto import c_metric, front_points, hypervolume, nondominated, steps_to_front
from morlbench.metrics.stats import bootstrap_ci, format_ci
from morlbench.results.rundir import open_run
from run_grid import run_missing  # scripts/run_grid.py, beside this file

GRID = {"static-uniform": "0.334,0.333,0.333", "static-acc": "0.5,0.25,0.25", "static-con-cla": "0.25,0.375,0.375"}
DYNAMIC = ("hypervolume", "hv-meta-reward", "gradient")
TAUS = (0.9, 0.95)


def command(name: str, seed: int, out: Path) -> list[str]:
    method = "static" if name in GRID else name
    args = [sys.executable, "-m", "morlbench", "run", "--method", method, "--task", "arith", "--seed", str(seed),
            "--out", str(out), "--no-progress"]
    return args + ["--weights", GRID[name]] if name in GRID else args


def run_all(root: Path, seeds: list[int], jobs: int) -> None:
    run_missing(root, (*GRID, *DYNAMIC), seeds, jobs, command)


def fmt(values: list[float], digits: int = 4) -> str:
    return format_ci(values, digits)


def fmt_steps(hits: list[dict | None]) -> str:
    reached = [h["step"] for h in hits if h is not None]
    if not reached:
        return f"unreached (0/{len(hits)})"
    if len(reached) < len(hits):
        return f"reached {len(reached)}/{len(hits)}: steps {', '.join(map(str, reached))}"
    mean, lo, hi = bootstrap_ci(reached)
    return f"{mean:.0f} [{lo:.0f}, {hi:.0f}]"


def summarise(root: Path, seeds: list[int]) -> str:
    runs = {(n, s): open_run(root / f"{n}-s{s}") for s in seeds for n in (*GRID, *DYNAMIC)}
    # HV_ref: hypervolume of the static grid's final front (the final points of its three runs), mean over seeds.
    grid_final = {s: [runs[(n, s)].evals[-1]["objectives"] for n in GRID] for s in seeds}
    hv_ref = float(np.mean([hypervolume(grid_final[s]) for s in seeds]))
    grid_front = {s: nondominated(np.vstack([front_points(runs[(n, s)].evals) for n in GRID])) for s in seeds}
    lines = [
        f"HV_ref (static grid's final front, mean over {len(seeds)} seeds) = {hv_ref:.4f}",
        "",
        "| method | HV of front | HV of final policy | final (acc, con, cla) | steps to 0.9 HV_ref | "
        "steps to 0.95 HV_ref | C(method, grid) | C(grid, method) | tokens | train s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    groups = [("static grid (3 runs)", list(GRID))] + [(n, [n]) for n in (*GRID, *DYNAMIC)]
    for label, names in groups:
        fronts = {s: nondominated(np.vstack([front_points(runs[(n, s)].evals) for n in names])) for s in seeds}
        hv_front = [hypervolume(fronts[s]) for s in seeds]
        finals = {s: [runs[(n, s)].evals[-1]["objectives"] for n in names] for s in seeds}
        hv_final = [hypervolume(finals[s]) for s in seeds]
        final_vec = np.mean([np.mean(finals[s], axis=0) for s in seeds], axis=0)
        steps = {tau: [steps_to_front(merged_evals([runs[(n, s)] for n in names]), hv_ref, tau) for s in seeds]
                 for tau in TAUS}
        c_ab = [c_metric(fronts[s], grid_front[s]) for s in seeds]
        c_ba = [c_metric(grid_front[s], fronts[s]) for s in seeds]
        tokens = [sum(runs[(n, s)].metrics[-1]["tokens"] for n in names) for s in seeds]
        seconds = [sum(runs[(n, s)].metrics[-1]["train_seconds"] for n in names) for s in seeds]
        lines.append(
            f"| {label} | {fmt(hv_front)} | {fmt(hv_final)} | {', '.join(f'{v:.3f}' for v in final_vec)} | "
            f"{fmt_steps(steps[0.9])} | {fmt_steps(steps[0.95])} | {fmt(c_ab, 2)} | {fmt(c_ba, 2)} | "
            f"{fmt(tokens, 0)} | {fmt(seconds, 0)} |"
        )
    return "\n".join(lines)


def merged_evals(runs) -> list[dict]:
    """Evaluations of several runs trained side by side: at each step, every run's point so far."""
    by_step: dict[int, dict] = {}
    for run in runs:
        for record in run.evals:
            slot = by_step.setdefault(record["step"], {"step": record["step"], "rollouts": 0, "tokens": 0,
                                                        "points": []})
            slot["rollouts"] += record["rollouts"]
            slot["tokens"] += record["tokens"]
            slot["points"].append({"objectives": record["objectives"]})
    return [by_step[s] for s in sorted(by_step)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/arith-dynamic"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--summarise-only", action="store_true")
    args = parser.parse_args()
    if not args.summarise_only:
        run_all(args.out, args.seeds, args.jobs)
    print(summarise(args.out, args.seeds))


if __name__ == "__main__":
    main()
