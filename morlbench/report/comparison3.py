"""A protocol-3 group in the comparison report: the leaderboard's headline table and both boards, the delivered
fronts as SVG, the trajectories' hypervolume over steps, and the trade-off analysis."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from morlbench.comparability import group_name
from morlbench.compare.board3 import Group3, analyse3
from morlbench.compare.records import RunRecord
from morlbench.compare.render3 import (
    DELIVERED_HEAD,
    HEADLINE_HEAD,
    delivered_rows,
    fronts_of,
    group_text3,
    headline_rows,
    trajectory_head,
    trajectory_rows,
)
from morlbench.compare.svg import fronts_svg
from morlbench.metrics.stats import t_interval
from morlbench.report.figures import _save, plt
from morlbench.results.atomic import atomic_write_text


def plot_trajectories(path: Path, group: Group3) -> None:
    """Mean over seeds of each entry's trajectory hypervolume (points so far, selection split), with its 95%
    t-band, and the group's targets as dotted lines."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for row in group.rows:
        steps = [s for s, _ in row.values[0].curve]
        values = np.asarray([[v for _, v in seed.curve] for seed in row.values])
        mean = values.mean(axis=0)
        ax.plot(steps, mean, label=f"{row.label} ({len(row.values)} seeds)")
        bands = [t_interval(values[:, c].tolist())[1:] for c in range(values.shape[1])]
        if all(low is not None for low, _ in bands):
            ax.fill_between(steps, [b[0] for b in bands], [b[1] for b in bands], alpha=0.15)
    for target in group.targets:
        ax.axhline(target, color="grey", linestyle=":", linewidth=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("hypervolume of the points so far (selection split)")
    ax.set_title("Trajectory board")
    ax.legend(fontsize=7)
    _save(fig, path)


def section3(index: int, key: dict[str, Any], records: list[RunRecord], out: Path, highlight: str | None = None
             ) -> dict[str, Any]:
    group = analyse3(key, records)
    prefix = f"group{index}"
    images = []
    if group.rows:
        atomic_write_text(out / f"{prefix}-fronts.svg", fronts_svg(key["objectives"], fronts_of(group), highlight))
        plot_trajectories(out / f"{prefix}-trajectory.png", group)
        images = [f"{prefix}-fronts.svg", f"{prefix}-trajectory.png"]
    return {"title": f"Group {index}: {group_name(key)}", "text": group_text3(group), "head": HEADLINE_HEAD,
            "rows": headline_rows(group, highlight=highlight),
            "boards": [("Delivered board", DELIVERED_HEAD, delivered_rows(group)),
                       ("Trajectory board", trajectory_head(), trajectory_rows(group))],
            "entries": {r.label: r.entry.runs for r in group.rows}, "images": images,
            "svg": fronts_svg(key["objectives"], fronts_of(group), highlight) if group.rows else ""}
