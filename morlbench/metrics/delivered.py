"""What protocol 3 reads of a run's evaluations (docs/leaderboard.md): its delivered points and its trajectory.

- **Delivered**: the final evaluation's report-split vectors, one per preference of the protocol's set W (a
  preference-serving artifact served at each w; a single-policy run delivers its one final policy, which stands
  for the w it started from).
- **Trajectory**: the selection-split vectors at each evaluation of the common schedule (step 0, every
  ``eval_every`` steps, the last step), at W for a preference-serving artifact.

Only these are read: points served at other preferences and evaluations off the schedule are ignored, so a
method cannot add candidates by evaluating more.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from morlbench.metrics.front import record_entries
from morlbench.preferences import index_in

Preferences = tuple[tuple[float, ...], ...]


def schedule(steps: int, eval_every: int) -> list[int]:
    """The evaluation steps of a run: 0, every ``eval_every`` steps, and the last step."""
    return sorted({*range(0, steps + 1, eval_every), steps})


def served_at(record: dict[str, Any], preferences: Preferences, key: str) -> list[list[float]] | None:
    """The record's ``key`` vectors ("objectives": selection, "report") in W's order, for a record that served
    preferences; None when one of W is missing or lacks the vector."""
    found: dict[int, list[float]] = {}
    for entry in record.get("points", []):
        index = index_in(entry.get("preference", ()), preferences)
        if index is not None and index not in found and entry.get(key) is not None:
            found[index] = list(entry[key])
    return [found[i] for i in range(len(preferences))] if len(found) == len(preferences) else None


def single_at(record: dict[str, Any], key: str) -> list[float] | None:
    """A single policy's ``key`` vector; None when the record lacks it or is a preference sweep."""
    return None if "points" in record or record.get(key) is None else list(record[key])


def by_step(evals: Sequence[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {int(r["step"]): r for r in evals}


def delivered(evals: Sequence[dict[str, Any]], serves: bool, preferences: Preferences) -> np.ndarray | None:
    """The run's delivered points on the report split, (|W|, K) for a preference-serving run, (1, K) for a
    single-policy one; None when the final evaluation lacks them."""
    if not evals:
        return None
    last = max(evals, key=lambda r: r["step"])
    points = served_at(last, preferences, "report") if serves else [single_at(last, "report")]
    return None if points is None or any(p is None for p in points) else np.asarray(points, dtype=np.float64)


def trajectory(evals: Sequence[dict[str, Any]], serves: bool, preferences: Preferences, steps: list[int]
               ) -> list[np.ndarray] | None:
    """The selection vectors at each scheduled step, (|W| or 1, K) each; None when a scheduled evaluation is
    missing."""
    records = by_step(evals)
    out = []
    for step in steps:
        record = records.get(step)
        if record is None:
            return None
        points = served_at(record, preferences, "objectives") if serves else [single_at(record, "objectives")]
        if points is None or any(p is None for p in points):
            return None
        out.append(np.asarray(points, dtype=np.float64))
    return out


def every_point(evals: Sequence[dict[str, Any]]) -> int:
    """How many points the records hold in all (what the boards ignore beyond W and the schedule)."""
    return sum(len(record_entries(r)) for r in evals)
