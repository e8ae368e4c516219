"""Which runs are the same configuration, and which are the same protocol-3 entry (docs/leaderboard.md)."""
from __future__ import annotations

import hashlib
import json
from typing import Any

# Spec fields that say how a run was executed, not what was run: not part of an entry's identity.
EXECUTION_FIELDS = ("seed", "threads", "device", "checkpoint_every", "eval_batch_size", "gradient_cosine_every",
                    "eval_samples")


def identity_of(package: str, package_version: str, spec: dict[str, Any], method_settings: dict[str, Any],
                weights: list[float]) -> dict[str, Any]:
    """What makes two runs the same configuration: who registered the method (and at which version), the method
    and every setting that changes what is run (seeds and execution details excluded)."""
    settings = {k: v for k, v in spec.items() if k not in EXECUTION_FIELDS}
    return {"package": package, "package_version": package_version, "method": spec["method"],
            "settings": settings, "method_settings": method_settings, "weights": [round(w, 6) for w in weights]}


def identity_id(identity: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]


def entry_identity_id(identity: dict[str, Any]) -> str:
    """Protocol 3's entry: the identity without the weights, so that an entry's runs from each w of W are one."""
    settings = {k: v for k, v in identity.get("settings", {}).items() if k != "weights"}
    return identity_id({**{k: v for k, v in identity.items() if k != "weights"}, "settings": settings})
