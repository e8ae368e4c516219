"""Every field of a result file checked against the others (``morlbench.results.resultfile.load_result``)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from morlbench.errors import UsageError
from morlbench.metrics.delivered import delivered
from morlbench.metrics.front import front_points
from morlbench.metrics.pareto import hypervolume, nondominated
from morlbench.preferences import parse_preferences
from morlbench.results import checks
from morlbench.results.checks import Refused, need, same, split_size, vector, whole
from morlbench.results.identity import EXECUTION_FIELDS, identity_id

TOLERANCE = 1e-6
KEY_FIELDS = ("protocol", "engine", "task_version", "objectives", "model", "steps", "batch", "selection_split",
              "report_split", "decoding", "max_new_tokens")


# Text the boards print (method, package, model, objective names, engine): names, never markup or formulas.
SAFE_TEXT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/@:+=-]{0,199}$")


def plain(value: Any, what: str) -> None:
    if not isinstance(value, str) or not SAFE_TEXT.fullmatch(value):
        raise Refused(f"{what} {str(value)[:60]!r}: a name of letters, digits and . _ / @ : + = - is expected")


@dataclass(frozen=True)
class Fields:
    weights: list[float] | None
    serves: bool
    inert: bool


def check_fields(data: dict[str, Any]) -> Fields:
    schema = data["schema_version"]
    names = need(data, "objective_names", list)
    if not 1 <= len(names) <= 8 or not all(isinstance(n, str) and 0 < len(n) <= 64 for n in names):
        raise Refused("objective_names must be 1 to 8 non-empty names")
    k = len(names)
    spec, key = need(data, "spec", dict), need(data, "comparability", dict)
    missing = checks.first_missing(KEY_FIELDS + (("eval_every", "preferences") if schema >= 3 else ()), key)
    if missing is not None:
        raise Refused(f"comparability key lacks {missing!r}")
    checks.check_numbers(key, "comparability")
    for name in names:
        plain(name, "objective name")
    for field_name in ("model", "engine") + (("precision",) if "precision" in key else ()):
        plain(key[field_name], f"comparability {field_name}")  # printed in board headings
    if key["objectives"] != names:
        raise Refused(f"objective_names {names} differ from the comparability key's {key['objectives']}")
    if key["protocol"] != (3 if schema >= 3 else 2):
        raise Refused(f"schema {schema} records protocol {3 if schema >= 3 else 2}, not {key['protocol']!r}")
    steps = spec.get("steps")
    if not whole(steps, 1, 10**7) or key["steps"] != steps:
        raise Refused(f"comparability key claims {key.get('steps')!r} steps, the spec {steps!r}")
    if not (whole(spec.get("prompts_per_step"), 1, 65_536) and whole(spec.get("group_size"), 1, 1024)):
        raise Refused("the spec's prompts_per_step and group_size must be whole numbers in the batch's ranges")
    batch = f"{spec.get('prompts_per_step')}x{spec.get('group_size')}"
    if key["batch"] != batch:
        raise Refused(f"comparability key claims batch {key.get('batch')!r}, the spec {batch!r}")
    evals = need(data, "evals", list)
    checks.check_records(evals, k, steps)
    rows = steps * spec["prompts_per_step"] * spec["group_size"]
    if evals[-1]["rollouts"] != rows:
        raise Refused(f"its evaluations count {evals[-1]['rollouts']} rollouts; {steps} steps of {batch} make {rows}")
    if not whole(data.get("seed"), 0, 2**31 - 1) or spec.get("seed") != data["seed"]:
        raise Refused(f"seed {data.get('seed')!r}: a whole number in [0, 2^31), the spec's own")
    method, package = need(data, "method", str), need(data, "package", str)
    plain(method, "method")
    if package:
        plain(package, "package")
    identity = need(data, "identity", dict)
    if data.get("identity_id") != identity_id(identity):
        raise Refused("tampered: identity_id does not match its identity")
    if spec.get("method") != method or identity.get("method") != method or identity.get("package") != package:
        raise Refused(f"method {method!r} from {package!r} differs from its spec's or identity's")
    settings = {k: v for k, v in spec.items() if k not in EXECUTION_FIELDS}
    if identity.get("settings") != settings:
        raise Refused("tampered: identity.settings differ from the spec")
    model = need(data, "model", str)
    if str(key["model"]).split("@")[0] != model:
        raise Refused(f"model {model!r} differs from the comparability key's {key['model']!r}")
    checks.check_budget(data.get("budget"))
    checks.check_mechanism(data.get("mechanism") or {}, k, steps)
    checks.check_numbers(identity, "identity")
    if schema < 3:
        _check_claims(data, claims(evals), TOLERANCE)
        _check_per_problem(data, k, key, {(p.step, p.index): list(p.report) for p in _chosen(evals)})
        return Fields(None, False, False)
    capabilities = need(data, "capabilities", dict)
    serves = capabilities.get("serves_preferences")
    inert = capabilities.get("inert_estimators", [])
    if not isinstance(serves, bool) or not isinstance(inert, list) or not all(isinstance(e, str) for e in inert):
        raise Refused("capabilities must say serves_preferences (true/false) and inert_estimators (names)")
    if not whole(key["eval_every"], 1, 10**7) or key["eval_every"] != spec.get("eval_every"):
        raise Refused(f"comparability key evaluates every {key['eval_every']!r} steps, the spec every "
                      f"{spec.get('eval_every')!r}")
    checks.check_schedule(evals, steps, key["eval_every"], spec["prompts_per_step"] * spec["group_size"])
    preferences = preferences_of(key, k)
    _check_delivered(evals, serves, preferences)
    _check_claims(data, claims(evals, serves, preferences), TOLERANCE)
    final = evals[-1]
    vectors = {(final["step"], i): list(w) for i, w in enumerate(_final_reports(final, serves, preferences))}
    _check_per_problem(data, k, key, vectors)
    weights = weights_of(identity, k)
    started = [spec.get("weights"), (data.get("mechanism") or {}).get("initial_weights")]
    if any(w is not None and not same_start(w, weights) for w in started):
        raise Refused(f"identity.weights {weights} differ from the spec's weights or the mechanism's initial weights")
    return Fields(weights, serves, spec.get("estimator") in inert)


def same_start(given: Any, weights: list[float]) -> bool:
    """The same starting weights once normalised (the spec keeps them as given, the identity normalised)."""
    if not isinstance(given, list) or len(given) != len(weights) or not all(checks.number(v) for v in given):
        return False
    total = float(sum(given))
    return total > 0 and all(abs(g / total - w) <= 1e-6 for g, w in zip(given, weights))


def _chosen(evals: list[dict[str, Any]]) -> list[Any]:
    from morlbench.metrics.front import chosen, evaluated_points

    return [p for p in chosen(evaluated_points(evals)) if p.report is not None]


def _check_delivered(evals: list[dict[str, Any]], serves: bool, preferences: Any) -> None:
    if delivered(evals, serves, preferences) is None:
        what = "each preference of W" if serves else "its final policy"
        raise Refused(f"the final evaluation lacks the report-split values of {what}")


def _final_reports(final: dict[str, Any], serves: bool, preferences: Any) -> list[list[float]]:
    from morlbench.metrics.delivered import served_at, single_at

    return served_at(final, preferences, "report") if serves else [single_at(final, "report")]


def _check_claims(data: dict[str, Any], recomputed: dict[str, Any], tolerance: float) -> None:
    stated = need(data, "claims", dict)
    for key, value in recomputed.items():
        if not same(stated.get(key), value, tolerance):
            raise Refused(f"tampered: claimed {key} {str(stated.get(key))[:80]} does not match its own evaluations "
                          f"({str(value)[:80]})")


def _check_per_problem(data: dict[str, Any], k: int, key: dict[str, Any], vectors: dict[Any, list[float]]) -> None:
    from morlbench.results.perproblem import check_per_problem

    split, size = split_size(key["report_split"])
    problem = check_per_problem(data.get("per_problem"), k, size, split, vectors)
    if problem is not None:
        raise Refused(problem)


def claims(evals: list[dict[str, Any]], serves: bool = False, preferences: Any = None) -> dict[str, Any]:
    """What a result file claims: protocol 3 (``preferences`` given), its delivered points and their
    hypervolume; protocol 2, its chosen front and its hypervolume; and its final counters."""
    points = front_points(evals) if preferences is None else delivered(evals, serves, preferences)
    last = evals[-1]
    front = nondominated(points) if points is not None and len(points) else points
    return {
        ("front" if preferences is None else "delivered"): [] if points is None else
        (front if preferences is None else points).round(6).tolist(),
        "hypervolume": round(hypervolume(front if front is not None else []), 6),
        "final_step": last["step"],
        "tokens": last["tokens"],
        "rollouts": last["rollouts"],
        "eval_tokens": last.get("eval_tokens_total", 0),
    }


def preferences_of(key: dict[str, Any], k: int) -> tuple[tuple[float, ...], ...]:
    try:
        return parse_preferences(key.get("preferences"), k)
    except UsageError as exc:
        raise Refused(f"comparability key: {exc}") from None


def weights_of(identity: dict[str, Any], k: int) -> list[float]:
    weights = identity.get("weights")
    if not vector(weights, k):
        raise Refused(f"identity.weights must be {k} finite weights in [0, 1]")
    return weights
