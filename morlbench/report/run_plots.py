"""Plots of one run: objectives and hypervolume over steps, weights, front projections, served preferences and
trade-offs."""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

from morlbench.metrics.front import current_points
from morlbench.metrics.pareto import hypervolume, nondominated
from morlbench.metrics.tradeoffs import diagnostic_absent
from morlbench.report.figures import _save, eval_ticks, plt


def plot_curves(path: Path, names: Sequence[str], evals: list[dict[str, Any]], metrics: list[dict[str, Any]],
                title: str = "", split: str = "selection split") -> None:
    """Top row: one panel per objective (greedy eval on ``split``, the selection split every evaluation scores,
    and training reward). Bottom row: hypervolume, and the weights if the method logs any. Ticks at evaluation
    steps, legends below the panels."""
    has_weights = any(m.get("weights") for m in metrics)
    cols = max(len(names), 2)
    fig, axes = plt.subplots(2, cols, figsize=(3.7 * cols, 6.4), squeeze=False)
    eval_steps = [e["step"] for e in evals]
    train_steps = [m["step"] for m in metrics]
    served = [np.array(current_points(e)) for e in evals]  # (1, K) for one policy, (n, K) for a sweep
    swept = any(len(points) > 1 for points in served)
    for k, (ax, name) in enumerate(zip(axes[0], names)):
        mean = [points[:, k].mean() for points in served]
        ax.plot(eval_steps, mean, "o-", color="C0",
                label=f"eval on the {split} (greedy; mean and range over served preferences)" if swept
                else f"eval on the {split} (greedy)")
        if swept:
            ax.vlines(eval_steps, [p[:, k].min() for p in served], [p[:, k].max() for p in served], color="C0",
                      alpha=0.5, lw=3)
        if metrics:
            ax.plot(train_steps, [m["rewards"][name] for m in metrics], color="C1", alpha=0.45, lw=1,
                    label="train reward (training batch)")
        ax.set_title(name)
        ax.set_ylim(-0.02, 1.02)
    for ax in axes[0][len(names):]:
        ax.set_visible(False)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, bbox_to_anchor=(0.5, 0.0))
    ax = axes[1][0]
    seen: list[list[float]] = []  # both curves on the selection split, where every evaluation is scored
    hv_front = [hypervolume(seen := seen + current_points(e)) for e in evals]
    ax.plot(eval_steps, hv_front, "o-", color="C2", label="front so far")
    ax.plot(eval_steps, [hypervolume(current_points(e)) for e in evals], "s--", color="C3", alpha=0.7,
            label="current policy (or served set)")
    ax.set_title(f"hypervolume ({split})", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    if has_weights:
        ax = axes[1][1]
        logged = [m for m in metrics if m.get("weights")]
        weights = np.array([m["weights"] for m in logged])
        styles = ("-", "--", ":", "-.")  # equal weights overlap; line styles keep each one visible
        for k, name in enumerate(names):
            ax.plot([m["step"] for m in logged], weights[:, k], styles[k % 4], lw=1.6, label=name)
        ax.set_title("weights (each training step)")
        ax.set_ylim(-0.02, 1.02)
        ax.legend(fontsize=7, loc="upper right")
    else:
        axes[1][1].set_visible(False)
    for ax in axes[1][2:]:
        ax.set_visible(False)
    for ax in axes.flat:
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        eval_ticks(ax, eval_steps)
    note = f"every panel on the {split}; the report's tables value the chosen front on the report split"
    fig.suptitle(f"{title}\n{note}" if title else note, fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 0.97))
    fig.subplots_adjust(hspace=0.55)
    _save(fig, path)


def plot_front(path: Path, names: Sequence[str], points: np.ndarray, steps: Sequence[int],
               split: str = "selection split") -> None:
    """Pairwise projections of every evaluated point on the selection split (``split`` names it), coloured by
    step, with the front chosen there circled."""
    pairs = list(itertools.combinations(range(len(names)), 2))
    fig, axes = plt.subplots(1, len(pairs), figsize=(3.8 * len(pairs), 3.4), squeeze=False)
    front = nondominated(points)
    for ax, (i, j) in zip(axes[0], pairs):
        scatter = ax.scatter(points[:, i], points[:, j], c=steps, cmap="viridis", s=28, zorder=2)
        ax.scatter(front[:, i], front[:, j], facecolors="none", edgecolors="red", s=90, lw=1.2, zorder=3,
                   label="front chosen (all K objectives)")
        ax.scatter(points[0, i], points[0, j], marker="x", color="black", s=60, zorder=4, label="step 0")
        ax.set_xlabel(names[i])
        ax.set_ylabel(names[j])
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, bbox_to_anchor=(0.45, -0.04))
    fig.suptitle(f"every evaluated point on the {split}, front chosen there circled (the report's tables value it "
                 "on the report split)", fontsize=9)
    fig.subplots_adjust(wspace=0.35, bottom=0.22, top=0.85)
    fig.colorbar(scatter, ax=axes[0].tolist(), label="step", shrink=0.85)
    _save(fig, path)


def plot_preference_map(path: Path, names: Sequence[str], served: dict[str, Any]) -> None:
    """Preference -> objective map of one artifact: per objective k, J_k(w) against w_k over the served grid."""
    grid_w = np.array([p["preference"] for p in served["grid"]])
    grid_j = np.array([p["objectives"] for p in served["grid"]])
    held = served.get("held_out") or []
    fig, axes = plt.subplots(1, len(names), figsize=(3.6 * len(names), 3.3), squeeze=False)
    for k, (ax, name) in enumerate(zip(axes[0], names)):
        ax.scatter(grid_w[:, k], grid_j[:, k], s=34, color="C0", zorder=3, label="grid preference")
        if held:
            ax.scatter([p["preference"][k] for p in held], [p["objectives"][k] for p in held], s=34,
                       facecolors="none", edgecolors="C1", zorder=3, label="held-out preference")
        rho = served["controllability"][name]
        ax.set_title(f"{name}  (Spearman {'n/a' if rho is None else f'{rho:.2f}'})", fontsize=9)
        ax.set_xlabel(f"preference weight on {name}")
        ax.set_ylabel(f"{name} (eval, {served.get('split', 'selection')} split)")
        ax.set_xlim(-0.03, 1.03)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="best")
    fig.tight_layout()
    _save(fig, path)


def plot_tradeoffs(path: Path, names: Sequence[str], tradeoffs: dict[str, Any], every: int = 0) -> None:
    """Left: within-prompt reward correlation over all training rollouts. Right: per-objective gradient
    cosine of every pair over the diagnosed steps, with the band counted as independent."""
    from morlbench.metrics.tradeoffs import COSINE_BAND

    k = len(names)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1, 1.5]})
    corr = np.array([[np.nan if v is None else v for v in row] for row in tradeoffs["correlation"]], dtype=float)
    image = left.imshow(corr, cmap="coolwarm", vmin=-1, vmax=1)
    fig.colorbar(image, ax=left, shrink=0.8, label="correlation")
    for i in range(k):
        for j in range(k):
            strong = not np.isnan(corr[i, j]) and abs(corr[i, j]) > 0.6
            left.text(j, i, "n/a" if np.isnan(corr[i, j]) else f"{corr[i, j]:+.2f}", ha="center", va="center",
                      fontsize=9, color="white" if strong else "black")
    left.set_xticks(range(k), names, rotation=30, ha="right")
    left.set_yticks(range(k), names)
    left.set_title(f"training reward correlation within prompts\n({tradeoffs['rollouts']} training rollouts)",
                   fontsize=10)
    rows = tradeoffs["gradient_cosine_by_step"]
    right.axhspan(-COSINE_BAND, COSINE_BAND, color="0.9", label="independent band")
    right.axhline(0, color="0.5", lw=0.8)
    if rows:
        steps = [r["step"] for r in rows]
        for i, j in itertools.combinations(range(k), 2):
            values = [np.nan if r["cosine"][i][j] is None else r["cosine"][i][j] for r in rows]
            right.plot(steps, values, marker="o", ms=3, label=f"{names[i]} / {names[j]}")
        right.legend(fontsize=8, loc="best")
    else:
        right.text(0.5, 0.5, diagnostic_absent(every).replace(" (", "\n("), ha="center", va="center",
                   transform=right.transAxes)
    right.set_ylim(-1, 1)
    right.set_xlabel("step")
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_ylabel("cosine")
    right.set_title("cosine between per-objective policy gradients (training batches)", fontsize=10)
    fig.tight_layout()
    _save(fig, path)
