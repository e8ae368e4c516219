"""Registries of tasks, methods, metrics, models, extra objectives and backends, filled only from entry points.

Built-ins are declared in morlbench's own ``pyproject.toml`` under the same groups as plugins, so a plugin
is looked up, listed and loaded exactly like a built-in.
"""
from __future__ import annotations

import difflib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from types import FrameType, TracebackType
from typing import Any

from morlbench.errors import UsageError
from morlbench.isolation import PluginError, one_line, plugin_error, sent_by_user

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


# -- which entry point's code raised: plugin code that tries to end the program (morlbench/isolation.py) --------


def _frames(tb: TracebackType | None) -> list[FrameType]:
    """A traceback's frames, innermost first."""
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames[::-1]


def culprit(exc: BaseException) -> str | None:
    """The plugin entry point whose code raised ``exc``: walking out from where it was raised, a frame of a plugin
    distribution's code met before any of morlbench's own (the entry whose object that code belongs to, else the
    first of its module, else of its package); None when morlbench's code comes first (an interruption morlbench
    raised itself, or its own failure) or no plugin is involved."""
    plugins = [(f"{kind[:-1]} {e.name!r} (from {e.package})", e) for kind in KINDS for e in entries(kind)
               if e.package != "morlbench" and e.module]
    for frame in _frames(exc.__traceback__):
        module = str(frame.f_globals.get("__name__", ""))
        top = module.split(".")[0]
        if top == "morlbench":
            return None
        mine = [(who, entry) for who, entry in plugins if entry.module.split(".")[0] == top]
        if mine:
            owner = frame.f_locals.get("self", frame.f_locals.get("cls"))
            kind = owner if isinstance(owner, type) else type(owner)
            exact = [who for who, entry in mine if owner is not None and entry.value is kind]
            same_module = [who for who, entry in mine if entry.module == module]
            return (exact or same_module or [mine[0][0]])[0]
    return None


def plugin_failure(exc: BaseException) -> PluginError | None:
    """``exc`` as a one-line error when a plugin's code raised it and it would end the program; else None."""
    if isinstance(exc, Exception) or sent_by_user(exc):
        return None
    who = culprit(exc)
    return None if who is None else plugin_error(exc, who)


@contextmanager
def contained() -> Iterator[None]:
    """Run code that calls plugins somewhere below; what a plugin raised that would end the program becomes a
    ``PluginError`` naming its entry point (found in the traceback)."""
    try:
        yield
    except BaseException as exc:
        failure = plugin_failure(exc)
        if failure is None:
            raise
        raise failure from None
