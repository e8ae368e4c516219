"""`morlbench challenge`: a method against the committed baselines of a reference suite (morlbench.challenge)."""
from __future__ import annotations

import argparse
import json
import signal
from pathlib import Path

from morlbench.errors import UsageError


def cmd_challenge(args: argparse.Namespace) -> int:
    from morlbench.challenge import estimated_seconds, prepare, run_challenge, unranked_note

    options = dict(_key_value(o) for o in args.method_opt)
    out = args.out or Path("runs") / "challenge" / (args.label or args.method)
    plan = prepare(args.method, args.task, args.suite, out, args.results, options, args.label, args.seeds)
    cost = estimated_seconds(plan, args.jobs)
    print(f"challenge: {plan.label} under {plan.suite} ({len(plan.seeds)} ranked seeds): {plan.tuning_runs} tuning "
          f"runs, {plan.ranked_runs} ranked runs, in {out}; about "
          + (f"{cost / 3600:.1f} h at --jobs {args.jobs} (from the committed baselines' seconds per run)" if cost
             else "? h (no committed protocol-3 baselines to estimate from)"))
    note = unranked_note(plan)
    if note:
        print(f"challenge: {note}")
    if args.dry_run:
        return 0
    from morlbench.isolation import user_interrupt

    signal.signal(signal.SIGTERM, user_interrupt)
    path, records = run_challenge(plan, out, args.jobs, not args.no_progress)
    _print_challenge(records, plan.label)
    print(f"comparison report: {path} (and index.html beside it)")
    return 0


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise UsageError(f"--method-opt {text!r}: expected KEY=VALUE")
    return key, value


def _print_challenge(records: list, label: str) -> None:
    """The headline table of every group the challenger is in."""
    from collections import defaultdict

    from morlbench.compare.board3 import analyse3
    from morlbench.compare.render3 import HEADLINE_HEAD, headline_rows

    groups = defaultdict(list)
    for record in records:
        groups[record.group_key].append(record)
    for key, members in sorted(groups.items()):
        group = analyse3(json.loads(key), members)
        print(" | ".join(HEADLINE_HEAD))
        for row in headline_rows(group, highlight=label):
            print(" | ".join(row))
