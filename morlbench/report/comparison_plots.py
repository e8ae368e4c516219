"""Plots of a comparison: fronts per entry, parallel coordinates, hypervolume over steps, weight trajectories."""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

from morlbench.compare.records import RunRecord
from morlbench.metrics.front import front_points, hypervolume_by_step
from morlbench.metrics.pareto import nondominated
from morlbench.metrics.stats import t_interval
from morlbench.report.figures import _save, eval_ticks, plt


def _cumulative_hv(evals: list[dict[str, Any]]) -> tuple[list[int], list[float]]:
    """Steps and the hypervolume of the run's front so far (chosen on the selection split, valued on the report
    split)."""
    rows = hypervolume_by_step(evals)
    return [s for s, _ in rows], [v for _, v in rows]


def _band(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% t-interval of the mean over seeds (rows), per column: the intervals of the tables."""
    bounds = [t_interval(rows[:, c].tolist())[1:] for c in range(rows.shape[1])]
    return np.array([b[0] for b in bounds], dtype=float), np.array([b[1] for b in bounds], dtype=float)


def seeds_text(n: int) -> str:
    return f"{n} seed" if n == 1 else f"{n} seeds"


def plot_parallel(path: Path, names: Sequence[str], fronts: dict[str, np.ndarray], colors: dict[str, str]) -> None:
    """Parallel coordinates as small multiples: one panel per entry, its front in colour over every other
    entry's front in grey, so that many entries stay readable."""
    cols = min(4, len(fronts))
    rows = -(-len(fronts) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols, 2.6 * rows), squeeze=False, sharey=True)
    for ax, (label, front) in zip(axes.flat, fronts.items()):
        for other, points in fronts.items():
            if other != label:
                for point in points:
                    ax.plot(range(len(names)), point, color="0.8", lw=0.8, zorder=1)
        for point in front:
            ax.plot(range(len(names)), point, color=colors[label], lw=1.6, alpha=0.9, zorder=2)
        ax.set_title(f"{label} ({len(front)} points)", fontsize=9)
        ax.set_xticks(range(len(names)), names, fontsize=8)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(fronts):]:
        ax.set_visible(False)
    fig.suptitle("front points on the report split in parallel coordinates (grey: the other entries' fronts)",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    _save(fig, path)


def plot_comparison(out: Path, prefix: str, names: Sequence[str], runs_by_label: dict[str, list]) -> None:
    """Fronts (pairwise projections; parallel coordinates for K >= 3), hypervolume over steps with bootstrap
    bands over seeds, and mean weight trajectories of the entries that change their weights."""
    palette = plt.get_cmap("tab20").colors if len(runs_by_label) > 10 else [f"C{i}" for i in range(10)]
    colors = {label: palette[i % len(palette)] for i, label in enumerate(runs_by_label)}  # no colour repeats
    markers = "os^vD<>Pp*"
    fronts = {label: nondominated(np.vstack([front_points(run.evals) for run in runs]))
              for label, runs in runs_by_label.items()}
    pairs = list(itertools.combinations(range(len(names)), 2))
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.2 * len(pairs), 3.9), squeeze=False)
    for ax, (i, j) in zip(axes[0], pairs):
        for n, (label, front) in enumerate(fronts.items()):
            ax.scatter(front[:, i], front[:, j], s=30, color=colors[label], marker=markers[n % len(markers)],
                       alpha=0.8, label=label)
        ax.set_xlabel(names[i])
        ax.set_ylabel(names[j])
        ax.grid(alpha=0.3)
    fig.suptitle("fronts (each run's front on the report split; non-dominated over seeds), pairwise projections",
                 fontsize=10)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8,
               bbox_to_anchor=(0.5, -0.02 - 0.045 * ((len(labels) - 1) // 4)))
    fig.tight_layout(rect=(0, 0.08 + 0.04 * ((len(labels) - 1) // 4), 1, 1))
    _save(fig, out / f"{prefix}-fronts.png")

    (out / f"{prefix}-parallel.png").unlink(missing_ok=True)
    if len(names) >= 3:
        plot_parallel(out / f"{prefix}-parallel.png", names, fronts, colors)

    fig, ax = plt.subplots(figsize=(7, 4))
    for label, runs in runs_by_label.items():
        curves = [_cumulative_hv(run.evals) for run in runs]
        steps = curves[0][0]
        rows = np.array([c[1] for c in curves if c[0] == steps])
        ax.plot(steps, rows.mean(axis=0), "o-", ms=3, color=colors[label], label=f"{label} ({seeds_text(len(rows))})")
        if len(rows) > 1:
            low, high = _band(rows)
            ax.fill_between(steps, low, high, color=colors[label], alpha=0.15)
    ax.set_xlabel("step")
    eval_ticks(ax, steps)
    ax.set_ylabel("hypervolume (report split)")
    ax.set_title("hypervolume of the front so far: mean over seeds, 95% t-interval band", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    _save(fig, out / f"{prefix}-hypervolume.png")

    moving = {label: runs for label, runs in runs_by_label.items()
              if any(len({tuple(w) for w in weights_of(run)}) > 1 for run in runs)}
    target = out / f"{prefix}-weights.png"
    if not moving:
        target.unlink(missing_ok=True)
        return
    fig, axes = plt.subplots(1, len(names), figsize=(3.8 * len(names), 3.4), squeeze=False)
    for label, runs in moving.items():
        logged = [weights_of(run) for run in runs]
        length = min(len(w) for w in logged)
        weights = np.array([w[:length] for w in logged])  # seeds, steps, K
        steps = np.arange(1, length + 1)  # the weights each training step used
        for k, ax in enumerate(axes[0]):
            ax.plot(steps, weights[:, :, k].mean(axis=0), color=colors[label], label=label)
    for k, ax in enumerate(axes[0]):
        ax.set_title(f"weight on {names[k]} (each training step; mean over seeds)", fontsize=9)
        ax.set_xlabel("step")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8, loc="best")
    fig.tight_layout()
    _save(fig, target)


def weights_of(run: RunRecord) -> list[list[float]]:
    """The weights of every training step (run directories and result files both carry them, one vector per
    step from step 1); [] when they are missing or not one vector per objective."""
    weights = (run.mechanism or {}).get("weights") or []
    ok = all(isinstance(w, list) and len(w) == len(run.objective_names) for w in weights)
    return list(weights) if ok else []
