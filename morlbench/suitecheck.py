"""Rules a suite file must keep beyond each run's settings (``morlbench.sweep.load_suite`` applies them): seeds are
distinct whole numbers in the seed setting's range, and every planned run gets a directory of its own inside the
suite's directory (two runs in one directory would mix their records; a label such as ``..`` would leave it)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from morlbench.errors import UsageError
from morlbench.settings import problem
from morlbench.spec import RunSpec


def checked_seeds(seeds: Any, where: str) -> list[int]:
    """The suite's seeds: a non-empty list of distinct whole numbers, each one the run's ``seed`` setting accepts."""
    if not isinstance(seeds, list) or not seeds:
        raise UsageError(f"{where}: seeds must be a non-empty list of whole numbers, e.g. [0, 1, 2]")
    for seed in seeds:
        why = problem(seed, int, RunSpec.__dataclass_fields__["seed"].metadata["range"])
        if why:
            raise UsageError(f"{where}: seed {seed!r}: {why}")
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise UsageError(f"{where}: seed {repeated[0]} is listed twice; each seed runs once")
    return seeds


def check_directories(root: Path, outs: list[Path], where: str) -> None:
    """Every run's directory is its own, ROOT/TASK/LABEL/[tune-VALUE/][wWEIGHTS/]seedS inside the suite's
    directory ``root``."""
    seen: set[Path] = set()
    for out in outs:
        below = out.relative_to(root).parts  # a '.' label vanishes from the path, a '..' climbs out
        if not 3 <= len(below) <= 5 or not below[-1].startswith("seed") or any(part in ("", ".", "..")
                                                                             for part in below):
            raise UsageError(f"{where}: the run directory {out} would leave the suite's directory {root}; use "
                             "labels and names of letters, digits and . _ = -")
        resolved = out.resolve()
        if resolved in seen:
            raise UsageError(f"{where}: two runs would share the directory {out}; give them distinct labels, tasks "
                             "or seeds")
        seen.add(resolved)


def checked_name(slug: str, where: str) -> str:
    """The suite's name as a directory name (runs/sweeps/NAME): one that stays in runs/sweeps."""
    if slug in ("", ".", ".."):
        raise UsageError(f"{where}: the suite's name {slug!r} cannot name its directory in runs/sweeps; use letters, "
                         "digits and . _ = -")
    return slug
