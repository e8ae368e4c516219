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


@dataclass(frozen=True)
class Reference:
    hv_ref: float | None
    front: np.ndarray | None  # (m, K) non-dominated points, or None when not stored
    provenance: dict[str, Any]


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


def load_references(path: Path | None) -> dict[str, Reference]:
    """Task version -> Reference; an absent file has none."""
    if path is None or not path.exists():
        return {}
    try:
        versions = json.loads(path.read_text())["task_versions"]
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise UsageError(f"--reference {path}: not a reference file (JSON with \"task_versions\"): {exc}") from None
    if not isinstance(versions, dict):
        raise UsageError(f"--reference {path}: \"task_versions\" must map task versions to {{\"hv_ref\": number}}")
    return {version: _reference(version, entry, path) for version, entry in versions.items()}
