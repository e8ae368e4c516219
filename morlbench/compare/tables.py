"""Table cells and their rendering (Markdown, HTML, CSV) for the leaderboard and the comparison report."""
from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from morlbench.compare.values import lookup
from morlbench.metrics.stats import format_mean_ci, format_reached


@dataclass(frozen=True)
class Column:
    header: str
    key: str  # a metric name, a budget field, or metric/sub for one part of a mapping-valued metric
    digits: int = 3
    reached: bool = False  # a first-step count: mean over the seeds that reached it, "(reached/seeds)"

    def cell(self, per_seed: Sequence[dict[str, Any]]) -> str:
        values = [lookup(v, self.key) for v in per_seed]
        if self.reached:
            return format_reached(values)
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        return format_mean_ci(numbers, self.digits)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    if not rows:
        return []
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(row) + " |" for row in rows), ""]


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    esc = html.escape
    if not rows:
        return ""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
