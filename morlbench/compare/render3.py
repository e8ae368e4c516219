"""A protocol-3 group as text (docs/leaderboard.md): what a reader needs to read it, the headline table, and the
full tables of the delivered and trajectory boards, for Markdown, HTML and CSV alike."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from morlbench.comparability import describe_comparability
from morlbench.compare.board3 import HEADLINE, Detectable, Group3, Row3, Test3, board_order, km_median, restricted_mean
from morlbench.compare.protocol3 import TARGET_LEVELS
from morlbench.compare.values import lookup
from morlbench.metrics.stats import ALPHA, MIN_RANKED_SEEDS, format_interval, sign_flip_floor, t_interval


def group_text3(group: Group3) -> list[str]:
    key = group.key
    lines = [describe_comparability(key) + ".",
             f"Delivered board: each entry's final policies at W = {key['preferences']} (a single-policy entry's runs "
             "started from each w, a preference-serving entry's one artifact served at each), valued on "
             f"`{key['report_split']}`: the hypervolume of those points (reference point the origin). Trajectory "
             f"board: the entry's points at W on `{key['selection_split']}` at every evaluation of the schedule; "
             "HV-AUC is the mean over the schedule of the hypervolume of the points so far. Other points and "
             "evaluations are ignored."]
    if group.hv0 is None:
        lines.append("No single-policy run gives the starting point: no targets, no times to target.")
    else:
        levels = ", ".join(f"{f:g}: {t:.4f}" for f, t in zip(TARGET_LEVELS, group.targets))
        lines.append(f"Targets HV_0 + f (1 − HV_0), HV_0 = {group.hv0:.4f} the starting policy's (f {levels}); the "
                     f"headline is f = {TARGET_LEVELS[HEADLINE]:g}. Time to target: Kaplan–Meier median [95% "
                     "Brookmeyer–Crowley interval] (reached/seeds), censored at the budget; compared by the "
                     "restricted mean time to the budget.")
    lines.append("The paper's claim (dynamic weighting reaches the front sooner) is posed by HV-AUC paired by seed "
                 "against static weighting from the same W at the same learning rate: for a tuned entry the static "
                 "baseline (the trajectory board's HV-AUC verdict); for a rule run untuned at its own lr, the static "
                 "grid run at that lr where the suite has one (docs/leaderboard.md); dominance at matched steps (the "
                 "share of scheduled steps with the entry's trajectory hypervolume above the baseline's) is "
                 "secondary and descriptive.")
    base = f"`{group.baseline}`" if group.baseline else "none (no linear static entry)"
    lines.append(f"Baseline: {base}. Every comparison pairs seeds; the exact sign-flip permutation test decides "
                 f"(the paired t p is printed beside it); Holm's correction at α = {ALPHA} runs over each board's "
                 f"family: delivered, {group.family['delivered']} comparisons (delivered HV); trajectory, "
                 f"{group.family['trajectory']} (HV-AUC and restricted time per entry). Differences carry their "
                 "uncorrected 95% t-interval. A difference the test does not support is a tie.")
    for board, what in (("delivered", "delivered HV"), ("trajectory", "HV-AUC")):
        d = group.detectable[board]
        if d is not None:
            lines.append(power_line(board, what, d, group.family[board]))
    lines.append("Delivered HV intervals: over seeds and report problems (the task) where every seed kept its "
                 "per-problem values, else over seeds (that problem set), as marked. Training compute differs: a "
                 "single-policy entry trains |W| runs per seed, a preference-serving entry one; the tokens columns "
                 "give each, and no verdict is at equal compute.")
    lines.append(f"Ranked: entries with at least {MIN_RANKED_SEEDS} complete seeds, by their verdict against the "
                 "baseline on each board (delivered HV; HV-AUC): the entries better than it share the first rank, the "
                 "baseline and the entries level with it the next, those worse the last; within a rank the rows are "
                 "in order of mean, which the test does not separate; no verdict, no rank (docs/leaderboard.md). "
                 "Entries with fewer seeds are listed unranked.")
    return lines + [f"Not on the boards: {note}" for note in group.notes]


def power_line(board: str, what: str, d: Detectable, family: int) -> str:
    head = f"Smallest {what} difference the {board} family detects with power 0.8 (paired t, pooled SD)"
    if d.first is None or d.last is None:  # Holm's first step out of reach: nothing can be rejected at all
        return (f"{head}: none. Over {d.seeds} seeds (the most any comparison shares) the exact sign-flip test "
                f"that decides cannot give p below {sign_flip_floor(d.seeds):.4f}, and Holm's first step needs p "
                f"below α/{family} = {ALPHA / family:.4f}: every verdict on this board is a tie by construction, "
                "whatever the differences.")
    return f"{head}: {d.first:.4f} at Holm's first step (α/{family}), {d.last:.4f} at its last."


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def verdict_cell(row: Row3, test: str) -> str:
    if row.baseline:
        return "baseline"
    if row.not_tested:
        return row.not_tested
    t = row.tests.get(test)
    if t is None:
        return "-"
    return t.verdict if t.verdict.startswith("untested") else f"{t.verdict} (p {_p(t.adjusted_p)})"


def delta_cells(t: Test3 | None, digits: int) -> list[str]:
    if t is None:
        return ["-", "-", "-", "-"]
    return [format_interval(t.test.mean_difference, t.test.low, t.test.high, digits), _p(t.test.p_value),
            _p(t.exact_p), _p(t.adjusted_p)]


def hv_cell(row: Row3) -> str:
    mean, low, high, kind = row.interval
    return format_interval(mean, low, high, 4) + ("" if kind == "task" or low is None else " (seeds)")


def time_cell(row: Row3, level: int = HEADLINE) -> str:
    median, low, high, reached = km_median(row, level)
    if not row.values or not row.values[0].times:
        return "-"
    text = "unreached" if median is None else f"{median:g}"
    bounds = f" [{'-' if low is None else f'{low:g}'}, {'unreached' if high is None else f'{high:g}'}]"
    return f"{text}{bounds} ({reached}/{len(row.values)})"


def mean_cell(row: Row3, attr: str, digits: int) -> str:
    values = [getattr(v, attr) for v in row.values if getattr(v, attr) is not None]
    return format_interval(*t_interval(values), digits) if values else "-"


def average_cell(row: Row3, attr: str, digits: int) -> str:
    values = [getattr(v, attr) for v in row.values if getattr(v, attr) is not None]
    return f"{np.mean(values):.{digits}f}" if values else "-"


def rank_cell3(rank: int | None, row: Row3) -> str:
    if rank is not None:
        return str(rank)
    if not row.ranked:
        return f"unranked ({len(row.values)} seeds)"
    return "not tested" if row.not_tested else "no verdict"  # enough seeds, but no test against a baseline


HEADLINE_HEAD = ["rank", "entry", "delivered HV [95%]", "vs baseline (Holm p)", "HV-AUC",
                 f"steps to f={TARGET_LEVELS[HEADLINE]:g} (reached)", "training tokens", "seeds"]


def headline_rows(group: Group3, extra: Sequence[str] = (), highlight: str | None = None) -> list[list[str]]:
    """The headline table; ``extra``: registered metrics (``name`` or ``name/part``) as more columns; ``highlight``:
    an entry marked as the challenger."""
    return [[rank_cell3(r.rank, r), r.label + (" (challenger)" if r.label == highlight else ""), hv_cell(r),
             verdict_cell(r, "delivered"), average_cell(r, "auc", 4), time_cell(r), average_cell(r, "train_tokens", 0),
             seeds_cell(r), *(metric_cell(r, key) for key in extra)] for r in group.rows]


def seeds_cell(row: Row3) -> str:
    """Complete seeds, and how many of them `morlbench verify` reproduced."""
    verified = row.verified_seeds
    return f"{len(row.values)}" + (f" ({verified} verified)" if verified else "")


def metric_values(row: Row3, key: str) -> list[float]:
    values = [lookup(v.metrics, key) for v in row.values]
    return [float(x) for x in values if isinstance(x, (int, float)) and not isinstance(x, bool)]


def metric_cell(row: Row3, key: str) -> str:
    values = metric_values(row, key)
    return format_interval(*t_interval(values), 3) if values else "-"


DELIVERED_HEAD = ["rank", "entry", "method (package)", "seeds", "delivered HV [95%]", "Δ vs baseline [uncorrected 95%]",
                  "t p", "exact p", "Holm p", "verdict", "utility at W", "EUM", "training tokens",
                  "tokens with evaluation", "weights moved (L1)", "signal steps", "lr"]


def lr_cell(row: Row3) -> str:
    """The learning rates the entry's runs trained at (one, for an entry the protocol tuned or fixed)."""
    return ", ".join(f"{x:g}" for x in sorted({r.lr for r in row.entry.runs if r.lr is not None})) or "-"


def delivered_rows(group: Group3) -> list[list[str]]:
    out = []
    for r in group.rows:
        first = r.entry.first
        out.append([rank_cell3(r.rank, r), r.label, f"{first.method} ({first.package or 'run directories'})",
                    str(len(r.values)), hv_cell(r), *delta_cells(r.tests.get("delivered"), 4),
                    verdict_cell(r, "delivered"), mean_cell(r, "utility", 4), mean_cell(r, "eum", 4),
                    average_cell(r, "train_tokens", 0),
                    str(round(float(np.mean([v.train_tokens + v.eval_tokens for v in r.values])))),
                    average_cell(r, "weights_moved", 3), average_cell(r, "signal_share", 2), lr_cell(r)])
    return out


def trajectory_head() -> list[str]:
    return ["rank", "entry", "seeds", "HV-AUC [95%, seeds]", "Δ HV-AUC [uncorrected 95%]", "t p", "exact p",
            "Holm p", "verdict", "ahead at matched steps (descriptive)", *(f"steps to f={f:g}" for f in TARGET_LEVELS),
            "restricted mean steps",
            "Δ restricted steps [uncorrected 95%]", "t p", "exact p", "Holm p", "verdict (time)"]


def trajectory_rows(group: Group3) -> list[list[str]]:
    out = []
    for r in sorted(group.rows, key=board_order("auc")):
        rmst = restricted_mean(r)
        out.append([rank_cell3(r.trajectory_rank, r), r.label, str(len(r.values)), mean_cell(r, "auc", 4),
                    *delta_cells(r.tests.get("auc"), 4), verdict_cell(r, "auc"),
                    "-" if r.ahead is None else f"{r.ahead:.2f}",
                    *(time_cell(r, i) for i in range(len(TARGET_LEVELS))),
                    "-" if rmst is None or not math.isfinite(rmst) else f"{rmst:.1f}",
                    *delta_cells(r.tests.get("time"), 1), verdict_cell(r, "time")])
    return out


def fronts_of(group: Group3) -> list[tuple[str, Any]]:
    return [(r.label, np.vstack([v.delivered for v in r.values])) for r in group.rows]
