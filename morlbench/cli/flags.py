"""``morlbench run`` flags, generated from the RunSpec and EngineSettings declarations (one help text, one
default and one range per setting), and the RunSpec they build."""
from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from morlbench.errors import UsageError
from morlbench.run.tracking import TRACKERS
from morlbench.settings import convert, field_types
from morlbench.spec import EngineSettings, RunSpec

GROUPS = {"run": "what runs", "budget": "budget", "evaluation": "evaluation", "optimisation": "optimisation",
          "machine": "machine"}
OPTION_FIELDS = {"task_options": "--task-opt", "method_options": "--method-opt"}
ENGINE = "engine."


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _default_text(value: Any) -> str:
    if value is None:
        return "the task's or method's own"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _add_fields(groups: dict[str, argparse._ArgumentGroup], cls: type, prefix: str) -> None:
    defaults = cls()
    for f in dataclasses.fields(cls):
        if f.name in OPTION_FIELDS or f.name == "engine":
            continue
        meta = f.metadata
        group = groups[meta.get("group", "run")]
        default = getattr(defaults, f.name)
        rng = meta.get("range")
        choices = f"; one of {', '.join(rng.choices)}" if rng is not None and rng.choices else ""
        text = f"{meta.get('help', '')}{choices} (default {_default_text(default)})".replace("%", "%%")
        if isinstance(default, bool):
            group.add_argument(flag(f.name), dest=prefix + f.name, action=argparse.BooleanOptionalAction,
                               default=argparse.SUPPRESS, help=text)
        else:
            group.add_argument(flag(f.name), dest=prefix + f.name, default=argparse.SUPPRESS, metavar="X",
                               help=text)


def add_run_arguments(p: argparse.ArgumentParser) -> None:
    """Every RunSpec and EngineSettings field as a flag, plus the run's own options."""
    groups = {key: p.add_argument_group(title) for key, title in GROUPS.items()}
    _add_fields(groups, RunSpec, "")
    _add_fields(groups, EngineSettings, ENGINE)
    run = groups["run"]
    run.add_argument("--data", default=None, help="task data: a hub id or a local directory (math tasks; same as "
                     "--task-opt data=...)")
    run.add_argument("--task-opt", action="append", metavar="KEY=VALUE", help="task setting (repeatable; "
                     "`morlbench list tasks -v` shows them)")
    run.add_argument("--method-opt", action="append", metavar="KEY=VALUE", help="method setting (repeatable; "
                     "`morlbench list methods -v` shows them)")
    out = p.add_argument_group("output")
    out.add_argument("--config", type=Path, default=None, metavar="RUN.toml", help="settings from a run file (the "
                     "keys of a suite entry, docs/suites.md); flags given beside it override it")
    out.add_argument("--out", type=str, default=None, help="run directory (default runs/TASK-METHOD-seedS)")
    out.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    out.add_argument("--no-progress", action="store_true", help="no progress bar")
    out.add_argument("--log-to", action="append", default=[], choices=TRACKERS,
                     help="experiment tracking (repeatable; pip install 'morlbench[tracking]'): TensorBoard event "
                     "files in RUN/tensorboard, or a W&B run (WANDB_MODE=offline keeps it in RUN/wandb)")


def key_values(pairs: Sequence[str] | None, option: str) -> dict[str, str]:
    options = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} {pair!r}: expected key=value")
        options[key.strip()] = value.strip()
    return options


def spec_fields_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The RunSpec fields given on the command line (converted to their types), nothing else."""
    given = vars(args)
    run_types, engine_types = field_types(RunSpec), field_types(EngineSettings)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(RunSpec):
        if f.name in given and f.name not in OPTION_FIELDS:
            fields[f.name] = convert(given[f.name], run_types[f.name], flag(f.name))
    engine = {f.name: convert(given[ENGINE + f.name], engine_types[f.name], flag(f.name))
              for f in dataclasses.fields(EngineSettings) if ENGINE + f.name in given}
    if engine:
        fields["engine"] = engine
    task_options = key_values(given.get("task_opt"), "--task-opt")
    if given.get("data") is not None:
        task_options = {"data": given["data"], **task_options}
    if task_options:
        fields["task_options"] = task_options
    method_options = key_values(given.get("method_opt"), "--method-opt")
    if method_options:
        fields["method_options"] = method_options
    return fields


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` on top of ``base``; tables (engine, task and method options) are merged key by key."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def spec_from_args(args: argparse.Namespace, base: dict[str, Any] | None = None) -> RunSpec:
    """The RunSpec of ``morlbench run``: defaults, then ``base`` (a config file), then the flags."""
    from morlbench.run.resolve import with_model_defaults

    spec = RunSpec.from_dict(with_model_defaults(merge(base or {}, spec_fields_from_args(args))))
    spec.check()
    return spec
