"""Settings dataclasses built from command-line ``key=value`` options."""
from __future__ import annotations

import dataclasses
from typing import Any

from morlbench.errors import UsageError


def settings_from_options(settings_cls: type, options: dict[str, Any], owner: str) -> Any:
    """Build a settings dataclass from ``key=value`` options, converting strings to the field's type."""
    known = {f.name: f for f in dataclasses.fields(settings_cls)}
    values: dict[str, Any] = {}
    for key, raw in options.items():
        if key not in known:
            accepted = ", ".join(sorted(known)) or "none"
            raise UsageError(f"unknown setting {key!r} for {owner}; accepted: {accepted}")
        default = getattr(settings_cls(), key)
        values[key] = _convert(raw, default, f"{owner} setting {key}")
    settings = settings_cls(**values)
    validate = getattr(settings, "validate", None)
    if validate is not None:
        validate()
    return settings


def _convert(raw: Any, default: Any, what: str) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        if isinstance(default, bool):
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise UsageError(f"{what}: {raw!r} is not a valid {type(default).__name__}") from None
    return raw

