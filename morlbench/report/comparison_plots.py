"""Plots of a comparison: fronts per entry, parallel coordinates, hypervolume over steps, weight trajectories."""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

from morlbench.metrics.front import front_points, hypervolume_by_step
from morlbench.metrics.pareto import nondominated
from morlbench.report.figures import _save, plt


def _cumulative_hv(evals: list[dict[str, Any]]) -> tuple[list[int], list[float]]:
    """Steps and the hypervolume of the run's front so far (chosen on the selection split, valued on the report
    split)."""
    rows = hypervolume_by_step(evals)
    return [s for s, _ in rows], [v for _, v in rows]


def _band(rows: np.ndarray, resamples: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """95% percentile-bootstrap band of the mean over seeds (rows), per column."""
    rng = np.random.default_rng(0)
    means = rows[rng.integers(0, len(rows), size=(resamples, len(rows)))].mean(axis=1)
    return np.quantile(means, 0.025, axis=0), np.quantile(means, 0.975, axis=0)


def plot_comparison(out: Path, prefix: str, names: Sequence[str], runs_by_label: dict[str, list]) -> None:
    """Fronts (pairwise projections; parallel coordinates for K >= 3), hypervolume over steps with bootstrap
    bands over seeds, and mean weight trajectories of the entries that change their weights."""
    colors = {label: f"C{i % 10}" for i, label in enumerate(runs_by_label)}
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
        fig, ax = plt.subplots(figsize=(2.2 * len(names) + 2, 3.8))
        for label, front in fronts.items():
            for n, point in enumerate(front):
                ax.plot(range(len(names)), point, color=colors[label], alpha=0.6, lw=1.2,
                        label=label if n == 0 else None)
        ax.set_xticks(range(len(names)), names)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("objective (normalised)")
        ax.set_title("front points, parallel coordinates", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
        fig.tight_layout()
        _save(fig, out / f"{prefix}-parallel.png")

    fig, ax = plt.subplots(figsize=(7, 4))
    for label, runs in runs_by_label.items():
        curves = [_cumulative_hv(run.evals) for run in runs]
        steps = curves[0][0]
        rows = np.array([c[1] for c in curves if c[0] == steps])
        ax.plot(steps, rows.mean(axis=0), "o-", ms=3, color=colors[label], label=f"{label} ({len(rows)} seeds)")
        if len(rows) > 1:
            low, high = _band(rows)
            ax.fill_between(steps, low, high, color=colors[label], alpha=0.15)
    ax.set_xlabel("step")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("hypervolume of the points evaluated so far")
    ax.set_title("hypervolume over steps: mean over seeds, 95% bootstrap band", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    _save(fig, out / f"{prefix}-hypervolume.png")

    moving = {label: runs for label, runs in runs_by_label.items()
              if any(len({tuple(m["weights"]) for m in run.step_metrics if m.get("weights")}) > 1 for run in runs)}
    target = out / f"{prefix}-weights.png"
    if not moving:
        target.unlink(missing_ok=True)
        return
    fig, axes = plt.subplots(1, len(names), figsize=(3.8 * len(names), 3.4), squeeze=False)
    for label, runs in moving.items():
        logged = [[m for m in run.step_metrics if m.get("weights")] for run in runs]
        length = min(len(m) for m in logged)
        weights = np.array([[m["weights"] for m in metrics[:length]] for metrics in logged])  # seeds, steps, K
        steps = [m["step"] for m in logged[0][:length]]
        for k, ax in enumerate(axes[0]):
            ax.plot(steps, weights[:, :, k].mean(axis=0), color=colors[label], label=label)
    for k, ax in enumerate(axes[0]):
        ax.set_title(f"weight on {names[k]} (mean over seeds)", fontsize=9)
        ax.set_xlabel("step")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8, loc="best")
    fig.tight_layout()
    _save(fig, target)
