"""Registries of tasks, methods, metrics, models, extra objectives and backends, filled only from entry points.

Built-ins are declared in morlbench's own ``pyproject.toml`` under the same groups as plugins, so a plugin
is looked up, listed and loaded exactly like a built-in.
"""
from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from morlbench.errors import UsageError
from morlbench.isolation import one_line, sent_by_user

KINDS = ("tasks", "methods", "metrics", "models", "objectives", "backends")


@dataclass(frozen=True)
class Entry:
    name: str
    package: str
    value: Any = None
    error: str | None = None
    module: str = ""  # where the entry point's object lives (``pkg.module``): names a plugin in tracebacks

    @property
    def description(self) -> str:
        if self.error:
            return f"FAILED TO LOAD: {self.error}"
        return str(getattr(self.value, "description", "")).strip().splitlines()[0] if self.value else ""


def _package_of(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.name if dist is not None else "?"


def _load(ep: EntryPoint) -> Entry:
    """The entry point's object, or why it failed to import, on one line. Whatever the plugin raises at import
    (SystemExit included) stays with its entry: a broken plugin must not break the others or the built-ins."""
    try:
        return Entry(ep.name, _package_of(ep), value=ep.load(), module=ep.module)
    except BaseException as exc:
        if sent_by_user(exc):
            raise
        return Entry(ep.name, _package_of(ep), error=f"{type(exc).__name__}: {one_line(str(exc))}", module=ep.module)


@cache
def entries(kind: str) -> tuple[Entry, ...]:
    """Every entry point of ``morlbench.<kind>``, loaded; failures are kept with their error."""
    if kind not in KINDS:
        raise UsageError(f"unknown registry {kind!r}; accepted: {', '.join(KINDS)}")
    found: dict[str, Entry] = {}
    # Built-ins first, then distributions by name: a name already held is refused for the newcomer, which is
    # never imported, so a plugin cannot replace a built-in or another plugin's entry.
    ordered = sorted(entry_points(group=f"morlbench.{kind}"),
                     key=lambda e: (e.name, _package_of(e) != "morlbench", _package_of(e)))
    for ep in ordered:
        if ep.name in found:
            if _package_of(ep) != found[ep.name].package:
                print(f"morlbench: warning: {kind[:-1]} {ep.name!r} from {_package_of(ep)} refused: the name is "
                      f"already registered by {found[ep.name].package}", file=sys.stderr)
            continue
        entry = _load(ep)
        found[ep.name] = entry
        if entry.error:
            _warn(kind, entry)
    return tuple(found.values())


def _warn(kind: str, entry: Entry) -> None:
    print(f"morlbench: warning: {kind[:-1]} plugin {entry.name!r} from {entry.package} failed: {entry.error}",
          file=sys.stderr)


def lookup(kind: str, name: str) -> Any:
    """The registered object called ``name``; unknown names raise with the closest registered names."""
    available = {e.name: e for e in entries(kind)}
    entry = available.get(name)
    if entry is None:
        close = difflib.get_close_matches(name, list(available), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else f"registered: {', '.join(available) or 'none'}"
        raise UsageError(f"unknown {kind[:-1]} {name!r}; {hint}")
    if entry.error:
        raise UsageError(f"{kind[:-1]} {name!r} from {entry.package} failed to load: {entry.error}")
    return entry.value


def names(kind: str) -> list[str]:
    return [e.name for e in entries(kind) if not e.error]
