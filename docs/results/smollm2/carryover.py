"""Which of the embedded model's comparisons point the same way on the real model: for every entry on both
boards, its mean paired difference from its group's static baseline on delivered HV and on HV-AUC, on the embedded
board (arith-v3, `tiny-arith`) and on the real-model board (`smollm2-135m-arith`), with the embedded board's
verdict, and the rule fixed in docs/results/smollm2/README.md ("The reading's rules"): the direction carries over
where both means have the same sign, does not where they have opposite signs, and there is no direction to carry
where either mean is exactly 0. A direction, not a replication: the real board's 5 seeds cannot decide a test.

    python docs/results/smollm2/carryover.py
    python docs/results/smollm2/carryover.py --pair gradient-paper static-paper   # the paper's rule, matched lr

With ``--pair A B`` it reads A minus B instead, paired by seed on each board (B may be named per board:
``--pair gradient-paper static-paper --real-against static`` where the real board's search put `static` at
gradient-paper's lr and no `static-paper` was recorded).
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from morlbench.compare.board3 import Group3, Test3, compare
from morlbench.compare.render3 import delta_cells, verdict_cell
from morlbench.leaderboard import build

ROOT = Path(__file__).resolve().parents[3]
MEASURES = (("delivered", "delivered HV"), ("auc", "HV-AUC"))  # the real board's times are too coarse to read


def verdicts_script():
    """docs/results/verdicts.py: the group finder the readings share."""
    spec = importlib.util.spec_from_file_location("verdicts", ROOT / "docs" / "results" / "verdicts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def direction(embedded: Test3 | None, real: Test3 | None) -> str:
    """The README's rule on the signs of the two mean paired differences."""
    if embedded is None or real is None or embedded.test.n == 0 or real.test.n == 0:
        return "not on both boards"
    a, b = embedded.test.mean_difference, real.test.mean_difference
    if a == 0 or b == 0:
        return "no direction"
    return "carries over" if (a > 0) == (b > 0) else "does not carry over"


def cell(t: Test3 | None) -> str:
    return "-" if t is None else f"{delta_cells(t, 4)[0]} ({t.test.n})"


def against_baselines(embedded: Group3, real: Group3) -> list[str]:
    """Every entry on both boards (the baselines and the entries not tested aside) against its board's baseline."""
    rows = {r.label: r for r in real.rows}
    lines = ["| entry | measure | embedded Δ vs static [95%] (seeds) | embedded verdict | real Δ vs static [95%] "
             "(seeds) | direction |", "|---|---|---|---|---|---|"]
    for e in embedded.rows:
        r = rows.get(e.label)
        if e.baseline or r is None or r.baseline:
            continue
        for test, name in MEASURES:
            t_real = r.tests.get(test)
            lines.append(f"| {e.label} | {name} | {cell(e.tests.get(test))} | {verdict_cell(e, test)} | "
                         f"{cell(t_real) if not r.not_tested else r.not_tested} | "
                         f"{direction(e.tests.get(test), None if r.not_tested else t_real)} |")
    return lines


def pair(embedded: Group3, real: Group3, first: str, second: str, real_second: str) -> list[str]:
    """``first`` minus ``second`` on the embedded board, ``first`` minus ``real_second`` on the real one."""
    def rows_of(group: Group3, labels: tuple[str, str]):
        found = {r.label: r for r in group.rows}
        missing = [label for label in labels if label not in found]
        if missing:
            raise SystemExit(f"error: no entry {missing[0]!r} on the board of {group.key['model']} (entries: "
                             f"{', '.join(sorted(found))})")
        return found[labels[0]], found[labels[1]]

    e_first, e_second = rows_of(embedded, (first, second))
    r_first, r_second = rows_of(real, (first, real_second))
    lines = [f"| measure | embedded {first} − {second} [95%] (seeds) | real {first} − {real_second} [95%] (seeds) "
             "| direction |", "|---|---|---|---|"]
    for test, name in MEASURES:
        e, r = compare(e_first, e_second, test), compare(r_first, r_second, test)
        lines.append(f"| {name} | {cell(e)} | {cell(r)} | {direction(e, r)} |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task-version", default="arith-d2s2-loose-running-mean")
    parser.add_argument("--embedded", default="tiny-arith", help="the embedded board's model (no @digest)")
    parser.add_argument("--real", default="smollm2-135m-arith", help="the real-model board's model (no @digest)")
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
    if args.pair:
        lines = pair(embedded, real, *args.pair, args.real_against or args.pair[1])
    else:
        lines = against_baselines(embedded, real)
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
