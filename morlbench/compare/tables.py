"""The columns of comparison tables (the leaderboard's and the comparison report's): what each shows of a row."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from morlbench.compare.values import lookup
from morlbench.metrics.stats import format_interval, format_mean_ci, format_reached, t_interval


@dataclass(frozen=True)
class Column:
    header: str
    key: str  # a metric name, a budget field, metric/part of a mapping-valued metric, or a baseline role
    digits: int = 3
    kind: str = "mean"  # mean [t-interval]; reached (first steps); delta or verdict (against a baseline); average

    def values(self, row: Any) -> list[Any]:
        return [lookup(v, self.key) for v in row.per_seed]

    def cell(self, row: Any) -> str:
        if self.kind in ("delta", "verdict"):
            return comparison_cell(row, self.key, self.kind, self.digits)
        values = self.values(row)
        if self.kind == "reached":  # "-" where it was not computed (no HV_ref), not "unreached"
            computed = any(self.key.partition("/")[0] in v for v in row.per_seed)
            return format_reached(values) if computed else "-"
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if self.kind == "average":
            mean, _, _ = t_interval(numbers)
            return format_interval(mean, None, None, self.digits)
        return format_mean_ci(numbers, self.digits)


def comparison_cell(row: Any, role: str, kind: str, digits: int) -> str:
    c = row.comparisons.get(role)
    if c is None:
        return "-"
    if kind == "delta":
        return format_interval(c.test.mean_difference, c.test.low, c.test.high, digits)
    if c.test.n < 2:
        return f"{c.verdict} (untested: {c.test.n} shared seed{'' if c.test.n == 1 else 's'})"
    p = "" if c.adjusted_p is None else f" (p {c.adjusted_p:.3f})"
    return c.verdict + p


TAUS = ("0.8", "0.9", "0.95", "1.0")
BOARD_COLUMNS = (
    Column("hypervolume", "hypervolume", 4),
    Column("Δ vs grid", "grid", 4, "delta"), Column("vs grid", "grid", kind="verdict"),
    Column("Δ vs best static", "best static", 4, "delta"), Column("vs best static", "best static", kind="verdict"),
    Column("EUM", "eum"), Column("IGD+", "igd-plus"),
    *(Column(f"steps to {t}·HV_ref", f"steps-to-front/{t}", kind="reached") for t in TAUS),
    Column("HV-AUC", "hv-auc"),
    Column("weights moved (L1)", "weights_moved", kind="average"),
    Column("signal steps", "signal_share", 2, "average"),
    Column("tokens", "tokens", 0), Column("tokens with evaluation", "tokens_with_eval", 0),
)


def header(columns: Sequence[Column]) -> list[str]:
    return ["entry", "method (package)", "seeds", *(c.header for c in columns)]


def row_cells(row: Any, columns: Sequence[Column]) -> list[str]:
    e = row.entry
    return [e.label, f"{e.method} ({e.package or 'run directories'})", ",".join(map(str, e.seeds)),
            *(c.cell(row) for c in columns)]
