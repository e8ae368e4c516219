"""Per-problem report values in result files: what a statistic over problems needs (the task-level interval).

Protocol 3 keeps the delivered points' values (the final evaluation's report split: one point for a
single-policy run, one per preference of W for a preference-serving one); protocol 2 kept its chosen front's.
Each point holds one string per objective: "0110..." when every value is 0 or 1, else comma-separated numbers with
4 decimals, so that result files stay small and readable.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

ROUNDING = 5e-5 + 1e-6  # 4-decimal values against a 6-decimal mean


def encode_column(values: Any) -> str:
    if all(v in (0, 1) for v in values):
        return "".join(str(int(v)) for v in values)
    return ",".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in values)


def decode_column(text: str) -> list[float]:
    if "," not in text and set(text) <= {"0", "1"}:
        return [float(c) for c in text]
    return [float(v) for v in text.split(",")]


def point_values(samples: list[dict[str, Any]], index: int) -> tuple[list[str], list[str]] | None:
    """(problem ids, encoded columns) of one point's report-split records, or None when there are none."""
    records = [r for r in samples if r.get("split") == "report" and r.get("point") == index]
    if not records:
        return None
    return [r["id"] for r in records], [encode_column(c) for c in zip(*(r["values"] for r in records))]


def delivered_per_problem(final_step: int, indices: list[int], samples_of: Callable[[int], list[dict[str, Any]]],
                          report_split: str) -> dict[str, Any] | None:
    """Protocol 3: the delivered points' per-problem report values (``indices``: the points of the final
    evaluation, 0 for a single policy, W's positions for a served artifact); None when none were written."""
    samples = samples_of(final_step)
    problems: list[str] | None = None
    points = []
    for index in indices:
        found = point_values(samples, index)
        if found is None:
            return None
        problems = problems or found[0]
        points.append({"step": final_step, "index": index, "values": found[1]})
    return {"split": report_split, "problems": problems or [], "points": points}


def per_problem_matrix(per_problem: dict[str, Any] | None) -> np.ndarray | None:
    """(problems, points x objectives) of the stored values, points in their stored order; None when absent."""
    if not per_problem or not per_problem.get("points"):
        return None
    points = sorted(per_problem["points"], key=lambda p: (p.get("step", 0), p.get("index", 0)))
    columns = [decode_column(c) for p in points for c in p["values"]]
    return np.asarray(columns, dtype=np.float64).T


def check_per_problem(per_problem: Any, k: int, problems: int | None, split: str,
                      vectors: dict[tuple[int, int], list[float]]) -> str | None:
    """Why stored per-problem values do not fit the evaluations (None when they do): the report split's name and
    size, one entry per stored point (``vectors``: (step, index) -> its report vector), K columns of finite values
    in [0, 1] per point, each column's mean equal to the report vector it summarises."""
    if per_problem is None:
        return None
    if not isinstance(per_problem, dict) or per_problem.get("split") != split:
        return f"per_problem must be an object naming the report split {split!r}"
    ids = per_problem.get("problems")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or len(set(ids)) != len(ids) \
            or (problems is not None and len(ids) != problems):
        return f"per_problem problems must be {problems} distinct problem ids of the report split"
    points = per_problem.get("points")
    if not isinstance(points, list) or not all(isinstance(p, dict) for p in points) \
            or sorted(_where(p) for p in points) != sorted(vectors):
        return "per_problem must hold one entry per point it values"
    for point in points:
        values = point.get("values")
        if not isinstance(values, list) or len(values) != k or not all(isinstance(v, str) for v in values):
            return f"per_problem point {point.get('index')}: expected {k} encoded columns"
        try:
            columns = np.asarray([decode_column(v) for v in values], dtype=np.float64)
        except ValueError:
            return f"per_problem point {point.get('index')}: values are not numbers"
        if columns.shape != (k, len(ids)) or not np.isfinite(columns).all() or columns.min() < 0 or columns.max() > 1:
            return f"per_problem point {point.get('index')}: {len(ids)} finite values in [0, 1] per objective expected"
        means = columns.mean(axis=1)
        if np.max(np.abs(means - np.asarray(vectors[_where(point)]))) > ROUNDING:
            return (f"tampered: per_problem point {_where(point)} averages to {np.round(means, 6).tolist()}, its "
                    f"report vector is {vectors[_where(point)]}")
    return None


def _where(point: dict[str, Any]) -> tuple[Any, Any]:
    step, index = point.get("step"), point.get("index")
    return (step if isinstance(step, int) else -1, index if isinstance(index, int) else -1)
