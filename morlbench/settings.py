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



_RULES = {
    "at least 1": (lambda v: v >= 1, "must be at least 1"),
    "positive": (lambda v: v > 0, "must be positive"),
    "not negative": (lambda v: v >= 0, "must not be negative"),
}


def require(settings: Any, rule: str, *names: str, prefix: str = "") -> None:
    """One-line UsageError for the first of ``names`` whose value breaks ``rule`` (a key of ``_RULES``)."""
    ok, words = _RULES[rule]
    for name in names:
        value = getattr(settings, name)
        if not ok(value):
            raise UsageError(f"{prefix}{name}={value} {words}")
