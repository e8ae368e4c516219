"""Run files (``morlbench run --config run.toml``): one run's settings in TOML, with the keys of a suite entry.

Any RunSpec key may stand at the top level (``task``, ``seed``, ``engine = { lr = 1e-4 }``, ...); the tables
``[budget]`` and ``[settings]`` of a suite and a ``[method]`` table shaped like a suite's ``[[methods]]`` entry
(``name``, ``weights``, ``options``) are accepted too. Flags given beside ``--config`` override the file. Every
run directory stores its resolved ``run.toml``, so ``morlbench run --config RUN/run.toml --out NEW`` reruns it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli_w
import tomllib

from morlbench.errors import UsageError
from morlbench.results.atomic import atomic_write_text
from morlbench.spec import RunSpec

RUN_FILE = "run.toml"
METHOD_KEYS = {"name": "method", "weights": "weights", "options": "method_options"}


def load_run_file(path: Path) -> dict[str, Any]:
    """The RunSpec fields a run file sets (not yet checked: the flags go on top first)."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UsageError(f"--config {path}: no such file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"--config {path}: not a TOML file ({exc})") from None
    fields: dict[str, Any] = {}
    for table in ("budget", "settings"):
        section = data.pop(table, {})
        if not isinstance(section, dict):
            raise UsageError(f"--config {path}: [{table}] must be a table")
        fields.update(section)
    method = data.pop("method", None)
    if isinstance(method, dict):
        unknown = sorted(set(method) - set(METHOD_KEYS))
        if unknown:
            raise UsageError(f"--config {path}: unknown key {unknown[0]!r} in [method]; accepted: name, weights, "
                             "options")
        fields.update({METHOD_KEYS[k]: v for k, v in method.items()})
    elif method is not None:
        fields["method"] = method
    fields.update(data)
    RunSpec.from_dict(fields)  # unknown keys are named here, with the accepted ones
    return fields


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    return value


def write_run_file(spec: RunSpec, path: Path) -> None:
    """The resolved settings, every field (None, "the task's or method's own", is left out: TOML has no null)."""
    header = "# The resolved settings of this run: `morlbench run --config run.toml --out NEW` runs it again.\n"
    atomic_write_text(path, header + tomli_w.dumps(_without_none(spec.to_dict())))
