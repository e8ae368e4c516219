"""Field checks of result files (``morlbench.results.resultfile``): every number finite and in range, every record
where the schedule puts it. Each check raises ``Refused`` with the reason; the loader adds the file's path."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from morlbench.metrics.delivered import schedule

MAX_RECORDS = 100_000  # evaluations or mechanism rows in one file: far above any budget, bounds the work


class Refused(ValueError):
    """Why a result file is refused (without its path)."""


def number(value: Any) -> bool:
    """A finite number (a JSON integer of any size is one; math.isfinite would overflow on it)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or math.isfinite(value)


def whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def vector(value: Any, k: int, low: float = 0.0, high: float = 1.0) -> bool:
    """K finite numbers in [low, high]."""
    return isinstance(value, list) and len(value) == k and all(number(v) and low <= v <= high for v in value)


def need(data: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(key)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if key not in data or not isinstance(value, kind) or (isinstance(value, bool) and bool not in kinds):
        raise Refused(f"malformed result file: {key!r} missing or not {getattr(kind, '__name__', kind)}")
    return value


def entries_of(record: dict[str, Any]) -> list[Any]:
    return record["points"] if "points" in record else [record]


def check_records(evals: list[Any], k: int, steps: int) -> None:
    """Every record: a step, counters, K objectives in [0, 1]; steps increasing from 0 to the budget; counters
    that never decrease."""
    if not 2 <= len(evals) <= MAX_RECORDS:
        raise Refused(f"a result holds 2 to {MAX_RECORDS} evaluations, not {len(evals)}")
    last = {"step": -1, "rollouts": 0, "tokens": 0, "eval_tokens_total": 0}
    for record in evals:
        if not isinstance(record, dict) or not all(whole(record.get(c), 0, 10**15) for c in ("step", "rollouts",
                                                                                            "tokens")):
            raise Refused("malformed evaluation record: step, rollouts and tokens must be whole numbers >= 0")
        spent = record.get("eval_tokens_total", last["eval_tokens_total"])
        if not whole(spent, 0, 10**15) or record["step"] <= last["step"] or spent < last["eval_tokens_total"] or any(
                record[c] < last[c] for c in ("rollouts", "tokens")):
            raise Refused(f"evaluation at step {record['step']}: steps must increase and counters never fall")
        entries = entries_of(record)
        if not isinstance(entries, list) or not entries or len(entries) > 10_000:
            raise Refused(f"evaluation at step {record['step']}: no points")
        for entry in entries:
            if not isinstance(entry, dict) or not vector(entry.get("objectives"), k) or (
                    "report" in entry and not vector(entry["report"], k)) or (
                    "preference" in entry and not vector(entry["preference"], k)):
                raise Refused(f"evaluation at step {record['step']}: objective vectors must hold {k} finite numbers "
                              "in [0, 1]")
        last = {**record, "eval_tokens_total": spent}
    if evals[0]["step"] != 0 or evals[-1]["step"] != steps:
        raise Refused(f"evaluations run from step {evals[0]['step']} to {evals[-1]['step']}; a finished run's go "
                      f"from 0 to its budget of {steps} steps")


def check_schedule(evals: list[dict[str, Any]], steps: int, eval_every: int, rows_per_step: int) -> None:
    """Protocol 3: an evaluation at every step of the schedule (others are allowed and ignored), each counting
    exactly the rollouts of the steps done, at least one generated token each."""
    done = {r["step"] for r in evals}
    missing = [s for s in schedule(steps, eval_every) if s not in done]
    if missing:
        raise Refused(f"the evaluation at step {missing[0]} is missing: protocol 3 evaluates at step 0, every "
                      f"{eval_every} steps and the last step")
    for record in evals:
        if record["rollouts"] != record["step"] * rows_per_step or record["tokens"] < record["rollouts"]:
            raise Refused(f"evaluation at step {record['step']}: {record['rollouts']} rollouts and {record['tokens']} "
                          f"tokens; {record['step']} steps of {rows_per_step} rollouts make "
                          f"{record['step'] * rows_per_step}, each of at least one token")


def check_numbers(value: Any, what: str, depth: int = 0) -> None:
    """Every number inside ``value`` (nested lists and objects) finite; strings, booleans and null allowed."""
    if depth > 8:
        raise Refused(f"{what}: nested too deeply")
    if isinstance(value, dict):
        for key, item in value.items():
            check_numbers(item, f"{what}.{key}", depth + 1)
    elif isinstance(value, list):
        if len(value) > MAX_RECORDS:
            raise Refused(f"{what}: more than {MAX_RECORDS} items")
        for item in value:
            check_numbers(item, what, depth + 1)
    elif isinstance(value, float) and not math.isfinite(value):
        raise Refused(f"{what}: {value} is not a finite number")


def check_mechanism(mechanism: Any, k: int, steps: int) -> None:
    """Initial weights, a weight trajectory and a signal trajectory: K-vectors and numbers, at most one per step."""
    if not isinstance(mechanism, dict):
        raise Refused("malformed result file: 'mechanism' must be an object")
    initial, weights, signal = mechanism.get("initial_weights"), mechanism.get("weights", []), mechanism.get(
        "signal", [])
    if initial is not None and not vector(initial, k):
        raise Refused(f"mechanism.initial_weights must be {k} finite weights in [0, 1]")
    if not isinstance(weights, list) or len(weights) > steps or not all(vector(w, k) for w in weights):
        raise Refused(f"mechanism.weights must be at most {steps} vectors of {k} finite weights in [0, 1]")
    if not isinstance(signal, list) or len(signal) > steps or not all(number(v) for v in signal):
        raise Refused(f"mechanism.signal must be at most {steps} finite numbers")


def check_budget(budget: Any) -> None:
    if not isinstance(budget, dict) or not all(number(budget.get(k)) and budget[k] >= 0 for k in
                                               ("train_seconds", "eval_seconds")):
        raise Refused("budget must hold train_seconds and eval_seconds, finite numbers >= 0")


def same(a: Any, b: Any, tolerance: float) -> bool:
    """Equal, numbers within ``tolerance``, lists element by element."""
    if isinstance(b, (list, tuple)):
        return isinstance(a, list) and len(a) == len(b) and all(same(x, y, tolerance) for x, y in zip(a, b))
    if number(b) and number(a):
        return abs(float(a) - float(b)) <= tolerance
    return a == b


def split_size(name_and_size: Any) -> tuple[str, int | None]:
    """("report", 512) from the comparability key's "report:512"."""
    name, _, size = str(name_and_size).rpartition(":")
    return (name, int(size)) if size.isdigit() else (str(name_and_size), None)


def first_missing(keys: Sequence[str], data: dict[str, Any]) -> str | None:
    return next((k for k in keys if k not in data), None)
