"""Is a planned run already in a results directory? Lets a sweep on a fresh machine skip what was committed.

A result file stands for a planned run when it names the same entry (identity: distribution and version, method,
resolved settings and weights), the same seed, and the same comparability key in every field that can be known
without loading the model (protocol, engine, task version, objectives, budget, splits, decoding).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from morlbench import registry
from morlbench.comparability import comparability_key
from morlbench.results.resultfile import ResultError, identity_id, identity_of, load_result
from morlbench.results.submission import installed_version
from morlbench.spec import RunSpec


def committed_result(results_dir: Path, spec: RunSpec) -> Path | None:
    """The result file under ``results_dir`` that records this spec's run, or None."""
    from morlbench.run.resolve import resolve

    r = resolve(RunSpec.from_dict(spec.to_dict()))
    version_dir = results_dir / r.task.version
    if not version_dir.is_dir():
        return None
    entry = {e.name: e for e in registry.entries("methods")}.get(r.spec.method)
    package = entry.package if entry else "?"
    wanted = identity_id(identity_of(package, installed_version(package), r.spec.to_dict(),
                                     dataclasses.asdict(r.method.settings), r.weights))
    splits = {"selection": f"{r.selection_split}:{len(r.task.split(r.selection_split))}",
              "report": f"{r.report_split}:{len(r.task.split(r.report_split))}"}
    for path in sorted(version_dir.glob(f"*-seed{spec.seed}-*.json")):
        try:
            result = load_result(path)
        except ResultError:
            continue
        if result.identity != wanted or result.seed != spec.seed:
            continue
        key = comparability_key(r.spec, r.task.version, r.task.objective_names, result.comparability["model"],
                                splits, r.max_new_tokens)
        if key == result.comparability:
            return path
    return None
