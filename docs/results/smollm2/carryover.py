"""Which of the embedded model's verdicts point the same way on the real model: for every entry on both boards,
its mean paired difference from its board's static baseline on delivered HV and on HV-AUC, on the embedded board
(arith-v3, `tiny-arith`) and on the real-model board (`smollm2-135m-arith`), each with its uncorrected 95%
interval, beside the embedded board's Holm verdict; then the count, read by the rule fixed in
docs/results/smollm2/README.md ("The reading's rules"). Times to target are not read: at 20 steps evaluated every
10 they can only be 10, 20 or unreached.

    python docs/results/smollm2/carryover.py
    python docs/results/smollm2/carryover.py --pair gradient-paper static-paper   # the paper's rule, matched lr

The rule, per entry and measure: an embedded tie has nothing to carry; an embedded better or worse verdict
"carries over" where the real mean has the same sign and its interval excludes 0, points the "same way" where
the sign agrees and the interval spans 0, and points the "opposite way" otherwise; a mean within half the printed
precision of 0 has no sign. An entry run untuned at its own learning rate (``--secondary``, by default
`gradient-paper` and `static-paper`) is printed but not counted: against the tuned baseline its difference is
partly the learning rate's, on each board differently, and its reading is ``--pair``. Both boards must be
complete: their baselines named `static`, and every comparison over all of the baseline's seeds, at least
``--embedded-seeds`` and ``--real-seeds``.

With ``--pair A B`` it reads A minus B instead, paired by seed on each board, and refuses a pair whose two entries
ran at different learning rates on either board (B may be named per board: ``--pair gradient-paper static-paper
--real-against static`` where the real board's search put `static` at gradient-paper's lr and no `static-paper`
was recorded).
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from morlbench.compare.board3 import Group3, Row3, Test3, compare
from morlbench.compare.render3 import lr_cell, verdict_cell
from morlbench.leaderboard import build
from morlbench.metrics.stats import format_interval

ROOT = Path(__file__).resolve().parents[3]
MEASURES = (("delivered", "delivered HV"), ("auc", "HV-AUC"))
DIGITS = 4
ZERO = 0.5 * 10**-DIGITS  # a mean that prints as 0.0000 has no sign


def verdicts_script():
    """docs/results/verdicts.py: the group finder the readings share."""
    spec = importlib.util.spec_from_file_location("verdicts", ROOT / "docs" / "results" / "verdicts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sign(x: float) -> int:
    return 0 if abs(x) < ZERO else (1 if x > 0 else -1)


def direction(embedded: Test3, real: Test3) -> str:
    """The README's rule for one entry and measure."""
    if embedded.verdict not in ("better", "worse"):
        return "embedded tie: nothing to carry"
    e, r = sign(embedded.test.mean_difference), sign(real.test.mean_difference)
    if r == 0:
        return "no sign on the real board"
    if e != r:
        return "opposite way"
    low, high = real.test.low, real.test.high
    return "carries over" if low is not None and (low > 0 or high < 0) else "same way, real interval spans 0"


def cell(t: Test3) -> str:
    return f"{format_interval(t.test.mean_difference, t.test.low, t.test.high, DIGITS)} ({t.test.n})"


def checked(group: Group3, least: int, baseline: str = "static") -> int:
    """The board's number of seeds (its baseline's), after checking the board is the one the rule reads."""
    base = next((r for r in group.rows if r.baseline), None)
    if base is None or base.label != baseline:
        raise SystemExit(f"error: the board of {group.key['model']} has baseline "
                         f"{base.label if base else 'none'!r}, not {baseline!r}: not complete yet, or not this board")
    if len(base.values) < least:
        raise SystemExit(f"error: the board of {group.key['model']} has {len(base.values)} seeds of {baseline!r}, "
                         f"fewer than {least}: read it when it is complete")
    return len(base.values)


def against_baselines(embedded: Group3, real: Group3, seeds: tuple[int, int],
                      secondary: tuple[str, ...] = ("gradient-paper", "static-paper")) -> list[str]:
    """Every entry on both boards (baselines aside) against its board's baseline, and the count."""
    rows = {r.label: r for r in real.rows}
    lines = ["| entry | measure | embedded Δ vs static [uncorrected 95%] (seeds) | embedded verdict (Holm p) | "
             "real Δ vs static [uncorrected 95%] (seeds) | direction |", "|---|---|---|---|---|---|"]
    counted: list[str] = []
    for e in (e for e in embedded.rows if not e.baseline and e.label in rows):
        r = rows[e.label]
        for test, name in MEASURES:
            verdict = verdict_cell(e, test)
            if e.not_tested or r.not_tested:
                real_cell, word = (r.not_tested or "-"), "not tested on a board"
            else:
                t_e, t_r = e.tests[test], r.tests[test]
                real_cell = cell(t_r)
                if (t_e.test.n, t_r.test.n) != seeds:
                    word = f"incomplete: {t_e.test.n} and {t_r.test.n} seeds of {seeds[0]} and {seeds[1]}"
                elif e.label in secondary:
                    word = f"not counted: untuned at its own lr ({lr_cell(r)} here), read --pair"
                else:
                    word = direction(t_e, t_r)
                    counted.append(word)
            e_cell = "-" if e.not_tested else cell(e.tests[test])
            lines.append(f"| {e.label} | {name} | {e_cell} | {verdict} | {real_cell} | {word} |")
    only = sorted(r.label for r in embedded.rows if r.label not in rows)
    decided = [w for w in counted if not w.startswith("embedded tie")]
    same = [w for w in decided if w in ("carries over", "same way, real interval spans 0")]
    lines.append(f"\nCounted: {len(decided)} embedded verdicts (better or worse; {len(counted) - len(decided)} ties "
                 f"set apart); {len(same)} point the same way on the real board, "
                 f"{sum(w == 'carries over' for w in decided)} of them with the real interval excluding 0, "
                 f"{sum(w == 'opposite way' for w in decided)} the opposite way. With no true difference each would "
                 f"point the same way half the time, and an entry's two measures are not independent.")
    if only:
        lines.append(f"On the embedded board only: {', '.join(only)}.")
    return lines


def pair(embedded: Group3, real: Group3, first: str, second: str, real_second: str) -> list[str]:
    """``first`` minus ``second`` on the embedded board, ``first`` minus ``real_second`` on the real one, each
    pair at one learning rate."""
    def rows_of(group: Group3, labels: tuple[str, str]) -> tuple[Row3, Row3]:
        found = {r.label: r for r in group.rows}
        missing = [label for label in labels if label not in found]
        if missing:
            raise SystemExit(f"error: no entry {missing[0]!r} on the board of {group.key['model']} (entries: "
                             f"{', '.join(sorted(found))})")
        a, b = found[labels[0]], found[labels[1]]
        if lr_cell(a) != lr_cell(b):
            raise SystemExit(f"error: on the board of {group.key['model']} {a.label} ran at lr {lr_cell(a)} and "
                             f"{b.label} at {lr_cell(b)}: not a pair at one learning rate")
        return a, b

    e_first, e_second = rows_of(embedded, (first, second))
    r_first, r_second = rows_of(real, (first, real_second))
    lines = [f"| measure | embedded {first} − {second} [uncorrected 95%] (seeds) | real {first} − {real_second} "
             "[uncorrected 95%] (seeds) | signs |", "|---|---|---|---|"]
    for test, name in MEASURES:
        e, r = compare(e_first, e_second, test), compare(r_first, r_second, test)
        signs = sign(e.test.mean_difference), sign(r.test.mean_difference)
        agree = "no sign" if 0 in signs else ("same" if signs[0] == signs[1] else "opposite")
        lines.append(f"| {name} | {cell(e)} | {cell(r)} | {agree} |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task-version", default="arith-d2s2-loose-running-mean")
    parser.add_argument("--embedded", default="tiny-arith", help="the embedded board's model (no @digest)")
    parser.add_argument("--real", default="smollm2-135m-arith", help="the real-model board's model (no @digest)")
    parser.add_argument("--embedded-seeds", type=int, default=10, help="the least seeds the embedded board needs")
    parser.add_argument("--real-seeds", type=int, default=5, help="the least seeds the real board needs")
    parser.add_argument("--secondary", nargs="*", default=["gradient-paper", "static-paper"],
                        help="entries run untuned at their own lr: printed, not counted")
    parser.add_argument("--pair", nargs=2, metavar=("ENTRY", "AGAINST"), help="read ENTRY minus AGAINST instead")
    parser.add_argument("--real-against", metavar="ENTRY", help="on the real board, AGAINST is this entry instead")
    parser.add_argument("--results", type=Path, default=ROOT / "leaderboard" / "results")
    args = parser.parse_args(argv)
    if args.real_against and not args.pair:
        parser.error("--real-against names the real board's side of --pair; give --pair ENTRY AGAINST")
    find = verdicts_script().find_group
    board = build(args.results, ROOT / "baselines" / "reference.json")
    embedded = find(board.groups, args.task_version, args.embedded)
    real = find(board.groups, args.task_version, args.real)
    seeds = (checked(embedded, args.embedded_seeds), checked(real, args.real_seeds))
    if args.pair:
        lines = pair(embedded, real, *args.pair, args.real_against or args.pair[1])
    else:
        lines = against_baselines(embedded, real, seeds, tuple(args.secondary))
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
