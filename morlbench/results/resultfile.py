"""Result files as the leaderboard reads them: verified, not trusted (docs/leaderboard.md).

A result file is one finished run, self-contained JSON. Loading it checks every field the boards print or compute
from against the others: identity against spec and method, model and objective names against the comparability
key, the evaluation schedule complete, per-problem values against the evaluation means they summarise, counters
against the budget, every number finite and in range; then it recomputes the numbers the file claims. A file
that does not check is refused in one line naming it and the field (``ResultError``); only regular files are
read, and the work is linear in the file's size. Schema 3 is evaluation protocol 3; schema 2 files (protocol 2)
stay readable as historical records.
"""
from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from morlbench.errors import UsageError
from morlbench.metrics.front import chosen, evaluated_points
from morlbench.results import checks
from morlbench.results.checks import Refused
from morlbench.results.identity import entry_identity_id, identity_id, identity_of
from morlbench.results.perproblem import decode_column, delivered_per_problem, encode_column
from morlbench.results.verified import check_fields, claims

RESULT_SCHEMA = 3  # 3: evaluation protocol 3 (delivered points at W, trajectories on one schedule); 2: protocol 2
READABLE_SCHEMAS = (2, 3)
KIND = "morlbench-result"
MAX_BYTES = 20 * 2**20  # a 100-step suite run with per-problem values is well under 1 MB
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=+-]{0,119}$")  # path components and labels
__all__ = ["Result", "ResultError", "claims", "decode_column", "delivered_per_problem", "encode_column",
           "entry_identity_id", "identity_id", "identity_of", "load_result", "run_per_problem", "safe_name"]


class ResultError(UsageError):
    """A result file the leaderboard refuses: malformed, another schema version, or tampered."""


@dataclass(frozen=True)
class Result:
    path: Path
    label: str
    identity: str  # the run's entry under protocol 2; with the weights, the run's configuration
    method: str
    package: str
    seed: int
    comparability: dict[str, Any]
    objective_names: list[str]
    evals: list[dict[str, Any]]
    budget: dict[str, Any]
    mechanism: dict[str, Any]
    per_problem: dict[str, Any] | None
    method_settings: dict[str, Any]
    weights: list[float] | None = None
    serves: bool = False
    inert: bool = False
    entry_id: str = ""  # protocol 3's entry: the identity without the weights
    lr: float | None = None

    @property
    def group_key(self) -> str:
        return json.dumps(self.comparability, sort_keys=True)


def safe_name(value: Any, what: str) -> str:
    """A name that may become a path component or a table cell: refused unless of the safe character set."""
    if not isinstance(value, str) or not SAFE_NAME.fullmatch(value) or ".." in value:
        raise UsageError(f"{what} {str(value)[:80]!r}: use 1 to 120 letters, digits and . _ = + - (no separators, "
                         "no '..', not starting with punctuation)")
    return value


def run_per_problem(record: Any, samples_of: Any, report_split: str) -> dict[str, Any] | None:
    """The per-problem report values a run's result file keeps: protocol 3, the delivered points'; protocol 2,
    the chosen front's. None when the run wrote no per-problem records."""
    evals = record.evals
    if not evals:
        return None
    if record.protocol >= 3:
        indices = list(range(len(record.preferences))) if record.serves else [0]
        return delivered_per_problem(evals[-1]["step"], indices, samples_of, report_split)
    points = []
    problems: list[str] | None = None
    for point in chosen(evaluated_points(evals)):
        found = delivered_per_problem(point.step, [point.index], samples_of, report_split)
        if found is None:
            return None
        problems = problems or found["problems"]
        points += found["points"]
    return {"split": report_split, "problems": problems or [], "points": points}


# -- loading ------------------------------------------------------------------------------------------------

def load_result(path: Path) -> Result:
    """Parse and verify one result file; raises ResultError with the reason (never anything else)."""
    try:
        return _load(path, _read(path))
    except Refused as exc:
        raise ResultError(f"{path}: {exc}") from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError, ArithmeticError,
            MemoryError) as exc:
        raise ResultError(f"{path}: malformed result file: {type(exc).__name__}") from None


def _read(path: Path) -> dict[str, Any]:
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise Refused("not a regular file (a result file is one run's JSON)")
        if info.st_size > MAX_BYTES:
            raise Refused(f"larger than {MAX_BYTES // 2**20} MiB; a result file is one run's records")
        with open(path, "rb") as handle:
            data = json.loads(handle.read(MAX_BYTES + 1))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise Refused(f"malformed result file: not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise Refused(f"malformed result file: not a morlbench result (kind {KIND!r} expected)")
    if data.get("schema_version") not in READABLE_SCHEMAS:
        raise Refused(f"schema_version {data.get('schema_version')!r}; this morlbench reads "
                      f"{', '.join(map(str, READABLE_SCHEMAS))} (re-record and re-submit the run with this version)")
    return data


def _load(path: Path, data: dict[str, Any]) -> Result:
    fields = check_fields(data)
    label = data.get("label")
    try:
        safe_name(label, "label")
        safe_name(data["comparability"].get("task_version"), "task version")
    except UsageError as exc:
        raise Refused(str(exc)) from None
    identity = data["identity"]
    settings = identity.get("method_settings") or {}
    lr = (data["spec"].get("engine") or {}).get("lr")
    return Result(path, label, data["identity_id"], data["method"], data["package"], data["seed"],
                  data["comparability"], list(data["objective_names"]), data["evals"], dict(data["budget"]),
                  dict(data.get("mechanism") or {}), data.get("per_problem"), dict(settings), fields.weights,
                  fields.serves, fields.inert, entry_identity_id(identity), lr if checks.number(lr) else None)
