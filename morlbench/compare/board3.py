"""One protocol-3 comparability group analysed (docs/leaderboard.md): the delivered board and the trajectory
board, each a ranking and one named Holm family of paired comparisons with the static baseline.

Every comparison pairs seeds; the exact sign-flip permutation test decides (distribution-free), the paired t-test
is printed beside it; Holm's correction runs over every comparison printed on the board. An entry whose
mechanism cannot act under its estimator is "not tested", never "no difference".
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from morlbench.compare.protocol3 import HEADLINE_LEVEL, TARGET_LEVELS, Entry3, SeedValues, gather, group_values, targets
from morlbench.compare.records import RunRecord
from morlbench.metrics.pareto import hypervolume
from morlbench.metrics.stats import (
    ALPHA,
    MIN_RANKED_SEEDS,
    PairedTest,
    holm,
    minimum_detectable,
    paired_t,
    sign_flip_floor,
    sign_flip_p,
)
from morlbench.metrics.survival import kaplan_meier
from morlbench.metrics.task_interval import task_interval
from morlbench.preferences import parse_preferences

HEADLINE = TARGET_LEVELS.index(HEADLINE_LEVEL)


@dataclass
class Test3:
    test: PairedTest  # the paired t-test: difference, uncorrected 95% interval, t p-value
    exact_p: float | None  # sign-flip permutation p-value: the one that decides
    adjusted_p: float | None = None  # Holm over the board's family
    verdict: str = "tie"


@dataclass
class Row3:
    entry: Entry3
    values: list[SeedValues]
    baseline: bool = False
    not_tested: str | None = None  # why the entry's mechanism cannot act, when it cannot
    tests: dict[str, Test3] = field(default_factory=dict)  # "delivered", "auc", "time"
    ahead: float | None = None  # descriptive: share of matched scheduled steps with HV(s) above the baseline's
    interval: tuple[float, float | None, float | None, str] = (float("nan"), None, None, "")
    rank: int | None = None  # delivered board
    trajectory_rank: int | None = None

    @property
    def label(self) -> str:
        return self.entry.label

    @property
    def seeds(self) -> list[int]:
        return [v.seed for v in self.values]

    def by_seed(self, metric: str) -> dict[int, float]:
        return {v.seed: value_of(v, metric) for v in self.values}

    def mean(self, metric: str) -> float:
        return float(np.mean([value_of(v, metric) for v in self.values])) if self.values else float("nan")

    @property
    def ranked(self) -> bool:
        return len(self.values) >= MIN_RANKED_SEEDS

    @property
    def verified_seeds(self) -> int:
        """Seeds every run of which `morlbench verify` reproduced."""
        return sum(all(r.verified for r in u.runs) for u in self.entry.units)


def value_of(v: SeedValues, metric: str) -> float:
    if metric == "time":  # restricted time to the headline target: min(T, budget), censored at the budget
        return v.times[HEADLINE].time if v.times else float("nan")
    return float(getattr(v, {"delivered": "hypervolume", "auc": "auc"}.get(metric, metric)))


@dataclass(frozen=True)
class Detectable:
    """The smallest difference a board's family detects with power 0.8 (paired t, pooled SD, at the median number
    of shared seeds) at Holm's first step (alpha / family) and at its last (alpha); None where the exact sign-flip
    test that decides cannot reach that level at any difference even over ``seeds``, the most seeds any comparison
    of the family shares (its floor, ``sign_flip_floor``, is not below the level)."""

    first: float | None
    last: float | None
    seeds: int


@dataclass
class Group3:
    key: dict[str, Any]
    rows: list[Row3]
    baseline: str | None
    hv0: float | None
    targets: list[float]
    family: dict[str, int]  # board -> comparisons in its Holm family
    detectable: dict[str, Detectable | None]  # board -> its headline metric's power
    seeds: int
    notes: list[str]


def interval_of(values: list[SeedValues], preferences: tuple[tuple[float, ...], ...]
                ) -> tuple[float, float | None, float | None, str]:
    """The delivered HV's interval over seeds and report problems (task level) when every seed kept its
    per-problem values, else over seeds alone."""
    matrices = [v.per_problem for v in values]
    same_problems = len({v.problems for v in values}) == 1  # the same report problems, in the same order
    if values and all(m is not None for m in matrices) and same_problems and len({m.shape for m in matrices}) == 1:
        k = values[0].delivered.shape[1]
        return (*task_interval(matrices, lambda x: hypervolume(x.reshape(-1, k))), "task")
    from morlbench.metrics.stats import t_interval

    return (*t_interval([v.hypervolume for v in values]), "seeds")


def compare(row: Row3, base: Row3, metric: str) -> Test3:
    a, b = row.by_seed(metric), base.by_seed(metric)
    shared = sorted(set(a) & set(b))
    return Test3(paired_t(a, b), sign_flip_p([a[s] - b[s] for s in shared]))


def ahead_share(row: Row3, base: Row3) -> float | None:
    """Dominance at matched steps, descriptive: over the seeds both have, the mean share of scheduled steps at which
    the entry's trajectory hypervolume is above the baseline's (a tie counts one half)."""
    theirs = {v.seed: v.curve for v in base.values}
    shares = []
    for v in row.values:
        if v.seed in theirs:
            pairs = list(zip((x for _, x in v.curve), (y for _, y in theirs[v.seed])))
            shares.append(sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in pairs) / len(pairs))
    return float(np.mean(shares)) if shares else None


def decide(tests: list[Test3], lower_is_better: list[bool]) -> None:
    for test, p, lower in zip(tests, holm([t.exact_p for t in tests]), lower_is_better):
        test.adjusted_p = p
        if test.test.n < 2:
            test.verdict = f"untested ({test.test.n} shared seed{'' if test.test.n == 1 else 's'})"
        elif p is not None and p < ALPHA:
            test.verdict = "better" if (test.test.mean_difference < 0) == lower else "worse"


def detectable(tests: list[Test3], family: int) -> Detectable | None:
    sds = [t.test.sd_difference for t in tests if t.test.sd_difference is not None]
    ns = [t.test.n for t in tests if t.test.n >= 2]
    if not sds or not ns or family == 0:
        return None
    sd, n = float(np.sqrt(np.mean(np.square(sds)))), int(np.median(ns))
    first, last = (None if sign_flip_floor(max(ns)) >= alpha else minimum_detectable(sd, n, alpha=alpha)
                   for alpha in (ALPHA / family, ALPHA))  # the best-seeded comparison is the one that could reject
    return Detectable(first, last, max(ns))


def why_not_tested(row: Row3) -> str | None:
    """Why the entry's mechanism did not act, when it did not: it cannot under the runs' estimator (declared), or
    it logs a signal and that signal was 0 on every step of every run (docs/leaderboard.md). Either way its row
    is another method's, and a verdict on it would be read as one on the mechanism."""
    if any(r.inert for r in row.entry.runs):
        return "not tested: its mechanism cannot act under this estimator"
    shares = [v.signal_share for v in row.values]
    if shares and all(share == 0 for share in shares):  # None (no signal logged) is not 0
        return "not tested: its mechanism never acted (no signal on any step of any run)"
    return None


def analyse3(key: dict[str, Any], records: list[RunRecord], reference_front: np.ndarray | None = None) -> Group3:
    """``reference_front``: a stored reference front that applies to the group (pair metrics only)."""
    preferences = parse_preferences(key["preferences"], len(key["objectives"]))
    entries = gather(records)
    values, hv0 = group_values(entries, key, preferences, reference_front)
    rows = [Row3(e, values[label]) for label, e in entries.items() if values[label]]
    statics = sorted((r for r in rows if r.entry.linear_static), key=lambda r: (-len(r.values), r.label))
    base = statics[0] if statics else None
    for row in rows:
        row.interval = interval_of(row.values, preferences)
        row.not_tested = why_not_tested(row)
    if base is not None:
        base.baseline = True
        contestants = [r for r in rows if r is not base and r.not_tested is None]
        for r in contestants:
            r.tests = {"delivered": compare(r, base, "delivered"), "auc": compare(r, base, "auc")}
            if hv0 is not None:
                r.tests["time"] = compare(r, base, "time")
        decide([r.tests["delivered"] for r in contestants], [False] * len(contestants))
        for r in contestants:
            r.ahead = ahead_share(r, base)
        trajectory = [(r.tests[m], m == "time") for r in contestants for m in ("auc", "time") if m in r.tests]
        decide([t for t, _ in trajectory], [lower for _, lower in trajectory])
    family = {"delivered": 0, "trajectory": 0}  # the comparisons Holm's correction ran over (tested ones)
    for r in rows:
        for name, test in r.tests.items():
            family["delivered" if name == "delivered" else "trajectory"] += test.exact_p is not None
    for metric, attr in RANK_OF.items():
        rank_by_verdict(rows, metric, attr)
    rows.sort(key=board_order("delivered"))
    detect = {"delivered": detectable([r.tests["delivered"] for r in rows if "delivered" in r.tests],
                                      family["delivered"]),
              "trajectory": detectable([r.tests["auc"] for r in rows if "auc" in r.tests], family["trajectory"])}
    notes = [f"{e.label}: {n}" for e in entries.values() for n in e.notes]
    return Group3(key, rows, base.label if base else None, hv0, targets(hv0), family, detect,
                  max((len(r.values) for r in rows), default=0), notes)


RANK_OF = {"delivered": "rank", "auc": "trajectory_rank"}  # each board's ranking measure and its rank's attribute
VERDICT_TIERS = {"better": 0, "tie": 1, "worse": 2}  # against the baseline; the baseline itself is level


def verdict_tier(row: Row3, metric: str) -> int | None:
    """The row's tier on ``metric``; None where it has no verdict (too few seeds, not tested, untested)."""
    if not row.ranked:
        return None
    if row.baseline:
        return VERDICT_TIERS["tie"]
    return VERDICT_TIERS.get(row.tests[metric].verdict) if metric in row.tests else None


def rank_by_verdict(rows: list[Row3], metric: str, attr: str) -> None:
    """Ranks that only the test can give: the entries better than the baseline on ``metric`` share the first rank,
    the baseline and the entries level with it the next, those worse the last (ranks counted as in sports: 1, 1, 3).
    Means order the rows within a rank, never the rank itself. No verdict, no rank: an entry not tested, one whose
    test could not run (too few seeds shared with the baseline), every entry of a group without a baseline."""
    if not any(r.baseline for r in rows):
        return
    tiers = [(row, verdict_tier(row, metric)) for row in rows]
    placed = [tier for _, tier in tiers if tier is not None]
    for row, tier in tiers:
        if tier is not None:
            setattr(row, attr, 1 + sum(other < tier for other in placed))


def board_order(metric: str) -> Callable[[Row3], tuple]:
    """How a board lists its rows: the baseline first, then by rank, by mean within a rank, the unranked last."""
    attr = RANK_OF[metric]
    return lambda r: (not r.baseline, getattr(r, attr) is None, getattr(r, attr) or 0, -r.mean(metric), r.label)


def km_median(row: Row3, level: int = HEADLINE) -> tuple[float | None, float | None, float | None, int]:
    """Kaplan-Meier median steps to a target [interval], and how many seeds reached it."""
    times = [v.times[level] for v in row.values if v.times]
    if not times:
        return None, None, None, 0
    return (*kaplan_meier(times).median(), sum(t.reached for t in times))


def restricted_mean(row: Row3, level: int = HEADLINE) -> float | None:
    times = [v.times[level] for v in row.values if v.times]
    return kaplan_meier(times).restricted_mean() if times else None
