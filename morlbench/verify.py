"""``morlbench verify RESULT...``: a submitted result rerun from its recorded spec, and whether it reproduces.

A result file holds the run's full ``spec``, its ``evals``, the package ``versions`` and the ``machine`` it was
made on. The rerun trains that spec again in a temporary directory and compares its evaluation records with the
recorded ones, field by field (the fields the result records; fields a rerun adds are not compared):

- on the same machine class (same torch CPU kernel level and GPU, same torch and transformers versions) a run is
  deterministic, so every record must be equal: bit for bit. The first field that differs is named, with its step;
- elsewhere float32 rounds differently and a run drifts once a sampled token flips, so only the evaluation schedule
  must be equal (steps and rollouts) and the front's hypervolume must agree within ``HV_TOLERANCE``.

Each verification is recorded as ``verified/<result file name>`` beside the results directory, with the sha256 of
the result file it verified; ``verified(results_dir)`` returns the records that still apply (docs/leaderboard.md).
"""
from __future__ import annotations

import hashlib
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from morlbench.errors import UsageError
from morlbench.results.atomic import atomic_write_json, file_sha256

KIND = "morlbench-verification"
SCHEMA = 1
VERIFIED_DIR = "verified"
# Across machine classes: a 100-step reference run rerun on another CPU drifted by 0.0015 in front hypervolume,
# while its entry's seed-to-seed standard deviation is 0.021 (docs/leaderboard.md). 0.01, about half that spread,
# admits rounding drift and refuses any change that could move an entry by a meaningful share of its seed spread.
HV_TOLERANCE = 0.01
NUMERIC_PACKAGES = ("torch", "transformers")  # their versions decide float32 kernels and rounding


def verified_dir(results_dir: Path) -> Path:
    """Where the verification records of ``results_dir``'s result files go: ``verified/`` beside it."""
    return results_dir.parent / VERIFIED_DIR


def this_machine() -> dict[str, Any]:
    """This machine in a result file's ``machine`` form (CPU, torch's CPU kernel level, GPU)."""
    from morlbench.results.submission import machine
    from morlbench.run.provenance import host

    return machine({"provenance": host()})


def machine_class(machine: dict[str, Any], versions: dict[str, Any]) -> dict[str, Any]:
    """What decides whether two runs of one spec give the same bits."""
    return {"cpu_capability": machine.get("cpu_capability"), "cuda": machine.get("cuda"),
            **{name: versions.get(name) for name in NUMERIC_PACKAGES}}


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def first_difference(recorded: Any, rerun: Any, where: str) -> str | None:
    """The first field of ``recorded`` that ``rerun`` does not hold identically, as ``where.field[i]: recorded
    X, rerun Y``; None when every recorded field is equal (fields only the rerun has are not compared)."""
    if isinstance(recorded, dict):
        if not isinstance(rerun, dict):
            return f"{where}: recorded {_shown(recorded)}, rerun {_shown(rerun)}"
        for key, value in recorded.items():
            if key not in rerun:
                return f"{where}.{key}: recorded {_shown(value)}, absent from the rerun"
            found = first_difference(value, rerun[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(recorded, list) and isinstance(rerun, list):
        for i, (a, b) in enumerate(zip(recorded, rerun)):
            found = first_difference(a, b, f"{where}[{i}]")
            if found:
                return found
        if len(recorded) != len(rerun):
            return f"{where}: {len(recorded)} values recorded, {len(rerun)} in the rerun"
        return None
    if recorded != rerun or isinstance(recorded, bool) != isinstance(rerun, bool):
        return f"{where}: recorded {_shown(recorded)}, rerun {_shown(rerun)}"
    return None


def compare_evals(recorded: list[dict[str, Any]], rerun: list[dict[str, Any]]) -> str | None:
    """The first difference between two runs' evaluation records, named by step and field."""
    for a, b in zip(recorded, rerun):
        found = first_difference(a, b, f"evals[step {a.get('step')}]")
        if found:
            return found
    if len(recorded) != len(rerun):
        return f"evals: {len(recorded)} evaluations recorded, {len(rerun)} in the rerun"
    return None


def _schedule(evals: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    return [(e.get("step"), e.get("rollouts")) for e in evals]


def delivered_hypervolume(evals: list[dict[str, Any]]) -> float:
    """The hypervolume of what the run delivers: its final evaluation's report-split points (protocol 3)."""
    from morlbench.metrics.front import current_points
    from morlbench.metrics.pareto import hypervolume

    return round(hypervolume(current_points(evals[-1], "report")), 6) if evals else 0.0


def judge(recorded: list[dict[str, Any]], rerun: list[dict[str, Any]], same_class: bool) -> dict[str, Any]:
    """The verdict: bit-for-bit, within-tolerance or differs, with the first difference and what was compared."""
    difference = compare_evals(recorded, rerun)
    if difference is None:
        return {"verdict": "bit-for-bit", "reproduced": True, "difference": None}
    if same_class:
        return {"verdict": "differs", "reproduced": False, "difference": difference}
    hv = {"recorded": delivered_hypervolume(recorded), "rerun": delivered_hypervolume(rerun)}
    tolerance = {"front_hypervolume": HV_TOLERANCE, "schedule": "equal (steps and rollouts)",
                 "why": "another machine class rounds float32 differently; a rerun drifts once a token flips"}
    within = _schedule(recorded) == _schedule(rerun) and abs(hv["recorded"] - hv["rerun"]) <= HV_TOLERANCE
    return {"verdict": "within-tolerance" if within else "differs", "reproduced": within,
            "difference": difference, "front_hypervolume": hv, "tolerance": tolerance}


def rerun_evals(spec: dict[str, Any], progress: bool) -> list[dict[str, Any]]:
    """The evaluation records of ``spec`` trained again from scratch in a temporary directory."""
    from morlbench.results.atomic import read_jsonl
    from morlbench.run.execute import execute
    from morlbench.spec import RunSpec

    run_spec = RunSpec.from_dict(spec)
    run_spec.check()
    with tempfile.TemporaryDirectory(prefix="morlbench-verify-") as tmp:
        out = execute(run_spec, Path(tmp) / "rerun", progress=progress)
        return read_jsonl(out / "eval.jsonl", "step")


def verify(path: Path, results_dir: Path, progress: bool = False,
           reruns: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """Rerun the result file ``path`` and write its verification record; returns the record. ``reruns`` caches
    reruns by spec across calls (a tampered copy of a result needs no second run)."""
    from morlbench.results.resultfile import load_result
    from morlbench.run.provenance import package_versions

    load_result(path)  # refused in one line unless the leaderboard would read it
    data = json.loads(path.read_text())
    spec, recorded_machine = data["spec"], data.get("machine") or {}
    here, versions = this_machine(), package_versions()
    recorded_class = machine_class(recorded_machine, data.get("versions") or {})
    # a result recorded before the machine field existed has no kernel level: its class is unknown, not this one
    same_class = recorded_class["cpu_capability"] is not None and recorded_class == machine_class(here, versions)
    key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
    cache = {} if reruns is None else reruns
    began = time.perf_counter()
    if key not in cache:
        cache[key] = rerun_evals(spec, progress)
    record = {"kind": KIND, "schema_version": SCHEMA, "result": path.name, "result_sha256": file_sha256(path),
              **judge(data["evals"], cache[key], same_class),
              "same_machine_class": same_class, "machine_class": {"recorded": recorded_class,
                                                                  "here": machine_class(here, versions)},
              "machine": here, "versions": versions, "spec_sha256": key,
              "verified_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "seconds": round(time.perf_counter() - began, 1)}
    atomic_write_json(verified_dir(results_dir) / path.name, record)
    return record


def summary(path: Path, record: dict[str, Any]) -> str:
    """One line per verified result file."""
    if record["verdict"] == "bit-for-bit":
        where = "the recorded machine class" if record["same_machine_class"] else "another machine class"
        return f"{path}: reproduced bit for bit, on {where}"
    hv = record.get("front_hypervolume")
    if record["verdict"] == "within-tolerance":
        return (f"{path}: reproduced within tolerance on another machine class (front hypervolume {hv['recorded']} "
                f"recorded, {hv['rerun']} rerun; tolerance {HV_TOLERANCE}); first difference {record['difference']}")
    extra = f" (front hypervolume {hv['recorded']} recorded, {hv['rerun']} rerun)" if hv else ""
    return f"{path}: does not reproduce: {record['difference']}{extra}"


def verified(results_dir: Path) -> dict[str, dict[str, Any]]:
    """Result file name -> verification record, for every result file under ``results_dir`` that a successful
    verification record in ``verified/`` beside it still applies to (same file bytes: sha256)."""
    where = verified_dir(results_dir)
    if not where.is_dir() or not results_dir.is_dir():
        return {}
    by_name: dict[str, list[Path]] = {}
    for result in sorted(results_dir.rglob("*.json")):
        if result.is_file():
            by_name.setdefault(result.name, []).append(result)
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(where.glob("*.json")):
        try:
            record = json.loads(path.read_text()) if path.is_file() else None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            continue
        if not isinstance(record, dict) or record.get("kind") != KIND or record.get("reproduced") is not True:
            continue
        if any(file_sha256(p) == record.get("result_sha256") for p in by_name.get(str(record.get("result")), [])):
            found[str(record["result"])] = record
    return found


def check_files(paths: list[Path]) -> None:
    """Result files to verify, all checked before the first rerun: regular files (a FIFO would block the read)
    that the leaderboard reads."""
    from morlbench.results.resultfile import load_result

    for path in paths:
        if not path.is_file():
            raise UsageError(f"{path}: not a result file (no such regular file)")
        load_result(path)
