"""The verdicts of one protocol-3 group, side by side: per entry, its paired difference from the static baseline
on each board's tests (delivered HV; HV-AUC, the paper's pre-registered test; restricted steps to the headline
target), each with its uncorrected 95% t-interval and its verdict at Holm's corrected exact p, then the power
the group achieved. Everything comes from the leaderboard's own analysis of the committed result files
(morlbench.leaderboard.build), so a reading that quotes this table quotes the boards.

    python docs/results/verdicts.py arith-d2s2-loose-running-mean            # reference suite v3's main group
    python docs/results/verdicts.py TASK_VERSION --model smollm2-135m-arith   # a group by task and model

The group is the protocol-3 group of that task version (and model name, before its '@' digest, and number of
steps, where given); none, or more than one, is an error naming what there is.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from morlbench.compare.board3 import Group3, Row3
from morlbench.compare.protocol3 import TARGET_LEVELS
from morlbench.compare.render3 import HEADLINE, delta_cells, verdict_cell
from morlbench.leaderboard import build, group_id

ROOT = Path(__file__).resolve().parents[2]
TESTS = (("delivered", "Δ delivered HV [95%]", 4), ("auc", "Δ HV-AUC [95%]", 4),
         ("time", f"Δ restricted steps to f={TARGET_LEVELS[HEADLINE]:g} [95%]", 1))


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
        cells += ["-", verdict_cell(row, test)] if row.baseline else [
            delta_cells(row.tests.get(test), digits)[0], verdict_cell(row, test)]
    return cells


def table(group: Group3) -> list[str]:
    head = ["entry", "seeds"] + [cell for _, name, _ in TESTS for cell in (name, "verdict (Holm p)")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row_cells(r)) + " |" for r in group.rows]
    for board, what in (("delivered", "delivered HV"), ("trajectory", "HV-AUC")):
        d = group.detectable[board]
        if d is not None:
            lines.append(f"\nSmallest {what} difference the {board} family ({group.family[board]} comparisons) "
                         f"detects with power 0.8: {d[0]:.4f} at Holm's first step, {d[1]:.4f} at its last.")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task_version")
    parser.add_argument("--model", help="the model's name, without its @digest")
    parser.add_argument("--steps", type=int, help="the group's budget in steps")
    parser.add_argument("--results", type=Path, default=ROOT / "leaderboard" / "results")
    args = parser.parse_args(argv)
    board = build(args.results, ROOT / "baselines" / "reference.json")
    group = find_group(board.groups, args.task_version, args.model, args.steps)
    print(f"Group {group_id(group.key)}: {group.key['model']}, {group.key['steps']} steps, baseline "
          f"`{group.baseline}`; a verdict is better or worse only where Holm's corrected exact p is below 0.05.\n")
    print("\n".join(table(group)))


if __name__ == "__main__":
    main(sys.argv[1:])
