"""The contract at every plugin boundary: what a hook must return, checked where the value enters morlbench, with
one line naming the plugin, the hook and what was expected (docs/plugins.md, "The contract").
"""
from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from morlbench.errors import UsageError


class ContractError(UsageError):
    """A plugin returned something its hook does not allow."""


def owner(kind: str, name: str) -> str:
    """``method 'x' (from distribution)``: how messages name a registered plugin."""
    from morlbench import registry

    package = next((e.package for e in registry.entries(kind) if e.name == name), None)
    return f"{kind[:-1]} {name!r}" + (f" (from {package})" if package else "")


def _array(value: Any) -> np.ndarray | None:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def check_advantages(value: Any, rows: int, who: str) -> np.ndarray:
    """advantages(batch): N finite numbers."""
    array = _array(value)
    if array is None or array.shape != (rows,):
        shape = "not numbers" if array is None else f"shape {array.shape}"
        raise ContractError(f"{who}: advantages() returned {shape}; expected {rows} numbers, one per completion")
    if not np.isfinite(array).all():
        raise ContractError(f"{who}: advantages() returned {int((~np.isfinite(array)).sum())} non-finite values; "
                            "expected finite numbers")
    return array


def check_weights(value: Any, objectives: int, who: str) -> np.ndarray | None:
    """weights(): None, or K finite non-negative numbers summing to 1."""
    if value is None:
        return None
    array = _array(value)
    if array is None or array.shape != (objectives,):
        raise ContractError(f"{who}: weights() returned {value!r}; expected {objectives} numbers (one per objective)")
    if not np.isfinite(array).all() or (array < 0).any() or abs(float(array.sum()) - 1.0) > 1e-6:
        raise ContractError(f"{who}: weights() returned {np.round(array, 6).tolist()}; expected finite numbers >= 0 "
                            "that sum to 1")
    return array


def check_rewards(value: Any, rows: int, who: str, hook: str) -> np.ndarray:
    """An objective's train_rewards / eval_values: N finite numbers in [0, 1]."""
    array = _array(value)
    if array is None or array.shape != (rows,):
        shape = "not numbers" if array is None else f"shape {array.shape}"
        raise ContractError(f"{who}: {hook}() returned {shape}; expected {rows} numbers, one per completion")
    if not np.isfinite(array).all() or (array < 0).any() or (array > 1).any():
        bad = array[~(np.isfinite(array) & (array >= 0) & (array <= 1))][:3].tolist()
        raise ContractError(f"{who}: {hook}() returned values outside [0, 1] (e.g. {bad}); expected finite numbers in "
                            "[0, 1]")
    return array


def check_json(value: Any, who: str, hook: str) -> dict[str, Any]:
    """after_step: a mapping of JSON values (logged into metrics.jsonl)."""
    if not isinstance(value, dict):
        raise ContractError(f"{who}: {hook}() returned {type(value).__name__}; expected a dict of JSON values")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ContractError(f"{who}: {hook}() returned a value JSON cannot store ({exc})") from None
    return value


def check_loss(stats: dict[str, float], step: int) -> None:
    """The update's loss is finite: a non-finite loss ends the run as failed."""
    loss = stats.get("loss")
    if loss is None or not math.isfinite(loss):
        raise ContractError(f"step {step + 1}: the loss is {loss} (non-finite); the run stops and is marked failed "
                            "(check the method's advantages and the learning rate)")


def _numbers(value: Any) -> bool:
    """A number, None, or lists/mappings of those (nested): what a result file can store of a metric."""
    if value is None or isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "iuf"
    if isinstance(value, (list, tuple)):
        return all(_numbers(v) for v in value)
    return isinstance(value, dict) and all(isinstance(k, str) and _numbers(v) for k, v in value.items())


def check_metric_value(value: Any, who: str) -> Any:
    """A metric's value: a number, None, or lists and mappings of numbers."""
    if _numbers(value):
        return value
    raise ContractError(f"{who}: returned {type(value).__name__} {str(value)[:40]!r}; expected a number, None, or "
                        "lists and mappings of numbers")
