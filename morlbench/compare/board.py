"""One comparability group analysed: every entry valued per seed, compared with the group's baselines by the paired
test, corrected across the group, ranked when it has enough seeds (docs/leaderboard.md). The leaderboard and the
comparison report render the same analysis.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from morlbench.compare.entries import Entry, static_grid
from morlbench.compare.values import GroupContext, entry_values, lookup
from morlbench.metrics.mechanism import mechanism_summary
from morlbench.metrics.noise import front_noise_sd
from morlbench.metrics.stats import HISTORICAL_RANKED_SEEDS, PairedTest, holm, minimum_detectable, paired_t, verdict
from morlbench.reference import Reference


@dataclass
class Comparison:
    baseline: str
    test: PairedTest
    adjusted_p: float | None = None
    verdict: str = "tie"


@dataclass
class Row:
    entry: Entry
    per_seed: list[dict[str, Any]]
    baseline: bool = False  # the static grid: a baseline, not a contestant
    comparisons: dict[str, Comparison] = field(default_factory=dict)  # by baseline role: "grid", "best static"
    rank: int | None = None

    @property
    def label(self) -> str:
        return self.entry.label

    @property
    def seeds(self) -> list[int]:
        return self.entry.seeds

    def by_seed(self, key: str) -> dict[int, float]:
        return {s: lookup(v, key) for s, v in zip(self.seeds, self.per_seed) if lookup(v, key) is not None}

    def mean(self, key: str) -> float:
        values = [v for v in self.by_seed(key).values()]
        return float(np.mean(values)) if values else float("nan")

    @property
    def ranked(self) -> bool:
        return not self.baseline and len(self.seeds) >= HISTORICAL_RANKED_SEEDS


@dataclass
class Group:
    key: dict[str, Any]
    rows: list[Row]  # baselines first, then ranked by hypervolume, then unranked
    reference: Reference | None
    best_static: str | None
    detectable: float | None  # minimum detectable HV difference against the grid, at the group's seeds
    noise_sd: float | None  # mean evaluation-noise SD of one run's front HV (report problems resampled)
    seeds: int


def mechanism_values(entry_row: Row) -> None:
    """Mechanism columns (weights moved, signal share) of every seed, from the records' mechanism trajectories."""
    for record, values in zip(entry_row.entry.records, entry_row.per_seed):
        m = record.mechanism or {}
        summary = mechanism_summary(m.get("initial_weights"), m.get("weights") or [], m.get("signal") or [])
        values["weights_moved"] = None if not summary else summary.get("weight_l1_final")
        values["signal_share"] = None if not summary else summary.get("signal_share")
        values["tokens_with_eval"] = record.tokens + float(record.evals[-1].get("eval_tokens_total", 0))
        values["noise_sd"] = front_noise_sd(record.per_problem)


def analyse(key: dict[str, Any], entries: dict[str, Entry], reference: Reference | None) -> Group:
    """Value every entry, compare each contestant with the grid and the best static vector (paired t over the
    seeds they share, Holm-corrected across the group), rank those with enough seeds."""
    hv_ref = reference.hv_ref if reference else None
    grid = static_grid(entries)
    # No reference front: no IGD+ (never one made of the ranked runs).
    ctx = GroupContext(reference.front if reference else None, hv_ref, grid)
    rows = [Row(e, entry_values(e, ctx)) for e in entries.values()]
    if grid is not None:
        rows.insert(0, Row(grid, entry_values(grid, ctx), baseline=True))
    for row in rows:
        mechanism_values(row)
    statics = [r for r in rows if not r.baseline and r.entry.linear_static]
    best = max(statics, key=lambda r: (r.mean("hypervolume"), r.label)) if statics else None
    baselines = {"grid": rows[0] if grid is not None else None, "best static": best}
    for role, base in baselines.items():
        if base is None:
            continue
        contestants = [r for r in rows if not r.baseline and r is not base]
        tests = [paired_t(r.by_seed("hypervolume"), base.by_seed("hypervolume")) for r in contestants]
        for r, test, p in zip(contestants, tests, holm([t.p_value for t in tests])):
            r.comparisons[role] = Comparison(base.label, test, p, verdict(test, p))
    ranked = sorted((r for r in rows if r.ranked), key=lambda r: (-r.mean("hypervolume"), r.label))
    for i, r in enumerate(ranked, 1):
        r.rank = i
    unranked = sorted((r for r in rows if not r.baseline and not r.ranked), key=lambda r: r.label)
    ordered = [r for r in rows if r.baseline] + ranked + unranked
    sds = [r.comparisons["grid"].test.sd_difference for r in rows if "grid" in r.comparisons
           and r.comparisons["grid"].test.sd_difference is not None]
    seeds = max((len(r.seeds) for r in rows), default=0)
    detectable = minimum_detectable(float(np.sqrt(np.mean(np.square(sds)))), seeds) if sds else None
    noise = [v["noise_sd"] for r in rows for v in r.per_seed if v.get("noise_sd") is not None]
    return Group(key, ordered, reference, best.label if best else None, detectable,
                 statistics.mean(noise) if noise else None, seeds)
