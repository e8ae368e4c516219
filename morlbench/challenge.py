"""``morlbench challenge METHOD``: a method against the committed baselines of a reference suite, under the suite's
own protocol (docs/plugins.md, "From a method to a verdict").

The challenger runs exactly as the suite's entries did: the suite's budget, settings, preference set W, tuning
search (its [tune] table, on the tuning seeds) and ranked seeds; every run is resumable and done runs are skipped.
Its runs are then compared with the suite's committed result files of the same comparability group, with the
leaderboard's boards and verdicts, the challenger highlighted. Fewer seeds (``--seeds N``) give an unranked
entry, and the output says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w
import tomllib

from morlbench.errors import UsageError
from morlbench.metrics.stats import MIN_RANKED_SEEDS

REFERENCE_SUITES = {"arith": "arith-v3.toml"}  # task -> the reference suite shipped in morlbench/suites/
SHIPPED = Path(__file__).parent / "suites"


@dataclass(frozen=True)
class Plan:
    suite: Path  # the challenger's own suite file, derived from the reference suite
    results: Path | None  # the committed baselines
    label: str
    seeds: list[int]
    tuning_runs: int
    ranked_runs: int
    budget: dict[str, Any]  # the suite's budget: the committed baselines it compares with share it


def reference_suite(task: str, suite: Path | None) -> Path:
    if suite is not None:
        return suite
    if task not in REFERENCE_SUITES:
        raise UsageError(f"--task {task!r} has no reference suite; accepted: {', '.join(sorted(REFERENCE_SUITES))}, "
                         "or name one with --suite")
    return SHIPPED / REFERENCE_SUITES[task]


def challenger_suite(reference: Path, method: str, label: str, options: dict[str, Any], seeds: int | None,
                     task: str | None) -> dict[str, Any]:
    """The reference suite's tables with the challenger as its only entry."""
    from morlbench.suite_file import read_suite

    data = read_suite(reference)
    if "tuned_by" in data:  # its entries' values come from another suite's search, which has no challenger in it
        raise UsageError(f"--suite {reference} borrows its tuning from {data['tuned_by']}; challenge that suite")
    ranked = list(data["seeds"])
    if seeds is not None:
        if not 1 <= seeds <= len(ranked):
            raise UsageError(f"--seeds {seeds}: between 1 and the suite's {len(ranked)} seeds")
        ranked = ranked[:seeds]
    tasks = data["tasks"] if task is None else [task]
    if task is not None and task not in data["tasks"]:
        raise UsageError(f"--task {task!r} is not a task of {reference} ({', '.join(data['tasks'])})")
    entry = {"name": method, "label": label, **({"options": options} if options else {})}
    kept = {k: v for k, v in data.items() if k in ("budget", "settings", "tune", "description")}
    return {"name": f"challenge-{label}", **kept, "tasks": tasks, "seeds": ranked, "methods": [entry]}


def prepare(method: str, task: str, suite: Path | None, out: Path, results: Path | None, options: dict[str, Any],
            label: str | None, seeds: int | None) -> Plan:
    """Write the challenger's suite file into ``out`` and plan its runs (nothing runs yet)."""
    from morlbench.sweep import load_suite
    from morlbench.tuning import tuning_suite

    reference = reference_suite(task, suite)
    with open(reference, "rb") as handle:
        board = tomllib.load(handle).get("leaderboard")
    name = label or method
    data = challenger_suite(reference, method, name, options, seeds, None if suite is not None else task)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "challenge.toml"
    path.write_text(tomli_w.dumps(data))
    tuning = len(tuning_suite(path, out)[0].runs) if "tune" in data else 0
    record = path.with_name("challenge.tuning.json")
    ranked = None if "tune" in data and not record.exists() else len(load_suite(path, out).runs)
    if ranked is None:  # planned before tuning: as many runs as one value of the search
        values = len(data["tune"]["values"])
        ranked = tuning // values // len(data["tune"]["seeds"]) * len(data["seeds"])
    found = results if results is not None else (Path(board) if board else None)
    return Plan(path, found, name, list(data["seeds"]), tuning, ranked, dict(data["budget"]))


def unranked_note(plan: Plan) -> str | None:
    if len(plan.seeds) >= MIN_RANKED_SEEDS:
        return None
    return (f"{len(plan.seeds)} seeds: the challenger is listed unranked (a ranked entry needs {MIN_RANKED_SEEDS}); "
            "its verdicts use the seeds it shares with each baseline")


def estimated_seconds(plan: Plan, jobs: int) -> float | None:
    """The plan's wall time from the committed baselines' own seconds per run, at ``jobs`` runs at a time."""
    from morlbench.leaderboard import load_results

    if plan.results is None or not plan.results.is_dir():
        return None
    batch = f"{plan.budget['prompts_per_step']}x{plan.budget['group_size']}"
    per_run = [r.budget["train_seconds"] + r.budget["eval_seconds"] for r in load_results(plan.results)[0]
               if r.comparability.get("protocol", 2) >= 3 and r.comparability["steps"] == plan.budget["steps"]
               and r.comparability["batch"] == batch]
    if not per_run:
        return None
    return sum(per_run) / len(per_run) * (plan.tuning_runs + plan.ranked_runs) / jobs


def baselines(plan: Plan, keys: set[str]) -> list[Any]:
    """The committed result files of the challenger's comparability groups, as records."""
    from morlbench.compare.records import from_result
    from morlbench.leaderboard import load_results

    if plan.results is None or not plan.results.is_dir():
        return []
    results, rejected = load_results(plan.results)
    if rejected:
        raise UsageError(f"{len(rejected)} committed result file(s) rejected, first: {rejected[0]}")
    return [from_result(r) for r in results if r.group_key in keys]


def run_challenge(plan: Plan, out: Path, jobs: int, progress: bool) -> tuple[Path, list[Any]]:
    """Tune, run the ranked seeds, then compare with the committed baselines: (comparison.md, every record of the
    challenger's groups)."""
    from morlbench.compare.records import from_run_dir
    from morlbench.report.comparison import write_comparison
    from morlbench.results.rundir import open_run
    from morlbench.suite_file import read_suite
    from morlbench.sweep import load_suite, run_suite
    from morlbench.tune_record import suite_search
    from morlbench.tuning import choose, tuning_suite, write_record

    if suite_search(read_suite(plan.suite), plan.suite) is not None:
        tuning, candidates = tuning_suite(plan.suite, out)
        failed = [r for r in run_suite(tuning, jobs=jobs, progress=progress) if r["status"] == "failed"]
        if failed:
            raise UsageError(f"a tuning run failed ({failed[0]['dir']}: {failed[0].get('error', '')}); fix it and "
                             "run the challenge again (done runs are kept)")
        write_record(plan.suite, choose(tuning, candidates, plan.suite))
    suite = load_suite(plan.suite, out)
    failed = [r for r in run_suite(suite, jobs=jobs, progress=progress) if r["status"] == "failed"]
    if failed:
        raise UsageError(f"a run failed ({failed[0]['dir']}: {failed[0].get('error', '')}); fix it and run the "
                         "challenge again (done runs are kept)")
    mine = [from_run_dir(open_run(r.out)) for r in suite.runs]
    others = baselines(plan, {r.group_key for r in mine})
    if not others:
        raise UsageError(f"no committed baselines in this comparability group under {plan.results}: nothing to "
                         "compare with (the challenger's runs are in place; pass --results DIR)")
    return write_comparison(mine + others, out / "comparison", highlight=plan.label), mine + others
