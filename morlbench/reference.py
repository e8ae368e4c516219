"""The stored reference of each task version (baselines/reference.json): HV_ref and the reference front that
steps-to-front and the pair metrics compare with, taken from reference runs, never from the entries ranked."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from morlbench.errors import UsageError

APPLIES_TO = ("protocol", "engine", "task_version", "objectives", "model", "selection_split", "report_split",
              "max_new_tokens")


@dataclass(frozen=True)
class Reference:
    hv_ref: float | None
    front: np.ndarray | None  # (m, K) non-dominated points, or None when not stored
    provenance: dict[str, Any]

    def applies(self, key: dict[str, Any]) -> bool:
        """Whether a comparability group is the one this reference was recorded for (any budget): the same
        protocol, engine, task version, objectives, model, splits and generation limit."""
        scope = self.provenance.get("applies_to")
        return scope == "any" or isinstance(scope, dict) and all(scope.get(k) == key.get(k) for k in APPLIES_TO)


def reference_for(key: dict[str, Any], references: dict[str, Reference]) -> Reference | None:
    ref = references.get(key.get("task_version"))
    return ref if ref is not None and ref.applies(key) else None


def _reference(version: str, entry: Any, path: Path) -> Reference:
    if not isinstance(entry, dict):
        raise UsageError(f"--reference {path}: task version {version!r} must map to {{\"hv_ref\": number, ...}}")
    hv_ref = entry.get("hv_ref")
    if hv_ref is not None and (isinstance(hv_ref, bool) or not isinstance(hv_ref, (int, float))
                               or not math.isfinite(hv_ref) or hv_ref <= 0):
        raise UsageError(f"--reference {path}: hv_ref of {version!r} must be a positive number, not {hv_ref!r}")
    front = entry.get("front")
    if front is not None:
        try:
            front = np.asarray(front, dtype=np.float64)
        except (TypeError, ValueError):
            front = None
        if front is None or front.ndim != 2 or not np.isfinite(front).all():
            raise UsageError(f"--reference {path}: the front of {version!r} must be a list of objective vectors")
    return Reference(None if hv_ref is None else float(hv_ref), front,
                     {k: v for k, v in entry.items() if k not in ("hv_ref", "front")})


# Shipped in the package, so that a run's report and `morlbench report` find it wherever morlbench runs: in a
# checkout, morlbench/reference.json is a link to baselines/reference.json, the one copy `morlbench reference` writes.
DEFAULT_REFERENCE = Path(__file__).with_name("reference.json")


def default_reference(path: Path | None) -> Path | None:
    """The reference file the commands use: the one named, else the one shipped with morlbench (a copy of
    baselines/reference.json)."""
    if path is not None:
        return path
    return DEFAULT_REFERENCE if DEFAULT_REFERENCE.is_file() else None


def load_references(path: Path | None) -> dict[str, Reference]:
    """Task version -> Reference from the file at ``path`` (None: no references); a file named but absent is
    refused."""
    if path is None:
        return {}
    if not path.is_file():
        raise UsageError(f"--reference {path}: no such file (a reference file such as baselines/reference.json)")
    try:
        versions = json.loads(path.read_text())["task_versions"]
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise UsageError(f"--reference {path}: not a reference file (JSON with \"task_versions\"): {exc}") from None
    if not isinstance(versions, dict):
        raise UsageError(f"--reference {path}: \"task_versions\" must map task versions to {{\"hv_ref\": number}}")
    return {version: _reference(version, entry, path) for version, entry in versions.items()}


def reference_entry(results: list[Any], suite: str) -> tuple[str, dict[str, Any]]:
    """The reference of one task version from its reference runs (result files of one comparability group):
    HV_ref, the mean over seeds of the static grid's front hypervolume (each seed's runs together, chosen on the
    selection split, valued on the report split), and the reference front, the non-dominated union of every
    reference run's front."""
    from morlbench.compare.entries import group_records, static_grid
    from morlbench.compare.records import from_result
    from morlbench.metrics.front import front_points
    from morlbench.metrics.pareto import hypervolume, nondominated

    groups = group_records([from_result(r) for r in results])
    if len(groups) != 1:
        raise UsageError(f"reference runs must form one comparability group; these form {len(groups)}")
    key_text, entries = groups[0]
    key = json.loads(key_text)
    grid = static_grid(entries)
    if grid is None:
        raise UsageError("reference runs must hold at least two linear static entries (the static grid)")
    per_seed = {g.seed: hypervolume(front_points(g.evals)) for g in grid.records}
    front = nondominated(np.vstack([r.points for e in entries.values() for r in e.records]))
    entry = {
        "hv_ref": round(float(np.mean(list(per_seed.values()))), 6),
        "front": front.round(6).tolist(),
        "applies_to": {k: key[k] for k in APPLIES_TO},
        "source": f"{suite}: the static grid's front (its {len(entries)} runs per seed together, chosen on the "
                  "selection split, valued on the report split), mean over the reference seeds",
        "seeds": sorted(per_seed),
        "hypervolume_per_seed": {str(s): round(v, 6) for s, v in sorted(per_seed.items())},
        "budget": f"{key['steps']} steps of {key['batch']}",
        "runs": sorted(r.path.name for r in results),
    }
    return key["task_version"], entry
