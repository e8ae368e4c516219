"""Is a planned run already in a results directory? Lets a sweep on a fresh machine skip what was committed.

A result file stands for a planned run when it names the same entry (distribution and version, method, resolved
settings and weights), the same seed, the same model name and the same comparability key in every other field
(protocol, engine, task version, objectives, budget, splits, decoding). The model checkpoint's digest is not
checked: it is known only once the model is loaded.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from morlbench.comparability import comparability_key
from morlbench.preferences import format_preferences
from morlbench.results.resultfile import ResultError, identity_id, load_result
from morlbench.results.submission import entry_identity
from morlbench.spec import RunSpec


def committed_result(results_dir: Path, spec: RunSpec) -> Path | None:
    """The result file under ``results_dir`` that records this spec's run, or None."""
    if not any(results_dir.glob(f"*/*-seed{spec.seed}-*.json")):
        return None  # nothing of this seed: no need to resolve the spec
    from morlbench.run.resolve import precision_of, resolve

    r = resolve(RunSpec.from_dict(spec.to_dict()))
    wanted = identity_id(entry_identity(r.spec.to_dict(), dataclasses.asdict(r.method.settings), r.weights))
    model = r.spec.model or r.task.default_model
    for path in sorted((results_dir / r.task.version).glob(f"*-seed{spec.seed}-*.json")):
        try:
            result = load_result(path)
        except ResultError:
            continue
        if result.identity != wanted or result.seed != spec.seed:
            continue
        model_id = result.comparability["model"]
        if model_id.split("@")[0] not in (model, Path(model).name):  # a registered name, hub id or directory
            continue
        key = comparability_key(r.spec, r.task.version, r.task.objective_names, model_id, r.split_sizes(),
                                r.max_new_tokens, format_preferences(r.preferences), precision_of(r).name)
        if key == result.comparability:
            return path.resolve()
    return None
