"""Settings dataclasses: each setting is declared once, with its default, help text and accepted range.

The command line (``morlbench run`` flags), suite and config files, ``--method-opt`` / ``--task-opt`` and the
validation before a run starts all read these declarations, so a setting cannot have a flag that drifts from
its default or a range that one entry point checks and another does not. Nothing here imports torch.
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Union

from morlbench.errors import UsageError

LARGEST_INT = 2**31 - 1


@dataclass(frozen=True)
class Range:
    """What a setting accepts: bounds (inclusive unless ``open_low``), a list of choices, or empty strings."""

    low: float | None = None
    high: float | None = None
    open_low: bool = False
    choices: tuple[str, ...] = ()
    allow_empty: bool = False

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        low = "" if self.low is None else f"{'>' if self.open_low else '>='} {self.low:g}"
        high = "" if self.high is None else f"<= {self.high:g}"
        return " and ".join(p for p in (low, high) if p) or "any value"


def setting(default: Any = dataclasses.MISSING, help: str = "", *, low: float | None = None,
            high: float | None = None, open_low: bool = False, choices: tuple[str, ...] = (),
            allow_empty: bool = False, group: str = "settings", factory: Callable[[], Any] | None = None) -> Any:
    """A dataclass field with its help text and accepted range."""
    meta = {"help": help, "range": Range(low, high, open_low, choices, allow_empty), "group": group}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


# -- types ----------------------------------------------------------------------------------------------------


@cache
def field_types(cls: type) -> dict[str, Any]:
    """Resolved annotations of a settings dataclass (they are strings under ``from __future__ import annotations``)."""
    return typing.get_type_hints(cls)


def _is_optional(hint: Any) -> tuple[bool, Any]:
    if typing.get_origin(hint) in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            return True, args[0]
    return False, hint


def type_name(hint: Any) -> str:
    optional, inner = _is_optional(hint)
    origin = typing.get_origin(inner)
    if origin in (list, tuple):
        name = f"comma-separated {typing.get_args(inner)[0].__name__}s"
    elif dataclasses.is_dataclass(inner):
        name = "a table of settings"
    else:
        name = getattr(inner, "__name__", str(inner))
    return f"{name} or none" if optional else name


def convert(raw: Any, hint: Any, what: str) -> Any:
    """``raw`` (a string from the command line, or a value from TOML/JSON) as a value of type ``hint``."""
    optional, inner = _is_optional(hint)
    if raw is None or (optional and isinstance(raw, str) and raw.strip().lower() == "none"):
        return None
    origin = typing.get_origin(inner)
    try:
        if origin in (list, tuple):
            (item,) = set(typing.get_args(inner)) - {Ellipsis}
            if not isinstance(raw, (str, list, tuple)):
                return raw  # checked by validate()
            items = [v for v in raw.split(",") if v.strip()] if isinstance(raw, str) else list(raw)
            try:
                values = [convert(v.strip() if isinstance(v, str) else v, item, what) for v in items]
            except UsageError:
                raise UsageError(f"{what} {raw!r}: expected comma-separated {item.__name__}s, e.g. "
                                 f"{'0.5,0.25,0.25' if item is float else 'a,b'}") from None
            return tuple(values) if origin is tuple else values
        if not isinstance(raw, str):
            return raw  # checked by validate(): TOML and JSON values already have their types
        if inner is bool:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if inner is int:
            return int(raw)
        if inner is float:
            return float(raw)
    except UsageError:
        raise
    except (ValueError, TypeError):
        raise UsageError(f"{what}: {raw!r} is not a valid {type_name(hint)}") from None
    return raw


# -- validation -----------------------------------------------------------------------------------------------


def _number_problem(value: Any, kind: type, rng: Range) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
        return "expected a whole number" if kind is int else "expected a number"
    high = rng.high if rng.high is not None else (LARGEST_INT if kind is int else None)
    bounds = Range(rng.low, high, rng.open_low).describe()
    if not math.isfinite(value):
        return f"expected a finite number, {bounds}"
    too_low = rng.low is not None and (value <= rng.low if rng.open_low else value < rng.low)
    if too_low or (high is not None and value > high):
        return f"must be {bounds}"
    return None


def problem(value: Any, hint: Any, rng: Range) -> str | None:
    """Why ``value`` is not of type ``hint`` inside ``rng``, or None when it is."""
    optional, inner = _is_optional(hint)
    if value is None:
        return None if optional else f"a value is required ({type_name(hint)})"
    origin = typing.get_origin(inner)
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)) or not value:
            return f"expected {type_name(hint)}, at least one"
        (item,) = set(typing.get_args(inner)) - {Ellipsis}
        reasons = [r for r in (problem(v, item, rng) for v in value) if r]
        if not reasons:
            return None
        return f"every value {reasons[0]}" if reasons[0].startswith("must") else f"each value: {reasons[0]}"
    if origin is dict:
        return None if isinstance(value, dict) else "expected a table of key = value settings"
    if inner is bool:
        return None if isinstance(value, bool) else "expected true or false"
    if inner in (int, float):
        return _number_problem(value, inner, rng)
    if inner is str:
        if not isinstance(value, str):
            return "expected a string"
        if not value.strip() and not rng.allow_empty:
            return "must not be empty"
        if rng.choices and value not in rng.choices:
            return f"not one of {', '.join(rng.choices)}"
    return None


def check_value(value: Any, hint: Any, rng: Range, what: str) -> None:
    """One-line UsageError when ``value`` is not of type ``hint`` inside ``rng``."""
    _, inner = _is_optional(hint)
    if dataclasses.is_dataclass(inner) and value is not None:
        validate(value)
        return
    reason = problem(value, hint, rng)
    if reason:
        shown = "" if isinstance(value, str) and not value.strip() else f" {value!r}"
        raise UsageError(f"{what}{shown}: {reason}")


def validate(settings: Any, name_of: Callable[[str], str] | None = None) -> None:
    """Check every declared field of a settings dataclass against its type and range, then its own ``validate``
    hook (for rules that relate several fields)."""
    name_of = name_of or getattr(settings, "setting_name", None) or (lambda name: name)
    hints = field_types(type(settings))
    for f in dataclasses.fields(settings):
        rng = f.metadata.get("range", Range())
        check_value(getattr(settings, f.name), hints[f.name], rng, name_of(f.name))
    hook = getattr(settings, "validate", None)
    if hook is not None:
        hook()


def settings_from_options(settings_cls: type, options: dict[str, Any], owner: str) -> Any:
    """Build and validate a settings dataclass from ``key=value`` options (strings converted to the field's type)."""
    known = {f.name: f for f in dataclasses.fields(settings_cls)}
    hints = field_types(settings_cls)
    values: dict[str, Any] = {}
    for key, raw in options.items():
        if key not in known:
            accepted = ", ".join(sorted(known)) or "none"
            raise UsageError(f"unknown setting {key!r} for {owner}; accepted: {accepted}")
        values[key] = convert(raw, hints[key], f"{owner} setting {key}")
    settings = settings_cls(**values)
    validate(settings, lambda name: f"{owner} setting {name}")
    return settings


def describe_settings(settings_cls: type) -> list[tuple[str, str, Any, str]]:
    """(name, type, default, help and range) of every field, for ``morlbench list`` and the docs."""
    hints = field_types(settings_cls)
    rows = []
    for f in dataclasses.fields(settings_cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        rng = f.metadata.get("range", Range())
        accepted = "" if rng.describe() == "any value" else f" ({rng.describe()})"
        rows.append((f.name, type_name(hints[f.name]), default, f.metadata.get("help", "") + accepted))
    return rows
