"""Every registered metric (built-in or plugin), computed the same way wherever a run is valued."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from morlbench import registry
from morlbench.contract import check_metric_value, owner
from morlbench.isolation import guarded
from morlbench.metrics.base import KINDS
from morlbench.metrics.pareto import nondominated


@dataclass
class MetricInputs:
    """What a run offers its metrics."""

    points: np.ndarray  # (n, K): every point the run's front is chosen from (front metrics get the front)
    evals: Sequence[dict[str, Any]]  # its eval records
    reference_front: np.ndarray | None = None  # for pair metrics
    hv_ref: float | None = None  # for trajectory metrics
    served: tuple[np.ndarray, np.ndarray] | None = None  # (preferences, objectives) of its last sweep


class NotComputed(Exception):
    """The run lacks what the metric reads (a reference front, HV_ref, served preferences)."""


def metric_entries() -> list[Any]:
    """Registered metrics that loaded, in name order."""
    return [e for e in registry.entries("metrics") if not e.error]


def _arguments(kind: str, inputs: MetricInputs) -> tuple[Any, ...]:
    if kind == "front":
        return (nondominated(inputs.points),)
    if kind == "pair":
        if inputs.reference_front is None or len(inputs.reference_front) == 0:
            raise NotComputed("no reference front")
        return nondominated(inputs.points), inputs.reference_front
    if kind == "trajectory":
        if not inputs.hv_ref:
            raise NotComputed("no HV_ref")
        return inputs.evals, inputs.hv_ref
    if kind == "served":
        if inputs.served is None:
            raise NotComputed("the run serves no preferences")
        return inputs.served
    raise NotComputed(f"unknown metric kind {kind!r} (accepted: {', '.join(KINDS)})")


def json_value(value: Any) -> Any:
    """A metric's value as stored: numbers rounded to 6 digits, non-finite numbers as None."""
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_value(v) for v in value]
    if value is None or isinstance(value, bool):
        return value
    number = float(value)
    return round(number, 6) if math.isfinite(number) else None


def compute(metric: Any, inputs: MetricInputs) -> Any:
    """One metric's value (unrounded); NotComputed when the run lacks its inputs. Other errors propagate."""
    arguments = _arguments(getattr(metric, "kind", None), inputs)
    who = owner("metrics", str(getattr(metric, "name", metric.__name__)))
    with guarded(who):  # a metric that calls sys.exit fails alone, as one that raises does
        value = metric()(*arguments)
    return check_metric_value(value, who)


def compute_all(inputs: MetricInputs, kinds: Sequence[str] = KINDS) -> tuple[dict[str, Any], dict[str, str]]:
    """(raw values by metric name, reasons by name for those not computed). A metric that raises is isolated:
    its error becomes its reason and every other metric is still computed."""
    values: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for entry in metric_entries():
        if getattr(entry.value, "kind", None) not in kinds:
            continue
        try:
            values[entry.name] = compute(entry.value, inputs)
        except NotComputed as reason:
            skipped[entry.name] = str(reason)
        except Exception as exc:  # a broken metric (built-in or plugin) must not break the report
            skipped[entry.name] = f"failed: {type(exc).__name__}: {exc}"
    return values, skipped
