"""Suite files (docs/suites.md): tasks x methods x method settings x seeds under one budget, parsed and expanded
into planned runs, every one validated before anything runs. Protocol 3: a single-policy method without listed
weights runs once from each preference of W; a suite's ``[tune]`` table names the search every entry gets
(``morlbench.tuning``), and the values it chose are applied here."""
from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib

from morlbench.errors import UsageError
from morlbench.run.resolve import with_model_defaults
from morlbench.rundirs import TUNING_PREFIX, is_weights_dir
from morlbench.spec import RunSpec
from morlbench.suitecheck import check_directories, checked_name, checked_seeds
from morlbench.tune_record import chosen_values

SPEC_FIELDS = {f.name for f in dataclasses.fields(RunSpec)} - {"task", "method", "seed", "method_options"}
BUDGET_FIELDS = ("steps", "prompts_per_step", "group_size")
TOP_LEVEL = {"name", "description", "tasks", "seeds", "budget", "settings", "methods", "leaderboard", "tune",
             "tuned_by"}
METHOD_KEYS = {"name", "label", "weights", "options", "grid", "tune", "settings"}


@dataclass(frozen=True)
class PlannedRun:
    label: str  # method label plus the grid values that distinguish it
    spec: RunSpec
    out: Path


@dataclass
class Suite:
    name: str
    path: Path
    runs: list[PlannedRun]
    leaderboard: Path | None = None  # where finished runs' result files go (morlbench submit), if anywhere


def _slug(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "-".join(_slug(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return re.sub(r"[^A-Za-z0-9.=_-]+", "", str(value))


def _require_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r}; accepted: {', '.join(sorted(allowed))}")


def _method_variants(entry: dict[str, Any], where: str, preference_set: Any
                     ) -> list[tuple[str, str | None, dict[str, Any], dict[str, Any]]]:
    """(label suffix, weights directory or None, RunSpec overrides, method options) for every grid combination x
    starting weights: the ``weights`` listed, else for a single-policy method each preference of W (protocol 3:
    a single-policy entry delivers one final policy per w); a preference-serving method runs once."""
    _require_keys(entry, METHOD_KEYS, where)
    weights = entry.get("weights")
    if weights is not None and (not isinstance(weights, list) or not all(isinstance(w, list) for w in weights)):
        raise UsageError(f"{where}: weights must be a list of weight vectors, e.g. [[0.5, 0.5], [0.8, 0.2]]")
    grid = entry.get("grid", {})
    if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
        raise UsageError(f"{where}: every grid value must be a non-empty list of settings to try")
    base_options = dict(entry.get("options", {}))
    own = entry.get("settings", {})  # run settings of this entry alone, e.g. its estimator
    if not isinstance(own, dict):
        raise UsageError(f"{where}: settings must be a table of run settings, e.g. {{ estimator = \"rloo\" }}")
    _require_keys(own, SPEC_FIELDS - set(BUDGET_FIELDS) - {"preferences", "eval_every"}, f"{where} settings")
    variants = []
    for combo in itertools.product(*grid.values()) if grid else [()]:
        options = {**base_options, **dict(zip(grid, combo))}
        suffix = "_".join(f"{k}={_slug(v)}" for k, v in zip(grid, combo))
        starts = weights if weights is not None else preference_set(entry["name"], options)
        for w in starts or [None]:
            variants.append((suffix, None if w is None else f"w{_slug(list(w))}",
                             {**own, **({} if w is None else {"weights": list(w)})}, options))
    return variants


def preference_starts(task: str, settings: dict[str, Any]) -> Any:
    """For a method (name, options): W's vectors when it trains one policy, None when it serves preferences."""
    from morlbench import registry
    from morlbench.preferences import parse_preferences

    def starts(method: str, options: dict[str, Any]) -> list[tuple[float, ...]] | None:
        try:
            serves = registry.lookup("methods", method).from_options(options).capabilities().serves_preferences
            objectives = settings.get("objectives") or registry.lookup("tasks", task).from_options(
                dict(settings.get("task_options", {}))).objective_names
        except UsageError:
            return None  # the run's own validation names the problem
        return None if serves else list(parse_preferences(settings.get("preferences"), len(objectives)))
    return starts


def read_suite(path: Path) -> dict[str, Any]:
    """The suite file's tables, their keys checked."""
    if not path.is_file():
        raise UsageError(f"suite file {path} does not exist")
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"suite file {path}: not valid TOML ({exc})") from None
    _require_keys(data, TOP_LEVEL, f"suite {path}")
    for key in ("name", "tasks", "seeds", "budget", "methods"):
        if key not in data:
            raise UsageError(f"suite {path}: missing {key!r}")
    checked_seeds(data["seeds"], f"suite {path}")
    budget, settings = data["budget"], data.get("settings", {})
    missing = [k for k in BUDGET_FIELDS if k not in budget]
    if missing:
        raise UsageError(f"suite {path}: [budget] must fix {', '.join(BUDGET_FIELDS)} (missing {missing[0]})")
    _require_keys(budget, SPEC_FIELDS, f"suite {path} [budget]")
    _require_keys(settings, SPEC_FIELDS - set(BUDGET_FIELDS), f"suite {path} [settings]")
    return data


# (directory part, setting, value) of one searched value: "" and None for the entry's own settings.
Choice = tuple[str, str | None, Any]


def load_suite(path: Path, root: Path | None = None) -> Suite:
    """Parse and expand a suite file; every run's spec is validated before anything runs. A suite with a [tune]
    table runs each entry at the value its tuning chose (``morlbench tune``)."""
    data = read_suite(path)
    root = root or Path("runs") / "sweeps" / checked_name(_slug(data["name"]), f"suite {path}")
    return expand(data, path, root, data["seeds"], chosen_values(path, data))


def expand(data: dict[str, Any], path: Path, root: Path, seeds: list[int],
           choices: Any) -> Suite:
    """The planned runs: every method entry x grid combination x starting weights x ``choices(label, entry)`` x
    task x seed."""
    budget, settings = data["budget"], data.get("settings", {})
    runs, labels = [], {}
    for index, entry in enumerate(data["methods"]):
        where = f"suite {path} methods[{index}]"
        if "name" not in entry:
            raise UsageError(f"{where}: missing the method's registered 'name'")
        label = _slug(entry.get("label", entry["name"]))
        if label in ("", ".", ".."):
            raise UsageError(f"{where}: label {label!r}: the run directory would leave the suite's directory; use "
                             "labels of letters, digits and . _ = -")
        # the comparison reads a directory LABEL/tune-SETTING=VALUE as a tuning candidate, wWEIGHTS as a w of W
        if label.startswith(TUNING_PREFIX) or is_weights_dir(label):
            raise UsageError(f"{where}: label {label!r}: labels starting with 'tune-', or with 'w' and a digit, name "
                             "tuning candidates and weight vectors in run directories; choose another label")
        if label in labels:
            raise UsageError(f"{where}: label {label!r} is already used by methods[{labels[label]}]; set 'label'")
        labels[label] = index
        for task in data["tasks"]:
            for suffix, weights_dir, overrides, options in _method_variants(entry, where,
                                                                            preference_starts(task, settings)):
                full_label = f"{label}_{suffix}" if suffix else label
                for part, setting, value in choices(full_label, entry):
                    fields, chosen_options = with_setting({**settings, **budget, **overrides}, options, setting, value)
                    for seed in seeds:
                        try:
                            spec = RunSpec.from_dict(with_model_defaults(
                                {**fields, "task": task, "method": entry["name"], "seed": int(seed),
                                 "method_options": chosen_options}))
                        except UsageError as exc:  # an unknown setting
                            raise UsageError(f"{where}: {exc}") from None
                        where_to = root / _slug(task) / full_label / part / (weights_dir or "") / f"seed{seed}"
                        runs.append(PlannedRun(full_label, spec, where_to))
    check_directories(root, [run.out for run in runs], f"suite {path}")
    for run in runs:
        validate_planned(run)
    board = data.get("leaderboard")
    return Suite(str(data["name"]), root, runs, None if board is None else Path(board))


def with_setting(fields: dict[str, Any], options: dict[str, Any], setting: str | None, value: Any
                 ) -> tuple[dict[str, Any], dict[str, Any]]:
    """``setting`` = ``value`` applied: ``method.NAME`` a method option, ``lr`` or ``engine.NAME`` an engine setting,
    any other name a run setting."""
    fields = {**fields, **({"engine": dict(fields["engine"])} if "engine" in fields else {})}
    options = dict(options)
    if setting is None:
        return fields, options
    if setting.startswith("method."):
        options[setting.removeprefix("method.")] = value
    elif setting == "lr" or setting.startswith("engine."):
        fields["engine"] = {**fields.get("engine", {}), setting.removeprefix("engine."): value}
    else:
        fields[setting] = value
    return fields, options


def validate_planned(run: PlannedRun) -> None:
    from morlbench.run.resolve import resolve

    try:
        resolve(RunSpec.from_dict(run.spec.to_dict()))
    except UsageError as exc:
        raise UsageError(f"{run.spec.task}/{run.label} seed {run.spec.seed}: {exc}") from None
