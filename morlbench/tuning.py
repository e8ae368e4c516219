"""Equal tuning (protocol 3, docs/suites.md): one small search that every entry of a suite gets.

A suite's ``[tune]`` table names a setting (``lr``, ``engine.NAME``, ``method.NAME`` or a run setting), the values
to try and tuning seeds disjoint from the ranked seeds. ``morlbench tune SUITE`` runs every entry at every value on
the tuning seeds and chooses, per entry, the value with the highest mean delivered hypervolume on the selection
split (the report split is never looked at; of equal means, the first value listed). The choice is written beside
the suite file (SUITE.tuning.json, to be committed); ``morlbench sweep`` then runs each entry at its chosen value,
so the value is recorded in every ranked run's spec. A method entry may search another setting with as many
values (``tune = { setting = "method.reg", values = [...] }``) or none (``tune = false``: run as configured, e.g.
a method as its paper runs it); both are named in the record.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from morlbench.errors import UsageError
from morlbench.results.atomic import atomic_write_json
from morlbench.rundirs import TUNING_PREFIX
from morlbench.suite_file import Suite, _slug, expand, read_suite
from morlbench.tune_record import entry_search, record_path, suite_search


def tuning_suite(path: Path, root: Path | None) -> tuple[Suite, dict[tuple[str, str], tuple[str, Any]]]:
    """Every entry at every value of its search, on the tuning seeds, under ROOT/tuning; and each candidate's
    (setting, value) by (label, directory part)."""
    data = read_suite(path)
    search = suite_search(data, path)
    if search is None:
        if "tuned_by" in data:
            raise UsageError(f"suite {path} is tuned by {data['tuned_by']}: run `morlbench tune` on that suite")
        raise UsageError(f"suite {path} has no [tune] table: nothing to tune")
    candidates: dict[tuple[str, str], tuple[str, Any]] = {}

    def choices(label: str, entry: dict[str, Any]) -> list[tuple[str, str | None, Any]]:
        own = entry_search(entry, search, f"suite {path} method {label!r}")
        out = [] if own is None else [(f"{TUNING_PREFIX}{_slug(own.setting)}={_slug(v)}", own.setting, v)
                                      for v in own.values]
        candidates.update({(label, part): (setting, value) for part, setting, value in out})
        return out

    suite = expand(data, path, (root or Path("runs") / "sweeps" / _slug(data["name"])) / "tuning", search.seeds,
                   choices)
    suite.leaderboard = None  # tuning runs are never submitted
    return suite, candidates


def selection_hypervolume(run_dirs: list[Path]) -> float | None:
    """The delivered points' hypervolume on the selection split (the final evaluation's), for one entry seed; None
    while a run of it is unfinished (no report: failed, interrupted or not started), so its candidate has no mean."""
    from morlbench.compare.records import from_run_dir
    from morlbench.metrics.delivered import served_at, single_at
    from morlbench.metrics.pareto import hypervolume
    from morlbench.results.rundir import open_run

    if not all((directory / "report.json").is_file() for directory in run_dirs):
        return None
    points = []
    for directory in run_dirs:
        record = from_run_dir(open_run(directory))
        final = record.evals[-1] if record.evals else {}
        found = (served_at(final, record.preferences, "objectives") if record.serves
                 else [single_at(final, "objectives")])
        if not found or any(p is None for p in found):
            return None
        points += found
    return hypervolume(np.asarray(points))


def choose(suite: Suite, candidates: dict[tuple[str, str], tuple[str, Any]], path: Path) -> dict[str, Any]:
    """The record of the search: every candidate's selection hypervolume per tuning seed, and each entry's choice."""
    groups: dict[tuple[str, str], dict[int, list[Path]]] = defaultdict(lambda: defaultdict(list))
    for run in suite.runs:
        part = run.out.relative_to(suite.path).parts[2]  # TASK/LABEL/tune-SETTING=VALUE/...
        groups[(run.label, part)][run.spec.seed].append(run.out)
    entries: dict[str, Any] = {}
    for (label, part), by_seed in groups.items():
        setting, value = candidates[(label, part)]
        scores = {str(s): selection_hypervolume(dirs) for s, dirs in sorted(by_seed.items())}
        valid = [v for v in scores.values() if v is not None]
        entry = entries.setdefault(label, {"setting": setting, "candidates": []})
        entry["candidates"].append({"value": value, "by_seed": {s: None if v is None else round(v, 6)
                                                                 for s, v in scores.items()},
                                    "mean": round(float(np.mean(valid)), 6) if len(valid) == len(scores) else None})
    for entry in entries.values():
        complete = [c for c in entry["candidates"] if c["mean"] is not None]
        entry["chosen"] = max(complete, key=lambda c: c["mean"])["value"] if complete else None
    return {"suite": suite.name, "suite_file": path.name, "rule": "highest mean delivered hypervolume on the "
            "selection split over the tuning seeds; of equal means the first value listed", "entries": entries}


def write_record(path: Path, record: dict[str, Any]) -> Path:
    target = record_path(path)
    atomic_write_json(target, record)
    return target
