"""results.csv of the protocol-3 groups: numbers only in numeric columns, one line per entry of every group."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Any

from morlbench.comparability import group_name
from morlbench.compare.board3 import Group3, Row3, Test3, km_median, restricted_mean
from morlbench.compare.render import csv_number as number  # one rule for the CSV's numbers
from morlbench.metrics.stats import t_interval

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text(value: Any) -> str:
    """A text cell no spreadsheet runs as a formula."""
    value = str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def test_cells(t: Test3 | None) -> list[str]:
    if t is None:
        return ["", "", "", "", "", "", ""]
    return [number(t.test.mean_difference), number(t.test.low), number(t.test.high), number(t.test.p_value),
            number(t.exact_p), number(t.adjusted_p), t.verdict]


def mean_of(row: Row3, attr: str) -> list[str]:
    mean, low, high = t_interval([getattr(v, attr) for v in row.values if getattr(v, attr) is not None])
    return [number(mean), number(low), number(high)]


TEST = ("difference", "diff_low", "diff_high", "t_p", "exact_p", "holm_p", "verdict")  # a comparison's columns


def triple(name: str) -> list[str]:
    return [f"{name}_mean", f"{name}_low", f"{name}_high"]


HEAD = ["group", "group_name", "task_version", "model", "steps", "batch", "eval_every", "preferences", "rank",
        "trajectory_rank", "baseline", "entry", "method", "package", "seeds", *triple("delivered_hv"),
        "delivered_hv_interval", *(f"delivered_{c}" for c in TEST), *triple("utility"), *triple("eum"),
        *triple("hv_auc"), *(f"hv_auc_{c}" for c in TEST), "steps_to_target_median", "steps_to_target_low",
        "steps_to_target_high", "steps_to_target_reached", "restricted_mean_steps", *(f"time_{c}" for c in TEST),
        "training_tokens_mean", "eval_tokens_mean", "not_tested", "verified_seeds"]


def csv3(groups: Sequence[Group3], group_id: Callable[[dict[str, Any]], str], extra: Sequence[str] = ()) -> str:
    """``extra``: registered metrics shown as columns (mean, low, high each)."""
    from morlbench.compare.render3 import metric_values

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = [k.replace("/", "_").replace(" ", "_") for k in extra]
    writer.writerow(HEAD + [column for n in names for column in triple(n)])
    for g in groups:
        key = g.key
        for r in g.rows:
            first = r.entry.first
            mean, low, high, kind = r.interval
            median, m_low, m_high, reached = km_median(r)
            rmst = restricted_mean(r)
            writer.writerow([
                group_id(key), text(group_name(key)), text(key["task_version"]), text(key["model"]), key["steps"],
                key["batch"], key["eval_every"], text(key["preferences"]), "" if r.rank is None else r.rank,
                "" if r.trajectory_rank is None else r.trajectory_rank, int(r.baseline), text(r.label),
                text(first.method), text(first.package), len(r.values), number(mean), number(low), number(high), kind,
                *test_cells(r.tests.get("delivered")), *mean_of(r, "utility"), *mean_of(r, "eum"), *mean_of(r, "auc"),
                *test_cells(r.tests.get("auc")), number(median, 1), number(m_low, 1), number(m_high, 1), reached,
                number(rmst, 3), *test_cells(r.tests.get("time")),
                number(sum(v.train_tokens for v in r.values) / len(r.values), 1),
                number(sum(v.eval_tokens for v in r.values) / len(r.values), 1), text(r.not_tested or ""),
                r.verified_seeds,
                *(number(x) for key in extra for x in t_interval(metric_values(r, key)))])
    return out.getvalue()
