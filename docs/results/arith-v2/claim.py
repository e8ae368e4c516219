"""The paper's claim on the committed v2 results: do the dynamic weighting methods reach the front sooner than
static weighting? Prints the Markdown table of docs/results/arith-v2/README.md ("The paper's claim").

    python docs/results/arith-v2/claim.py

Each dynamic method is compared with static weighting at its own starting weights (uniform) and with the best
static vector of the group, per seed, by the paired t-test on two anytime measures: HV-AUC (higher is better)
and steps to 0.95·HV_ref (lower is better; a run that never reaches it counts as budget + one evaluation
interval, which favours it). Holm-corrected across all the comparisons printed. The last column is the power
analysis: the smallest true difference a paired t-test detects (two-sided α = 0.05, power 0.8, before Holm) at
5, 10 and 20 seeds, given the SD of the per-seed differences measured here.
"""
from __future__ import annotations

from pathlib import Path

from morlbench.compare.values import lookup
from morlbench.leaderboard import build
from morlbench.metrics.stats import holm, minimum_detectable, paired_t, verdict

ROOT = Path(__file__).resolve().parents[3]
TASK_VERSION = "arith-d2s2-loose-running-mean"
DYNAMIC = ("gradient", "hypervolume", "hv-meta-reward")
UNIFORM_STATIC = "static_w0.334-0.333-0.333"
TAU = "0.95"
MEASURES = (("HV-AUC", "hv-auc", True), (f"steps to {TAU}·HV_ref", f"steps-to-front/{TAU}", False))


def reference_group():
    board = build(ROOT / "leaderboard" / "results", ROOT / "baselines" / "reference.json")
    return next(g for g in board.groups if g.key["task_version"] == TASK_VERSION and g.key["steps"] == 100)


def per_seed(row, key: str, unreached: float) -> dict[int, float]:
    """The measure per seed; a seed that never reached the front (None) counts as ``unreached``."""
    return {seed: unreached if v is None else float(v)
            for seed, v in zip(row.seeds, (lookup(values, key) for values in row.per_seed))}


def main() -> None:
    group = reference_group()
    rows = {r.label: r for r in group.rows}
    unreached = float(group.key["steps"] + 5)
    baselines = (UNIFORM_STATIC, group.best_static)
    pairs = [(m, b, measure) for m in DYNAMIC for b in baselines for measure in MEASURES]
    tests = [paired_t(per_seed(rows[m], key, unreached), per_seed(rows[b], key, unreached))
             for m, b, (_, key, _) in pairs]
    print("| dynamic method | static baseline | measure | seeds | mean difference [95% CI] | Holm p | verdict "
          "| detectable at 5 / 10 / 20 seeds |")
    print("|---|---|---|---|---|---|---|---|")
    for (m, b, (name, _, higher)), test, p in zip(pairs, tests, holm([t.p_value for t in tests])):
        ci = "-" if test.low is None else f"[{test.low:.3f}, {test.high:.3f}]"
        detectable = " / ".join(f"{minimum_detectable(test.sd_difference, n):.3f}" for n in (5, 10, 20))
        print(f"| {m} | {b} | {name} | {test.n} | {test.mean_difference:+.3f} {ci} | "
              f"{'-' if p is None else f'{p:.3f}'} | {verdict(test, p, higher_is_better=higher)} | {detectable} |")


if __name__ == "__main__":
    main()
