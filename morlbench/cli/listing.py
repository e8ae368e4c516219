"""``morlbench list [KIND] [-v]``: registered entries with their source package and description; with ``-v``, what
each entry can be told (a method's or task's settings with default, accepted range and help; a method's declared
capabilities; a metric's kind and direction). Imports no torch: listing stays fast."""
from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from morlbench import registry
from morlbench.settings import describe_settings


def cmd_list(args: argparse.Namespace) -> int:
    kinds = [args.kind] if args.kind else list(registry.KINDS)
    for kind in kinds:
        rows = registry.entries(kind)
        print(f"{kind}:")
        width = max([len(e.name) for e in rows] + [4])
        pwidth = max([len(e.package) for e in rows] + [7])
        for entry in rows:
            print(f"  {entry.name:<{width}}  {entry.package:<{pwidth}}  {entry.description}{_extra(kind, entry)}")
            if args.verbose and not entry.error:
                for line in details(kind, entry.value):
                    print(f"      {line}")
        if not rows:
            print("  (none registered)")
    return 0


def _extra(kind: str, entry: registry.Entry) -> str:
    """Version and split sizes of a task, so `list tasks` tells what a result would be compared on; a model's
    measured card (its starting objectives), where it has one."""
    from morlbench.isolation import guarded

    if kind == "models" and not entry.error and hasattr(entry.value, "card"):
        try:
            return _card_text(entry.value.card())
        except Exception as exc:  # its base model is not installed here: the listing goes on
            return f"  [unavailable: {str(exc).splitlines()[0]}]"
    if kind != "tasks" or entry.error:
        return ""
    try:
        with guarded(f"task {entry.name!r} (from {entry.package})"):  # even one that calls sys.exit
            task = entry.value()
        sizes = ", ".join(f"{k} {v}" for k, v in task.split_sizes().items())
        return f"  [version {task.version}; {sizes}]"
    except Exception as exc:  # a task that cannot build its splits here still lists
        return f"  [unavailable: {exc}]"


def _card_text(card: dict[str, Any] | None) -> str:
    if card is None:
        return "  [not built yet]"
    start = card["eval"]
    names = ", ".join(f"{n} {v:.3f}" for n, v in zip(start["objective_names"], start["objectives"]))
    return f"  [reference build; step 0 on {start['split']} ({start['problems']} problems, greedy): {names}]"


def details(kind: str, value: Any) -> list[str]:
    """The lines ``-v`` adds under an entry."""
    lines = []
    if kind == "methods":
        declared = [f.name for f in dataclasses.fields(value.declares)
                    if getattr(value.declares, f.name) != f.default]
        lines.append("capabilities: " + (", ".join(declared) or "none declared (the defaults)"))
    if kind == "metrics":
        direction = {True: "higher is better", False: "lower is better", None: "neither higher nor lower is better"}
        lines.append(f"kind {value.kind}; {direction.get(value.higher_is_better, value.higher_is_better)}")
    settings = getattr(value, "Settings", None)
    if settings is not None and dataclasses.is_dataclass(settings):
        option = {"methods": "--method-opt", "tasks": "--task-opt"}.get(kind, "option")
        rows = describe_settings(settings)
        lines.append(f"settings ({option} NAME=VALUE):" if rows else "settings: none")
        width = max([len(f"{name} = {_shown(default)}") for name, _, default, _ in rows] + [0])
        for name, type_text, default, text in rows:
            lines.append(f"  {f'{name} = {_shown(default)}':<{width}}  [{type_text}] {text}")
    elif kind in ("methods", "tasks"):
        lines.append("settings: none")
    return lines


def _shown(default: Any) -> str:
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, str):
        return repr(default)
    if isinstance(default, (list, tuple)):
        return ",".join(str(v) for v in default) or "(empty)"
    return str(default)
