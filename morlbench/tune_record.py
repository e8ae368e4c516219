"""The tuning record of a suite (SUITE.tuning.json, written by ``morlbench tune``): the search a suite's ``[tune]``
table names, the search each entry gets, and the value chosen for each (docs/suites.md). Read when a suite is
loaded, so that ``morlbench sweep`` runs each entry at its chosen value."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib

from morlbench.errors import UsageError

TUNE_KEYS = {"setting", "values", "seeds"}


@dataclass(frozen=True)
class Search:
    setting: str
    values: list[Any]
    seeds: list[int]


def record_path(suite_path: Path) -> Path:
    return suite_path.with_name(suite_path.stem + ".tuning.json")


def suite_search(data: dict[str, Any], path: Path) -> Search | None:
    table = data.get("tune")
    if table is None:
        return None
    if not isinstance(table, dict) or set(table) != TUNE_KEYS:
        raise UsageError(f"suite {path} [tune]: expected exactly the keys {', '.join(sorted(TUNE_KEYS))}")
    seeds, values = table["seeds"], table["values"]
    if not isinstance(values, list) or not values or len({json.dumps(v) for v in values}) != len(values):
        raise UsageError(f"suite {path} [tune] values {values!r}: a non-empty list of distinct values")
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                                           for s in seeds) or len(set(seeds)) != len(seeds):
        raise UsageError(f"suite {path} [tune] seeds {seeds!r}: distinct whole numbers >= 0")
    if set(seeds) & set(data["seeds"]):
        raise UsageError(f"suite {path} [tune] seeds {sorted(set(seeds) & set(data['seeds']))} are ranked seeds too; "
                         "tuning seeds must be disjoint from the suite's seeds")
    return Search(str(table["setting"]), values, seeds)


def entry_search(entry: dict[str, Any], search: Search, where: str) -> Search | None:
    """The search an entry gets: the suite's, another setting with as many values, or none (``tune = false``)."""
    own = entry.get("tune", True)
    if own is True:
        return search
    if own is False:
        return None
    if not isinstance(own, dict) or set(own) != {"setting", "values"} or not isinstance(own["values"], list) \
            or len(own["values"]) != len(search.values):
        raise UsageError(f"{where} tune: true, false, or {{setting, values}} with {len(search.values)} values (the "
                         "suite's search size: every entry gets as many candidates)")
    return Search(str(own["setting"]), own["values"], search.seeds)


def tuning_suite_of(data: dict[str, Any], path: Path) -> tuple[Path, dict[str, Any]] | None:
    """The suite whose search tunes this one (``tuned_by = "OTHER.toml"``, beside it), with its tables; None where the
    suite tunes itself or is not tuned."""
    other = data.get("tuned_by")
    if other is None:
        return None
    if "tune" in data:
        raise UsageError(f"suite {path}: a [tune] table and tuned_by = {other!r}; a suite has one search")
    source = path.parent / str(other)
    try:
        other_data = tomllib.loads(source.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise UsageError(f"suite {path} tuned_by = {other!r}: {source} is not a readable suite file") from None
    if source.resolve() == path.resolve() or not isinstance(other_data.get("tune"), dict) \
            or "tuned_by" in other_data or not isinstance(other_data.get("seeds"), list):
        raise UsageError(f"suite {path} tuned_by = {other!r}: {source} is not a suite with a [tune] table of its own")
    search = suite_search(other_data, source)
    model = [(d.get("settings") or {}).get("model") for d in (data, other_data)]
    if model[0] != model[1]:
        raise UsageError(f"suite {path} runs model {model[0] or 'the task default'} and {source} tuned model "
                         f"{model[1] or 'the task default'}: a value chosen for one model does not carry to another")
    shared = set(search.seeds) & set(data.get("seeds", []))
    if shared:
        raise UsageError(f"suite {path} ranks seeds {sorted(shared)} that {source} tuned on; tuning seeds must be "
                         "disjoint from the ranked seeds")
    return source, other_data


def _as_tuned(entry: dict[str, Any]) -> dict[str, Any]:
    """What makes two suites' entries the same entry: all but its weights (W may differ: the same entry at another
    number of objectives); ``tune = true`` is the default written out."""
    return {k: v for k, v in entry.items() if k != "weights" and not (k == "tune" and v is True)}


def borrowed_values(path: Path, source: Path, other_data: dict[str, Any]) -> Any:
    """Each entry at the value another suite's tuning chose for the same entry (same method, label, options,
    settings and search): for suites whose own search would cost more than their runs, e.g. the relationship
    variants of a task whose search is recorded."""
    chosen = chosen_values(source, other_data)
    others = [_as_tuned(e) for e in other_data.get("methods", []) if isinstance(e, dict)]

    def choices(label: str, entry: dict[str, Any]) -> list[tuple[str, str | None, Any]]:
        if _as_tuned(entry) not in others:
            raise UsageError(f"suite {path} method {label!r}: {source} has no entry with the same name, label, "
                             "options, settings and search, so its tuning chose nothing for it")
        return chosen(label, entry)
    return choices


def chosen_values(path: Path, data: dict[str, Any]) -> Any:
    """(label, entry) -> [("", setting, chosen value)] from the suite's tuning record (or, with ``tuned_by``, another
    suite's); every entry as configured for a suite without [tune]. A suite with [tune] and no record for a tuned
    entry is refused: the ranked runs' settings are not known before tuning."""
    borrowed = tuning_suite_of(data, path)
    if borrowed is not None:
        return borrowed_values(path, *borrowed)
    search = suite_search(data, path)
    if search is None:
        return lambda label, entry: [("", None, None)]
    record = record_path(path)
    try:
        entries = json.loads(record.read_text())["entries"]
    except (OSError, ValueError, KeyError, TypeError):
        entries = None

    def choices(label: str, entry: dict[str, Any]) -> list[tuple[str, str | None, Any]]:
        own = entry_search(entry, search, f"suite {path} method {label!r}")
        if own is None:
            return [("", None, None)]
        found = (entries or {}).get(label, {})
        if found.get("chosen") is None:
            raise UsageError(f"suite {path} tunes {label!r} and {record} holds no value chosen for it: run "
                             f"`morlbench tune {path}` first")
        if found.get("setting") != own.setting or found["chosen"] not in own.values:
            raise UsageError(f"{record}: {label!r} chose {found.get('setting')} = {found['chosen']!r}, not one of "
                             f"the suite's search ({own.setting} in {own.values}); rerun `morlbench tune {path}`")
        return [("", found["setting"], found["chosen"])]
    return choices
