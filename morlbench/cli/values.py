"""The values of the commands' own flags (those outside the run's settings), each declared once with what it accepts
and checked before a command does anything: one line naming the flag, the value and what is accepted.

The run's settings (``morlbench run`` flags, suite and run files) are declared in ``morlbench.spec`` and checked by
``morlbench.settings``; where a flag here means the same thing as a setting (a seed, a batch, a generation limit,
a temperature), it takes that setting's declared range.
"""
from __future__ import annotations

import argparse
import dataclasses
import math
from pathlib import Path
from typing import Any

from morlbench.errors import UsageError
from morlbench.settings import Range, check_value
from morlbench.spec import EngineSettings, RunSpec

DIRECTORY, FILE = "directory", "file"


def declared(cls: type, name: str) -> Range:
    """The accepted range a settings dataclass declares for its field ``name``."""
    return next(f.metadata["range"] for f in dataclasses.fields(cls) if f.name == name)


def _numbers() -> dict[str, dict[str, tuple[Any, Range]]]:
    seed = (int, declared(RunSpec, "seed"))
    return {
        "sweep": {"jobs": (int, Range(1, 1024))},
        "tune": {"jobs": (int, Range(1, 1024))},
        "challenge": {"jobs": (int, Range(1, 1024)), "seeds": (int | None, Range(1, 100_000))},
        "report": {"hv_ref": (float | None, Range(0, 1, open_low=True))},  # HV of points in [0, 1]^K is at most 1
        "generate": {"n": (int, Range(1, 100_000)), "seed": seed,
                     "max_new_tokens": (int | None, declared(RunSpec, "max_new_tokens"))},
        "probe": {"batches": (int, Range(1, 10_000)), "seed": seed,
                  "prompts_per_step": (int, declared(RunSpec, "prompts_per_step")),
                  "group_size": (int, declared(RunSpec, "group_size"))},
        "pretrain": {"steps": (int | None, Range(1, 10_000_000)), "seed": seed,
                     "threads": (int, declared(RunSpec, "threads"))},
    }


# Where each command writes: a directory, or a file (``argparse`` hands them over as strings: '' must not become '.').
PATHS = {"run": {"out": DIRECTORY}, "sweep": {"out": DIRECTORY}, "tune": {"out": DIRECTORY},
         "challenge": {"out": DIRECTORY, "results": DIRECTORY}, "submit": {"to": DIRECTORY},
         "leaderboard": {"out": DIRECTORY, "results": DIRECTORY}, "report": {"out": DIRECTORY},
         "pretrain": {"out": DIRECTORY}, "probe": {"out": FILE}, "reference": {"out": FILE},
         "verify": {"results": DIRECTORY}}


def output_path(text: str, flag: str, kind: str) -> Path:
    """A place to write a ``kind`` (directory or file): given, and nothing else of the other kind already there."""
    if not text.strip():
        raise UsageError(f"{flag} '': expected a path (an empty one would mean the current directory)")
    path = Path(text)
    if kind == DIRECTORY and path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {text}: exists and is not a directory; expected a directory to write into")
    if kind == FILE and (path.is_dir() or path.exists() and not path.is_file()):
        raise UsageError(f"{flag} {text}: exists and is not a regular file; expected a file to write")
    above = next((p for p in path.absolute().parents if p.exists()), None)
    if above is not None and not path.exists() and not above.is_dir():
        raise UsageError(f"{flag} {text}: {above} is not a directory; it cannot hold the output")
    return path


def check_temperature(value: float) -> None:
    """0 decodes greedily; any other temperature is a sampling temperature, in the range training accepts."""
    if isinstance(value, float) and math.isfinite(value) and value == 0:
        return
    try:
        check_value(value, float, declared(EngineSettings, "temperature"), "--temperature")
    except UsageError as exc:
        raise UsageError(f"{exc}, or 0 to decode greedily") from None


def check_values(args: argparse.Namespace) -> None:
    """Every declared value of ``args``' command, checked; output paths turned into ``Path``s."""
    command = args.command
    for name, (hint, rng) in _numbers().get(command, {}).items():
        check_value(getattr(args, name), hint, rng, "--" + name.replace("_", "-"))
    if command == "generate":
        check_temperature(args.temperature)
    for name, kind in PATHS.get(command, {}).items():
        value = getattr(args, name, None)
        if isinstance(value, str):
            setattr(args, name, output_path(value, "--" + name, kind))
