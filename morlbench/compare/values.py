"""What a comparison says of one run: every registered metric on its front, plus budget and the C-metric
against the group's static grid."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from morlbench.compare.entries import Entry
from morlbench.compare.records import RunRecord
from morlbench.metrics.compute import MetricInputs, compute_all
from morlbench.metrics.pareto import c_metric


@dataclass
class GroupContext:
    reference_front: np.ndarray | None  # what pair metrics compare with (None: they are not computed)
    hv_ref: float | None
    grid: Entry | None = None


def run_values(record: RunRecord, ctx: GroupContext) -> dict[str, Any]:
    """Metric name (or budget field) -> value, for one run of a group."""
    inputs = MetricInputs(record.points, record.evals, ctx.reference_front, ctx.hv_ref, record.served())
    values, _ = compute_all(inputs)
    values["tokens"] = record.tokens
    values["train_seconds"] = record.train_seconds
    grid_run = next((g for g in ctx.grid.records if g.seed == record.seed), None) if ctx.grid else None
    if grid_run is not None:
        values["c_vs_grid"] = c_metric(record.points, grid_run.points)
        values["c_by_grid"] = c_metric(grid_run.points, record.points)
    return values


def entry_values(entry: Entry, ctx: GroupContext) -> list[dict[str, Any]]:
    """``run_values`` of each of the entry's runs, in seed order."""
    return [run_values(record, ctx) for record in entry.records]


def lookup(values: dict[str, Any], key: str) -> Any:
    """A value by key; ``name/sub`` reaches into a metric whose value is a mapping (steps-to-front/0.9)."""
    name, _, sub = key.partition("/")
    value = values.get(name)
    if sub and isinstance(value, dict):
        return value.get(sub)
    return None if sub else value
