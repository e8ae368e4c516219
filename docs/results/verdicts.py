"""The verdicts of one protocol-3 group, side by side: per entry, its paired difference from the static baseline
on each board's tests (delivered HV; HV-AUC; restricted steps to the headline target), each with its uncorrected
95% t-interval and its verdict at Holm's corrected exact p; then the power each comparison has, what counting the
entries that were not tested would have changed, and, on request, one pre-registered pair. Everything comes from
the leaderboard's own analysis of the committed result files (morlbench.leaderboard.build, its paired tests), so
a reading that quotes this output quotes the boards.

    python docs/results/verdicts.py arith-d2s2-loose-running-mean --model tiny-arith     # reference suite v3
    python docs/results/verdicts.py arith-d2s2-loose-running-mean --model tiny-arith \\
        --pair gradient-paper static-paper                                               # the paper's claim

The group is the protocol-3 group of that task version (and model name, before its '@' digest, and number of
steps, where given); none, or more than one, is an error naming what there is.
"""
from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

from morlbench.compare.board3 import Group3, Row3, Test3, compare, decide
from morlbench.compare.protocol3 import TARGET_LEVELS
from morlbench.compare.render3 import HEADLINE, delta_cells, verdict_cell
from morlbench.leaderboard import build, group_id
from morlbench.metrics.stats import ALPHA, minimum_detectable, sign_flip_floor

ROOT = Path(__file__).resolve().parents[2]
TIME = f"restricted steps to f={TARGET_LEVELS[HEADLINE]:g}"
TESTS = (("delivered", "delivered HV", 4), ("auc", "HV-AUC", 4), ("time", TIME, 1))
FAMILY = {"delivered": "delivered", "auc": "trajectory", "time": "trajectory"}


def describe(group: Group3) -> str:
    return f"{group.key['task_version']} {group.key['model']} {group.key['steps']} steps ({group_id(group.key)})"


def find_group(groups: list[Group3], task_version: str, model: str | None = None, steps: int | None = None
               ) -> Group3:
    found = [g for g in groups if g.key["task_version"] == task_version
             and (model is None or g.key["model"].split("@")[0] == model)
             and (steps is None or g.key["steps"] == steps)]
    if len(found) == 1:
        return found[0]
    asked = f"task version {task_version!r}" + (f", model {model!r}" if model else "") + (
        f", {steps} steps" if steps else "")
    if not found:
        known = "; ".join(describe(g) for g in groups) or "none"
        raise SystemExit(f"error: no protocol-3 group for {asked}; the groups are: {known}")
    raise SystemExit(f"error: {len(found)} protocol-3 groups for {asked}: "
                     f"{'; '.join(describe(g) for g in found)}; give --model or --steps to pick one")


def row_cells(row: Row3) -> list[str]:
    cells = [row.label, str(len(row.values))]
    for test, _, digits in TESTS:
        if row.baseline or row.not_tested:
            cells += ["-", "baseline" if row.baseline else "not tested"]
        else:
            cells += [delta_cells(row.tests.get(test), digits)[0], verdict_cell(row, test)]
    return cells


def table(group: Group3) -> list[str]:
    head = ["entry", "seeds"] + [cell for _, name, _ in TESTS for cell in (f"Δ {name} [95%]", "verdict (Holm p)")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row_cells(r)) + " |" for r in group.rows]
    return lines + [f"\n{r.label}: {r.not_tested}." for r in group.rows if r.not_tested]


def detectable_cell(t: Test3 | None, digits: int, *alphas: float) -> str:
    """What one comparison can detect (paired t, power 0.8, its own SD) at each level (e.g. Holm's first step and
    its last); "none" where the exact test's floor is above the level, whatever the difference."""
    if t is None or t.test.n < 2:
        return "-"
    if (t.test.sd_difference or 0.0) < 1e-12:  # every seed the same difference: zero spread would claim any
        return "no spread (SD 0)"
    cells = []
    for alpha in alphas:
        mdd = minimum_detectable(t.test.sd_difference, t.test.n, alpha=alpha)
        cells.append("none" if sign_flip_floor(t.test.n) >= alpha or mdd is None else f"{mdd:.{digits}f}")
    return " / ".join(cells)


def power(group: Group3) -> list[str]:
    sizes = {name: max(group.family[FAMILY[name]], 1) for name, _, _ in TESTS}  # 0 before any seed is shared
    head = ["entry"] + [f"{name}: detectable at α/{sizes[test]} / α" for test, name, _ in TESTS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in group.rows:
        if r.tests:
            cells = [detectable_cell(r.tests.get(test), digits, ALPHA / sizes[test], ALPHA)
                     for test, _, digits in TESTS]
            lines.append("| " + " | ".join([r.label, *cells]) + " |")
    n = max((t.test.n for r in group.rows for t in r.tests.values()), default=0)
    if n >= 2:
        lines.append(f"\nEach cell: the smallest true difference the comparison detects with power 0.8 (paired t, its "
                     f"own SD, where the leaderboard's power line pools the family's) at Holm's first step and at its "
                     f"last; none where the exact sign-flip test cannot go below the level at all (its floor over {n} "
                     f"seeds: p = {sign_flip_floor(n):.4f}); no spread where every seed gave the same difference, so "
                     f"no power can be estimated from it.")
    return lines


def p_text(p: float | None) -> str:
    return "-" if p is None else f"{p:.3f}"


def if_all_counted(group: Group3) -> list[str]:
    """The verdicts had the entries that were not tested been compared and counted in the families."""
    base = next((r for r in group.rows if r.baseline), None)
    dormant = [r for r in group.rows if r.not_tested]
    if base is None or not dormant:
        return []
    rows = []
    for r in (r for r in group.rows if not r.baseline):
        tests = {name: copy.copy(t) for name, t in r.tests.items()}
        if r.not_tested:
            tests = {m: compare(r, base, m) for m in ("delivered", "auc", "time") if m != "time" or group.hv0}
        for t in tests.values():
            t.verdict = "tie"
        rows.append((r, tests))
    decide([tests["delivered"] for _, tests in rows], [False] * len(rows))
    trajectory = [(t, m == "time") for _, tests in rows for m, t in tests.items() if m != "delivered"]
    decide([t for t, _ in trajectory], [lower for _, lower in trajectory])
    changed = [f"{r.label} {name}: {r.tests[test].verdict} -> {tests[test].verdict}"
               for r, tests in rows if not r.not_tested for test, name, _ in TESTS
               if test in tests and r.tests[test].verdict != tests[test].verdict]
    own = [f"{r.label} {name} {tests[test].verdict} (Holm p {p_text(tests[test].adjusted_p)})"
           for r, tests in rows if r.not_tested for test, name, _ in TESTS if test in tests]
    return [f"Counted, the entries not tested ({', '.join(r.label for r in dormant)}) would make the families "
            f"{len(rows)} (delivered) and {len(trajectory)} (trajectory) comparisons; their own verdicts: "
            f"{'; '.join(own)}; verdicts of the others that would change: {'; '.join(changed) or 'none'}."]


def pair(group: Group3, first: str, second: str, primary: str = "auc") -> list[str]:
    """One pre-registered comparison, alone: ``first`` minus ``second`` on the ``primary`` test, paired by seed,
    exact sign-flip p at α (no correction: it is the only test of its question); the other tests beside it,
    descriptive (no verdict: they were not pre-registered). Each row says what it could detect: a tie is not
    equivalence."""
    rows = {r.label: r for r in group.rows}
    for label in (first, second):
        if label not in rows:
            raise SystemExit(f"error: no entry {label!r} in group {group_id(group.key)} (entries: "
                             f"{', '.join(sorted(rows))})")
    lines = [f"| {first} − {second} | seeds | Δ [95% t-interval] | exact p | at α = {ALPHA} | "
             f"detectable at α = {ALPHA} (power 0.8) |", "|---|---|---|---|---|---|"]
    for test, name, digits in TESTS:
        if test == "time" and group.hv0 is None:
            continue
        t = compare(rows[first], rows[second], test)
        lower = test == "time"
        decided = (t.exact_p is not None and t.exact_p < ALPHA and t.test.n >= 2)
        ahead = (t.test.mean_difference < 0) == lower
        word = ("better" if ahead else "worse") if decided else "tie"
        if test != primary:
            word = "descriptive"
        else:
            name = f"**{name}** (pre-registered)"
        p = "-" if t.exact_p is None else f"{t.exact_p:.4f}"
        lines.append(f"| {name} | {t.test.n} | {delta_cells(t, digits)[0]} | {p} | {word} | "
                     f"{detectable_cell(t, digits, ALPHA)} |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task_version")
    parser.add_argument("--model", help="the model's name, without its @digest")
    parser.add_argument("--steps", type=int, help="the group's budget in steps")
    parser.add_argument("--pair", nargs=2, metavar=("ENTRY", "AGAINST"),
                        help="print only this pre-registered comparison, uncorrected")
    parser.add_argument("--primary", choices=[test for test, _, _ in TESTS], default="auc",
                        help="the pair's pre-registered test (default: auc, HV-AUC); the others are descriptive")
    parser.add_argument("--results", type=Path, default=ROOT / "leaderboard" / "results")
    args = parser.parse_args(argv)
    board = build(args.results, ROOT / "baselines" / "reference.json")
    group = find_group(board.groups, args.task_version, args.model, args.steps)
    if args.pair:
        print("\n".join(pair(group, *args.pair, primary=args.primary)))
        return
    print(f"Group {group_id(group.key)}: {group.key['model']}, {group.key['steps']} steps, baseline "
          f"`{group.baseline}`; a verdict is better or worse only where Holm's corrected exact p is below {ALPHA}.\n")
    print("\n".join([*table(group), "", *power(group), "", *if_all_counted(group)]).rstrip())


if __name__ == "__main__":
    main(sys.argv[1:])
