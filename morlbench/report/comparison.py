"""The comparison report of many runs (a suite directory or several run directories): Markdown, HTML, PNGs.

Runs are grouped by comparability key and compared only within a group (``morlbench.compare``, the core the
leaderboard uses too). An entry is a label (a method with its settings: the suite's directory label, or the
method, weights and options); its numbers are the mean over seeds with a 95% bootstrap interval. When a group
holds several ``static`` entries they also form the static grid: per seed, the union of their points, the
reference of the C-metric and (unless a stored HV_ref is given) of steps-to-front, as in the paper.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from morlbench.comparability import describe_comparability
from morlbench.compare.entries import Entry, group_records, static_grid, union_front
from morlbench.compare.records import RunRecord, from_run_dir
from morlbench.compare.tables import Column, html_table, markdown_table
from morlbench.compare.values import GroupContext, entry_values
from morlbench.metrics.front import front_points
from morlbench.metrics.pareto import hypervolume
from morlbench.metrics.tradeoffs import tradeoff_summary
from morlbench.report.comparison_plots import plot_comparison
from morlbench.report.run_markdown import cosine_cell
from morlbench.results.atomic import atomic_write_text
from morlbench.results.rundir import RunDir, open_run

TAUS = ("0.9", "0.95")
COLUMNS = (Column("hypervolume", "hypervolume", 4), Column("EUM", "eum"), Column("IGD+", "igd-plus"),
           Column("cardinality", "front", 1))
BUDGET = (Column("C(entry, grid)", "c_vs_grid", 2), Column("C(grid, entry)", "c_by_grid", 2),
          Column("tokens", "tokens", 0), Column("train s", "train_seconds", 0))


def find_runs(paths: list[Path]) -> list[RunDir]:
    """Finished run directories: the paths themselves, or every one below them (a suite directory)."""
    found = []
    for path in paths:
        candidates = [path] if (path / "config.json").exists() else sorted(p.parent for p in path.rglob("config.json"))
        found += [open_run(p) for p in candidates if (p / "report.json").exists()]
    return found


def entry_row(entry: Entry, ctx: GroupContext) -> list[str]:
    per_seed = entry_values(entry, ctx)
    steps = [Column(f"steps to {t}·HV_ref", f"steps-to-front/{t}", reached=True) for t in TAUS]
    cells = [c.cell(per_seed) for c in COLUMNS] + [c.cell(per_seed) if ctx.hv_ref else "-" for c in steps]
    return [entry.label, ",".join(map(str, entry.seeds)), *cells, *(c.cell(per_seed) for c in BUDGET)]


HEADER = ["entry", "seeds", *(c.header for c in COLUMNS), *(f"steps to {t}·HV_ref" for t in TAUS),
          *(c.header for c in BUDGET)]


def tradeoff_rows(entries: dict[str, Entry], names: list[str]) -> list[list[str]]:
    """Per entry and objective pair: correlation within prompts (pooled over the entry's seeds) and mean cosine."""
    rows = []
    for entry in entries.values():
        metrics = [m for record in entry.records for m in record.step_metrics]
        summary = tradeoff_summary(names, metrics) if metrics else None
        for pair in summary["pairs"] if summary else []:
            rows.append([entry.label, " / ".join(pair["objectives"]),
                         "n/a" if pair["correlation"] is None else f"{pair['correlation']:+.2f}", cosine_cell(pair),
                         pair["verdict"]])
    return rows


TRADEOFF_HEADER = ["entry", "pair", "correlation", "gradient cosine", "verdict"]


@dataclass
class Section:
    title: str
    text: list[str]
    rows: list[list[str]]
    tradeoffs: list[list[str]]
    images: list[str]


def _hv_reference(grid: Entry | None, given: float | None) -> tuple[float | None, str]:
    if given is not None:
        return given, "given with --hv-ref"
    if grid is None:
        return None, ""
    return float(np.mean([hypervolume(front_points(g.evals)) for g in grid.records])), \
        "the static grid's front, mean over seeds"


def build_section(index: int, key: dict, entries: dict[str, Entry], out: Path, hv_ref_given: float | None) -> Section:
    names = entries[next(iter(entries))].records[0].objective_names
    grid = static_grid(entries)
    static_count = sum(e.method == "static" for e in entries.values())
    hv_ref, ref_source = _hv_reference(grid, hv_ref_given)
    ctx = GroupContext(union_front(entries), hv_ref, grid)
    compared = {**entries, **({grid.label: grid} if grid else {})}
    rows = sorted((entry_row(e, ctx) for e in compared.values()), key=lambda row: (-float(row[2].split()[0]), row[0]))
    prefix = f"group{index}"
    plot_comparison(out, prefix, names, {label: e.records for label, e in sorted(compared.items())})
    described = describe_comparability(key)
    text = [described[0].upper() + described[1:] + ".",
            f"HV_ref = {hv_ref:.4f} ({ref_source})." if hv_ref else "No HV_ref: no static grid here and none "
            "given (--hv-ref); steps-to-front not computed.",
            f"Static grid: the {static_count} static entries together, per seed (its row sums their tokens and "
            "seconds; the reference of the C-metric)." if grid else
            "No static grid (fewer than two static entries): no C-metric.",
            "Each cell: mean over seeds [95% bootstrap interval]. IGD+ against the union of every front in this "
            "group (lower is better); C(A, B): share of B's front weakly dominated by A's."]
    images = [f"{prefix}-{kind}.png" for kind in ("fronts", "parallel", "hypervolume", "weights")
              if (out / f"{prefix}-{kind}.png").exists()]
    return Section(f"Group {index}: {key['task_version']}", text, rows, tradeoff_rows(entries, names), images)


def render_markdown(sections: list[Section], runs: int) -> str:
    lines = ["# Comparison report", "", f"{runs} runs, {len(sections)} comparability group(s). Generated by "
             "`morlbench report`; tables and plots are rebuilt from the run directories alone.", ""]
    for s in sections:
        lines += [f"## {s.title}", "", *s.text, ""]
        lines += markdown_table(HEADER, s.rows)
        if s.tradeoffs:
            lines += ["Trade-offs (within-prompt reward correlation pooled over seeds, mean gradient cosine):", ""]
            lines += markdown_table(TRADEOFF_HEADER, s.tradeoffs)
        lines += [f"![{img}]({img})" for img in s.images] + [""]
    return "\n".join(lines)


def render_html(sections: list[Section], runs: int) -> str:
    esc = html.escape
    parts = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8"><title>morlbench comparison</title>',
             "<style>body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;"
             "margin:1em 0}td,th{border:1px solid #bbb;padding:3px 6px;font-size:13px}th{background:#eee}"
             "img{max-width:100%}</style></head><body>", "<h1>Comparison report</h1>",
             f"<p>{runs} runs, {len(sections)} comparability group(s).</p>"]
    for s in sections:
        parts += [f"<h2>{esc(s.title)}</h2>", *(f"<p>{esc(t)}</p>" for t in s.text), html_table(HEADER, s.rows),
                  html_table(TRADEOFF_HEADER, s.tradeoffs),
                  *(f'<p><img src="{esc(i)}" alt="{esc(i)}"></p>' for i in s.images)]
    return "\n".join(parts + ["</body></html>"]) + "\n"


def write_comparison(runs: list[RunDir], out: Path, hv_ref: float | None = None) -> Path:
    """Compare finished runs (``find_runs``) into ``out``: comparison.md, index.html and the plots."""
    out.mkdir(parents=True, exist_ok=True)
    records: list[RunRecord] = [from_run_dir(run) for run in runs]
    sections = [build_section(i, json.loads(key), entries, out, hv_ref)
                for i, (key, entries) in enumerate(group_records(records), 1)]
    atomic_write_text(out / "comparison.md", render_markdown(sections, len(runs)))
    atomic_write_text(out / "index.html", render_html(sections, len(runs)))
    return out / "comparison.md"
