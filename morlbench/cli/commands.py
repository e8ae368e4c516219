"""What each ``morlbench`` subcommand does with its parsed arguments; the work itself is the library's."""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from morlbench.errors import UsageError

DEFAULT_RUNS = Path("runs")


def cmd_run(args: argparse.Namespace) -> int:
    from morlbench.cli.flags import spec_from_args
    from morlbench.run.execute import execute
    from morlbench.runfile import load_run_file

    spec = spec_from_args(args, load_run_file(args.config) if args.config else None)
    out = Path(args.out) if args.out else DEFAULT_RUNS / f"{spec.task}-{spec.method}-seed{spec.seed}"
    execute(spec, out, resume=args.resume, progress=not args.no_progress, log_to=args.log_to)
    report = (out / "report.md").read_text()
    print(report.split("## Metrics")[0].rstrip())
    files = sorted(p.name + ("/" if p.is_dir() else "") for p in out.iterdir() if not p.name.startswith("."))
    print(f"\nrun directory: {out}  ({', '.join(files)})")
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    from morlbench.isolation import user_interrupt
    from morlbench.sweep import run_state, run_suite
    from morlbench.tuning import choose, tuning_suite, write_record

    suite, candidates = tuning_suite(args.suite, args.out)
    if args.dry_run:
        for run in suite.runs:
            print(f"{run_state(run):9}  {run.out}")
        print(f"{len(suite.runs)} tuning runs in {suite.path}")
        return 0
    signal.signal(signal.SIGTERM, user_interrupt)
    rows = run_suite(suite, jobs=args.jobs, progress=not args.no_progress)
    failed = [r for r in rows if r["status"] == "failed"]
    for row in failed:
        print(f"failed {row['dir']}  {row.get('error', '')}")
    record = choose(suite, candidates, args.suite)
    for label, entry in sorted(record["entries"].items()):
        means = ", ".join(f"{c['value']}: {'-' if c['mean'] is None else format(c['mean'], '.4f')}"
                          for c in entry["candidates"])
        print(f"{label}: {entry['setting']} = {entry['chosen']} (selection HV {means})")
    print(f"wrote {write_record(args.suite, record)}; `morlbench sweep {args.suite}` runs each entry at its value")
    return 1 if failed else 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from morlbench.isolation import user_interrupt
    from morlbench.sweep import committed_elsewhere, load_suite, run_state, run_suite

    suite = load_suite(args.suite, args.out)
    if args.dry_run:
        for run in suite.runs:
            state = run_state(run)
            state = "committed" if state == "new" and committed_elsewhere(suite, run) else state
            print(f"{state:9}  {run.out}")
        print(f"{len(suite.runs)} runs in {suite.path}")
        return 0
    signal.signal(signal.SIGTERM, user_interrupt)  # `kill` stops the workers as Ctrl-C does; every run stays resumable
    rows = run_suite(suite, jobs=args.jobs, progress=not args.no_progress, executor=args.executor,
                     address=args.ray_address)
    failed = [r for r in rows if r["status"] == "failed"]
    for row in rows:
        detail = f"  {row['error']}" if row["status"] == "failed" else ""
        print(f"{row['status']:15} {row['dir']}{detail}")
    print(f"{len(rows) - len(failed)} of {len(rows)} runs complete in {suite.path} (record: sweep.json)")
    if len(rows) > len(failed) and not args.no_comparison:
        from morlbench.api import compare_runs

        # Runs recorded elsewhere take part through the committed result files sweep.json lists.
        print(f"comparison report: {compare_runs([suite.path], suite.path / 'comparison', args.reference)} "
              f"(rebuild it with morlbench report {suite.path})")
    return 1 if failed else 0


def cmd_check_plugin(args: argparse.Namespace) -> int:
    from morlbench.plugin_check import check_plugin, kind_of

    kind = kind_of(args.name, args.kind)
    print(f"checking {kind[:-1]} {args.name!r} through the plugin contract (docs/plugins.md)")
    checks = check_plugin(args.name, kind)
    for check in checks:
        print(f"{'PASS' if check.passed else 'FAIL'}  {check.what}" + (f": {check.detail}" if check.detail else ""))
    failed = [c for c in checks if not c.passed]
    print(f"{args.name}: {'all checks passed' if not failed else 'failed: ' + failed[0].what}")
    return 1 if failed else 0


def cmd_submit(args: argparse.Namespace) -> int:
    from morlbench.results.submission import submit

    for run_dir in args.runs:
        print(submit(run_dir, args.to, args.label))
    return 0


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from morlbench.leaderboard import build, write_tables
    from morlbench.reference import default_reference

    board = build(args.results, default_reference(args.reference), tuple(args.metric))
    if board.rejected:
        for line in board.rejected:
            print(f"morlbench leaderboard: rejected {line}", file=sys.stderr)
        print(f"morlbench leaderboard: error: {len(board.rejected)} result file(s) rejected; nothing written",
              file=sys.stderr)
        return 2
    write_tables(board, args.out)
    entries = sum(len(g.rows) for g in board.groups)
    print(f"{entries} entries in {len(board.groups)} protocol-3 comparability groups (and {len(board.historical)} "
          f"historical protocol-2 groups): {args.out / 'README.md'}, results.csv, index.html, fronts-*.svg")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from morlbench.reference import default_reference, load_references
    from morlbench.report.comparison import find_records, write_comparison
    from morlbench.report.run_report import stored_reference, write_run_report
    from morlbench.results.runcheck import run_dir_of
    from morlbench.sweep import SWEEP_RECORD

    single = len(args.runs) == 1 and (args.runs[0] / "config.json").exists()
    runs, records = ([], []) if single else find_records(args.runs)
    references = load_references(default_reference(args.reference))
    for path in args.runs if single else [r.path for r in runs]:
        run_dir_of(path)  # a damaged run directory is refused in one line before its report is rebuilt
        hv_ref, front = stored_reference(path, references)  # as the run's own report found them
        hv_ref = args.hv_ref if args.hv_ref is not None else hv_ref
        try:
            write_run_report(path, hv_ref=hv_ref, reference_front=front)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        print(f"wrote {path / 'report.md'}")
    if not single:
        one = args.runs[0]
        suite_dir = len(args.runs) == 1 and one.is_dir() and (bool(runs) or (one / SWEEP_RECORD).exists())
        out = args.out or (one / "comparison" if suite_dir else Path("comparison"))
        if args.hv_ref is not None:
            from morlbench.reference import Reference

            given = Reference(args.hv_ref, None, {"applies_to": "any", "source": "given with --hv-ref"})
            references = {r.comparability["task_version"]: given for r in records}
        print(f"wrote {write_comparison(records, out, references)} and {out / 'index.html'}")
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    import json

    from morlbench.probe import markdown, probe
    from morlbench.results.atomic import atomic_write_text
    from morlbench.run.resolve import with_model_defaults
    from morlbench.spec import RunSpec

    if args.batches < 1:
        raise UsageError(f"--batches {args.batches} must be at least 1")
    results = {}
    for task in args.tasks:
        fields = {"task": task, "seed": args.seed, "prompts_per_step": args.prompts_per_step,
                  "group_size": args.group_size, **({"model": args.model} if args.model else {})}
        results[task] = probe(RunSpec.from_dict(with_model_defaults(fields)), args.batches)  # e.g. LoRA for SmolLM2
    print(markdown(results))
    if args.out:
        atomic_write_text(args.out, json.dumps(results, indent=2) + "\n")
        print(f"wrote {args.out}")
    return 0


def cmd_reference(args: argparse.Namespace) -> int:
    import json

    from morlbench.leaderboard import load_results
    from morlbench.reference import reference_entry
    from morlbench.results.atomic import atomic_write_json

    results, rejected = load_results(args.results)
    if rejected:
        raise UsageError(f"{len(rejected)} reference result file(s) rejected, first: {rejected[0]}")
    by_version: dict[str, list] = {}
    for result in results:
        by_version.setdefault(result.comparability["task_version"], []).append(result)
    if not by_version:
        raise UsageError(f"no result files under {args.results}")
    stored = json.loads(args.out.read_text()) if args.out.exists() else {}
    versions = dict(stored.get("task_versions", {}))
    for version, group in sorted(by_version.items()):
        _, entry = reference_entry(group, args.suite)
        versions[version] = entry
        print(f"{version}: HV_ref {entry['hv_ref']} (seeds {entry['seeds']}), reference front of "
              f"{len(entry['front'])} points")
    about = ("HV_ref and the reference front per task version, from reference runs recorded apart from the ranked "
             "entries (morlbench reference; docs/leaderboard.md). A group uses them only when its protocol, engine, "
             "task version, objectives, model, splits and generation limit equal applies_to.")
    atomic_write_json(args.out, {"about": about, "task_versions": dict(sorted(versions.items()))})
    print(f"wrote {args.out}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from morlbench.verify import check_files, summary, verified_dir, verify

    check_files(args.results_files)
    reruns: dict = {}
    failed = 0
    for path in args.results_files:
        if not args.no_progress:
            print(f"morlbench: verifying {path}: rerunning its spec", file=sys.stderr)
        record = verify(path, args.results, progress=not args.no_progress, reruns=reruns)
        failed += not record["reproduced"]
        print(summary(path, record))
    print(f"{len(args.results_files) - failed} of {len(args.results_files)} reproduced; records in "
          f"{verified_dir(args.results)}")
    return 1 if failed else 0
