"""Result files as the leaderboard reads them: the schema, checked field by field, and the claims recomputed.

A result file is one finished run, self-contained JSON (docs/leaderboard.md). Loading it checks every field's
type and range, that its budget agrees with its own evaluations and its comparability key with its spec, and
recomputes the numbers it claims from its evaluations: any file that does not check is refused in one line
(``ResultError``), and no input can crash the process.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from morlbench.errors import UsageError
from morlbench.metrics.front import evaluated_points, front_points
from morlbench.metrics.pareto import hypervolume, nondominated

RESULT_SCHEMA = 2  # 2: evaluation protocol v2 (selection and report vectors), entry identity, per-problem values
KIND = "morlbench-result"
TOLERANCE = 1e-6
MAX_BYTES = 20 * 2**20  # a 60-step suite run with per-problem values is well under 1 MB
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=+-]{0,119}$")  # path components and labels
# Spec fields that say how a run was executed, not what was run: not part of an entry's identity.
EXECUTION_FIELDS = ("seed", "threads", "device", "checkpoint_every", "eval_batch_size", "gradient_cosine_every",
                    "eval_samples")


class ResultError(UsageError):
    """A result file the leaderboard refuses: malformed, another schema version, or tampered."""


@dataclass(frozen=True)
class Result:
    path: Path
    label: str
    identity: str  # the entry: distribution, method, resolved settings, plugin version
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

    @property
    def group_key(self) -> str:
        return json.dumps(self.comparability, sort_keys=True)


def safe_name(value: Any, what: str) -> str:
    """A name that may become a path component or a table cell: refused unless of the safe character set."""
    if not isinstance(value, str) or not SAFE_NAME.fullmatch(value) or ".." in value:
        raise UsageError(f"{what} {str(value)[:80]!r}: use 1 to 120 letters, digits and . _ = + - (no separators, "
                         "no '..', not starting with punctuation)")
    return value


def identity_of(package: str, package_version: str, spec: dict[str, Any], method_settings: dict[str, Any],
                weights: list[float]) -> dict[str, Any]:
    """What makes two runs the same entry: who registered the method (and at which version), the method and
    every setting that changes what is run (seeds and execution details excluded)."""
    settings = {k: v for k, v in spec.items() if k not in EXECUTION_FIELDS}
    return {"package": package, "package_version": package_version, "method": spec["method"],
            "settings": settings, "method_settings": method_settings, "weights": [round(w, 6) for w in weights]}


def identity_id(identity: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]


def claims(evals: list[dict[str, Any]]) -> dict[str, Any]:
    front = front_points(evals)
    last = evals[-1]
    return {
        "front": nondominated(front).round(6).tolist(),
        "hypervolume": round(hypervolume(front), 6),
        "final_step": last["step"],
        "tokens": last["tokens"],
        "rollouts": last["rollouts"],
        "eval_tokens": last.get("eval_tokens_total", 0),
    }


# -- checking -----------------------------------------------------------------------------------------------

def _fail(path: Path, why: str) -> ResultError:
    return ResultError(f"{path}: {why}")


def _need(data: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Path) -> Any:
    value = data.get(key)
    if key not in data or not isinstance(value, kind) or isinstance(value, bool) and bool not in _kinds(kind):
        raise _fail(path, f"malformed result file: {key!r} missing or not {getattr(kind, '__name__', kind)}")
    return value


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _vector(value: Any, k: int) -> bool:
    """K finite numbers in [0, 1]."""
    return (isinstance(value, list) and len(value) == k and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and 0 <= v <= 1 for v in value))


def check_evals(evals: list[Any], k: int, steps: int, path: Path) -> None:
    """Every record: a step, counters, K objectives in [0, 1]; steps increasing from 0 to the budget; counters
    that never decrease; the initial and final points valued on the report split."""
    if len(evals) < 2:
        raise _fail(path, "a result needs its initial and at least one later evaluation")
    counters = ("step", "rollouts", "tokens")
    last = {"step": -1, "rollouts": 0, "tokens": 0}
    for record in evals:
        if not isinstance(record, dict) or not all(_whole(record.get(c), 0, 10**15) for c in counters):
            raise _fail(path, "malformed evaluation record: step, rollouts and tokens must be whole numbers >= 0")
        if record["step"] <= last["step"] or any(record[c] < last[c] for c in ("rollouts", "tokens")):
            raise _fail(path, f"evaluation at step {record['step']}: steps must increase and counters never fall")
        entries = record["points"] if "points" in record else [record]
        if not isinstance(entries, list) or not entries:
            raise _fail(path, f"evaluation at step {record['step']}: no points")
        for entry in entries:
            if not isinstance(entry, dict) or not _vector(entry.get("objectives"), k) or (
                    "report" in entry and not _vector(entry["report"], k)):
                raise _fail(path, f"evaluation at step {record['step']}: objective vectors must hold {k} finite "
                            "numbers in [0, 1]")
        last = record
    if evals[0]["step"] != 0 or evals[-1]["step"] != steps:
        raise _fail(path, f"evaluations run from step {evals[0]['step']} to {evals[-1]['step']}; a finished run's "
                    f"go from 0 to its budget of {steps} steps")
    for record in (evals[0], evals[-1]):
        entries = record["points"] if "points" in record else [record]
        if not all("report" in e for e in entries):
            raise _fail(path, f"evaluation at step {record['step']} lacks its report-split values")


def check_claims(data: dict[str, Any], evals: list[dict[str, Any]], path: Path) -> None:
    stated = _need(data, "claims", dict, path)
    for key, value in claims(evals).items():
        if not _close(stated.get(key), value):
            raise _fail(path, f"tampered: claimed {key} {stated.get(key)!r} does not match its own evaluations "
                        f"({value!r})")


def _close(a: Any, b: Any) -> bool:
    if isinstance(b, list):
        return isinstance(a, list) and len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(b, (int, float)) and isinstance(a, (int, float)) and not isinstance(a, bool):
        return abs(float(a) - float(b)) <= TOLERANCE
    return a == b


def check_consistency(data: dict[str, Any], evals: list[dict[str, Any]], path: Path) -> None:
    """The comparability key, the spec and the budget agree with each other and with the evaluations."""
    spec, key = _need(data, "spec", dict, path), _need(data, "comparability", dict, path)
    if not _whole(spec.get("steps"), 1, 10**7) or key.get("steps") != spec["steps"]:
        raise _fail(path, f"comparability key claims {key.get('steps')!r} steps, the spec {spec.get('steps')!r}")
    batch = f"{spec.get('prompts_per_step')}x{spec.get('group_size')}"
    if key.get("batch") != batch:
        raise _fail(path, f"comparability key claims batch {key.get('batch')!r}, the spec {batch!r}")
    rows = spec["steps"] * spec["prompts_per_step"] * spec["group_size"]
    if evals[-1]["rollouts"] != rows:
        raise _fail(path, f"its evaluations count {evals[-1]['rollouts']} rollouts; {spec['steps']} steps of "
                    f"{batch} make {rows}")
    if spec.get("seed") != data.get("seed") or spec.get("method") != data.get("method"):
        raise _fail(path, "its seed or method differs from its own spec")


def load_result(path: Path) -> Result:
    """Parse and verify one result file; raises ResultError with the reason (never anything else)."""
    try:
        return _load(path)
    except ResultError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as exc:
        raise _fail(path, f"malformed result file: {type(exc).__name__}") from None


def _load(path: Path) -> Result:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise _fail(path, f"larger than {MAX_BYTES // 2**20} MiB; a result file is one run's records")
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _fail(path, f"malformed result file: not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise _fail(path, f"malformed result file: not a morlbench result (kind {KIND!r} expected)")
    if data.get("schema_version") != RESULT_SCHEMA:
        raise _fail(path, f"schema_version {data.get('schema_version')!r}; this morlbench reads {RESULT_SCHEMA} "
                    "(re-record and re-submit the run with this version)")
    names = _need(data, "objective_names", list, path)
    if not 1 <= len(names) <= 8 or not all(isinstance(n, str) and n for n in names):
        raise _fail(path, "objective_names must be 1 to 8 non-empty names")
    evals = _need(data, "evals", list, path)
    spec = _need(data, "spec", dict, path)
    check_evals(evals, len(names), spec.get("steps"), path)
    check_consistency(data, evals, path)
    check_claims(data, evals, path)
    if not _whole(data.get("seed"), 0, 2**31 - 1):
        raise _fail(path, f"seed {data.get('seed')!r}: expected a whole number in [0, 2^31)")
    label = data.get("label")
    try:
        safe_name(label, "label")
        safe_name(data["comparability"].get("task_version"), "task version")
    except UsageError as exc:
        raise _fail(path, str(exc)) from None
    identity = _need(data, "identity", dict, path)
    if data.get("identity_id") != identity_id(identity):
        raise _fail(path, "tampered: identity_id does not match its identity")
    return Result(path, label, data["identity_id"], str(_need(data, "method", str, path)),
                  str(_need(data, "package", str, path)), data["seed"], data["comparability"], names, evals,
                  dict(_need(data, "budget", dict, path)), dict(data.get("mechanism") or {}),
                  data.get("per_problem") if isinstance(data.get("per_problem"), dict) else None,
                  dict(identity.get("method_settings") or {}))


def chosen_front_per_problem(evals: list[dict[str, Any]], samples_of: Any, report_split: str
                             ) -> dict[str, Any] | None:
    """The chosen points' report-split values problem by problem (from eval_samples/), objective by objective:
    what a statistic over problems needs. None when the run wrote no per-problem records."""
    from morlbench.metrics.front import chosen

    problems: list[str] | None = None
    points = []
    for point in chosen(evaluated_points(evals)):
        records = [r for r in samples_of(point.step) if r.get("split") == "report" and r.get("point") == point.index]
        if not records:
            return None
        problems = problems or [r["id"] for r in records]
        columns = list(zip(*(r["values"] for r in records)))
        points.append({"step": point.step, "index": point.index, "values": [encode_column(c) for c in columns]})
    return {"split": report_split, "problems": problems or [], "points": points}


def encode_column(values: Any) -> str:
    """Per-problem values of one objective as one string: "0110..." when every value is 0 or 1, else
    comma-separated numbers with 4 decimals (result files stay small and readable)."""
    if all(v in (0, 1) for v in values):
        return "".join(str(int(v)) for v in values)
    return ",".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in values)


def decode_column(text: str) -> list[float]:
    if "," not in text and set(text) <= {"0", "1"}:
        return [float(c) for c in text]
    return [float(v) for v in text.split(",")]
