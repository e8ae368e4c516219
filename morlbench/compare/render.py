"""Rendering comparison tables: Markdown cells that cannot break a row, a sortable HTML page with every text
escaped, and a CSV of numbers with the interval bounds in columns of their own."""
from __future__ import annotations

import csv
import html
import io
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from morlbench.comparability import describe_comparability, group_name
from morlbench.compare.board import Group, Row
from morlbench.compare.tables import Column
from morlbench.metrics.stats import ALPHA, HISTORICAL_RANKED_SEEDS, t_interval


def markdown_cell(text: Any) -> str:
    """Text safe inside a Markdown table and a rendered page: no row breaks, no column splits, no HTML."""
    return (str(text).replace("\r", " ").replace("\n", " ").replace("&", "&amp;").replace("|", "\\|")
            .replace("<", "&lt;").replace(">", "&gt;"))


def markdown_table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A Markdown table whose cells cannot break it (``markdown_cell``), then a blank line; nothing for no rows."""
    if not rows:
        return []
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
            *("| " + " | ".join(markdown_cell(c) for c in row) + " |" for row in rows), ""]


def group_text(group: Group) -> list[str]:
    """What a reader needs to read one group's table."""
    ref = group.reference
    lines = [describe_comparability(group.key) + "."]
    if ref is None:
        lines.append("No reference is recorded for this group: steps-to-front, HV-AUC and IGD+ are not computed "
                     "(a reference is never derived from the entries it ranks).")
    elif "seeds" not in ref.provenance:
        lines.append(f"Reference: HV_ref = {ref.hv_ref} ({ref.provenance.get('source', '?')}); no reference front "
                     "is recorded, so IGD+ is not computed.")
    else:
        p = ref.provenance
        lines.append(f"Reference: HV_ref = {ref.hv_ref} and the reference front from {p.get('source', '?')} "
                     f"(seeds {', '.join(map(str, p.get('seeds', [])))}; {p.get('budget', '?')}; "
                     "baselines/reference.json). IGD+ is against the reference front.")
    best = f", {group.best_static}" if group.best_static else ""
    lines.append(f"Δ and verdicts: paired t-test of the run's front hypervolume over the seeds an entry shares with "
                 f"the baseline (the static grid; the best static vector{best}), Holm-corrected across the group, "
                 f"α = {ALPHA}; a difference the test does not support is a tie.")
    if group.detectable is not None:
        lines.append(f"Minimum detectable hypervolume difference against the grid at {group.seeds} seeds "
                     f"(paired t, two-sided α = {ALPHA}, power 0.8): {group.detectable:.4f}.")
    if group.noise_sd is not None:
        lines.append(f"Evaluation noise of one run's front hypervolume (report problems resampled): SD "
                     f"{group.noise_sd:.4f}.")
    lines.append(f"Ranked: entries with at least {HISTORICAL_RANKED_SEEDS} seeds, by mean hypervolume; the others are "
                 "listed unranked. Intervals: 95% t-intervals over seeds.")
    return lines


def rank_cell(row: Row) -> str:
    if row.baseline:
        return "baseline"
    seeds = len(row.seeds)
    return str(row.rank) if row.rank is not None else f"unranked ({seeds} seed{'' if seeds == 1 else 's'})"


SORT_SCRIPT = """<script>
document.querySelectorAll("table.sortable th").forEach(function (th, column) {
  th.addEventListener("click", function () {
    var body = th.closest("table").tBodies[0], rows = Array.from(body.rows);
    var up = th.dataset.order !== "up"; th.dataset.order = up ? "up" : "down";
    function key(row) { var t = row.cells[column].textContent.trim(), n = parseFloat(t); return isNaN(n) ? t : n; }
    rows.sort(function (a, b) { var x = key(a), y = key(b);
      var c = (typeof x === typeof y) ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === "number" ? -1 : 1);
      return up ? c : -c; });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
</script>"""


def html_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    esc = html.escape
    cells = "".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return (f'<table class="sortable"><thead><tr>{"".join(f"<th>{esc(str(h))}</th>" for h in head)}</tr></thead>'
            f"<tbody>{cells}</tbody></table>")


def prose(text: str) -> str:
    """A line of the Markdown prose as HTML: escaped, with `code` spans as <code> (never shown as backticks)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def html_page(title: str, intro: Sequence[str], sections: Sequence[Sequence[Any]],
              images: Sequence[Sequence[str]] = ()) -> str:
    """A page of sections: (heading, texts, head, rows), optionally followed by an inline SVG and a list of
    (summary, head, rows) tables folded under <details>."""
    esc = html.escape
    parts = ["<!doctype html>", f'<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>',
             "<style>body{font-family:sans-serif;margin:2em;max-width:1600px}table{border-collapse:collapse;"
             "margin:1em 0;font-size:13px}td,th{border:1px solid #bbb;padding:3px 6px;text-align:left}"
             "th{background:#eee;cursor:pointer}img{max-width:100%}</style></head><body>", f"<h1>{esc(title)}</h1>",
             *(f"<p>{prose(t)}</p>" for t in intro)]
    for i, (heading, texts, head, rows, *more) in enumerate(sections):
        parts += [f"<h2>{esc(heading)}</h2>"]
        if more and more[0]:
            parts.append(more[0])  # an SVG built from escaped text (morlbench.compare.svg)
        parts += [*(f"<p>{prose(t)}</p>" for t in texts), html_table(head, rows)]
        for summary, sub_head, sub_rows in (more[1] if len(more) > 1 else []):
            parts += [f"<details><summary>{esc(summary)}</summary>", html_table(sub_head, sub_rows), "</details>"]
        for image in images[i] if i < len(images) else ():
            parts.append(f'<p><img src="{esc(image)}" alt="{esc(image)}"></p>')
    parts += [SORT_SCRIPT, "</body></html>"]
    return "\n".join(parts) + "\n"


def csv_number(value: float | None, digits: int = 6) -> str:
    """A CSV cell of a number: empty where undefined or not finite."""
    return "" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def csv_rows(groups: Sequence[Any], group_id: Callable[[dict[str, Any]], str], columns: Sequence[Column]) -> str:
    """One line per row of every group: identification, then for each measured column its mean and interval
    bounds (empty where undefined), for each steps-to-front column the mean step and the seeds that reached it,
    for each comparison the difference, its bounds, the Holm-adjusted p-value and the verdict."""
    head = ["group", "group_name", "task_version", "model", "steps", "batch", "rank", "baseline", "entry", "method",
            "package", "seeds", "seed_list"]
    for c in columns:
        name = c.key.replace("/", "_").replace(" ", "_")
        if c.kind == "mean":
            head += [f"{name}_mean", f"{name}_low", f"{name}_high"]
        elif c.kind == "reached":
            head += [f"{name}_mean_step", f"{name}_reached"]
        elif c.kind == "average":
            head += [f"{name}_mean"]
        elif c.kind == "delta":
            head += [f"{name}_difference", f"{name}_low", f"{name}_high", f"{name}_p_holm"]
        elif c.kind == "verdict":
            head += [f"{name}_verdict"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(head)
    for g in groups:
        key = g.key
        for row in g.rows:
            line = [group_id(key), group_name(key), key["task_version"], key["model"], key["steps"], key["batch"],
                    "" if row.rank is None else row.rank, int(row.baseline), row.entry.label, row.entry.method,
                    row.entry.package, len(row.seeds), " ".join(map(str, row.seeds))]
            for c in columns:
                line += _csv_cells(row, c)
            writer.writerow(line)
    return out.getvalue()


def _csv_cells(row: Any, c: Column) -> list[str]:
    values = [v for v in c.values(row) if isinstance(v, (int, float)) and not isinstance(v, bool)] \
        if c.kind not in ("delta", "verdict") else []
    if c.kind == "mean":
        mean, low, high = t_interval(values)
        return [csv_number(mean), csv_number(low), csv_number(high)]
    if c.kind == "average":
        return [csv_number(t_interval(values)[0])]
    if c.kind == "reached":
        hits = [v for v in c.values(row)]
        reached = [h for h in hits if h is not None]
        return [csv_number(sum(reached) / len(reached), 1) if reached else "", str(len(reached))]
    comparison = row.comparisons.get(c.key)
    if c.kind == "delta":
        if comparison is None:
            return ["", "", "", ""]
        t = comparison.test
        return [csv_number(t.mean_difference), csv_number(t.low), csv_number(t.high),
                csv_number(comparison.adjusted_p)]
    return ["" if comparison is None else comparison.verdict]
