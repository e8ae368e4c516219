"""The comparison report of many runs (a suite directory or several run directories): Markdown, HTML, PNGs.

Runs are grouped by comparability key and compared only within a group. An entry is a label (a method with
its settings: the suite's directory label, or the method, weights and options); its numbers are the mean over
seeds with a 95% bootstrap interval. When a group holds several ``static`` entries they also form the static
grid: per seed, the union of their points, the reference of the C-metric and (unless a stored HV_ref is given)
of steps-to-front, as in the paper (docs/suites.md).
"""
from __future__ import annotations

import html
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from morlbench.metrics.pareto import TABLE_TAUS as TAUS
from morlbench.metrics.pareto import c_metric, front_points, front_summary, hypervolume, nondominated, record_points
from morlbench.metrics.stats import format_mean_ci, format_reached
from morlbench.metrics.tradeoffs import tradeoff_summary
from morlbench.report.run_report import cosine_cell
from morlbench.report.plots import plot_comparison
from morlbench.results.atomic import atomic_write_text
from morlbench.results.rundir import RunDir, open_run
from morlbench.results.submission import default_label
from morlbench.spec import describe_comparability

GRID = "static grid"


@dataclass
class Entry:
    label: str
    runs: list[RunDir] = field(default_factory=list)

    @property
    def seeds(self) -> list[int]:
        return [r.config()["spec"]["seed"] for r in self.runs]


def find_runs(paths: list[Path]) -> list[RunDir]:
    """Finished run directories: the paths themselves, or every one below them (a suite directory)."""
    found = []
    for path in paths:
        candidates = [path] if (path / "config.json").exists() else sorted(p.parent for p in path.rglob("config.json"))
        found += [open_run(p) for p in candidates if (p / "report.json").exists()]
    return found


def label_of(run: RunDir) -> str:
    """The suite's label (runs live in TASK/LABEL/seedS), else the method with its weights and options."""
    return run.path.parent.name if run.path.name.startswith("seed") else default_label(run.config()["spec"])


def group_runs(runs: list[RunDir]) -> dict[str, dict[str, Entry]]:
    groups: dict[str, dict[str, Entry]] = defaultdict(dict)
    for run in runs:
        key = json.dumps(run.config()["comparability"], sort_keys=True)
        label = label_of(run)
        groups[key].setdefault(label, Entry(label)).runs.append(run)
    for entries in groups.values():
        for entry in entries.values():
            entry.runs.sort(key=lambda r: r.config()["spec"]["seed"])
    return groups


@dataclass
class GridRun:
    """The static grid of one seed seen as one run: at each evaluation step, the points of all its runs; its
    rollouts, tokens and training seconds are the sums over its runs (the grid spends their budget together)."""

    seed: int
    evals: list[dict[str, Any]]
    metrics: list[dict[str, Any]]

    def config(self) -> dict[str, Any]:
        return {"spec": {"seed": self.seed, "method": "static"}}


def static_grid(entries: dict[str, Entry]) -> Entry | None:
    """The static entries together, per seed, when there are at least two of them."""
    static = [e for e in entries.values() if e.runs[0].config()["spec"]["method"] == "static"]
    if len(static) < 2:
        return None
    by_seed: dict[int, list[RunDir]] = defaultdict(list)
    for entry in static:
        for run in entry.runs:
            by_seed[run.config()["spec"]["seed"]].append(run)
    grid = Entry(f"{GRID} ({len(static)} runs per seed)")
    for seed, runs in sorted(by_seed.items()):
        steps = sorted(set.intersection(*({e["step"] for e in run.evals} for run in runs)))
        evals = []
        for step in steps:
            records = [next(e for e in run.evals if e["step"] == step) for run in runs]
            evals.append({"step": step, "rollouts": sum(r["rollouts"] for r in records),
                          "tokens": sum(r["tokens"] for r in records),
                          "points": [{"objectives": p} for r in records for p in record_points(r)]})
        seconds = sum(run.metrics[-1]["train_seconds"] for run in runs if run.metrics)
        grid.runs.append(GridRun(seed, evals, [{"train_seconds": seconds}]))
    return grid


def entry_row(entry: Entry, union: np.ndarray, grid: Entry | None, hv_ref: float | None) -> dict[str, str]:
    v: dict[str, list] = defaultdict(list)
    for run in entry.runs:
        summary, seed = front_summary(run.evals, union, hv_ref), run.config()["spec"]["seed"]
        for column in ("hypervolume", "eum", "igd_plus", "cardinality", "tokens"):
            v[column].append(summary[column])
        for tau in TAUS:
            v[f"tau{tau}"].append(summary["steps_to"][tau])
        grid_run = next((g for g in grid.runs if g.seed == seed), None) if grid else None
        if grid_run is not None:
            points, grid_points = front_points(run.evals), front_points(grid_run.evals)
            v["c_vs"].append(c_metric(points, grid_points))
            v["c_by"].append(c_metric(grid_points, points))
        v["seconds"].append(float(run.metrics[-1]["train_seconds"]) if run.metrics else float("nan"))
    return {"entry": entry.label, "seeds": ",".join(map(str, entry.seeds)),
            "hypervolume": format_mean_ci(v["hypervolume"], 4), "EUM": format_mean_ci(v["eum"]),
            "IGD+": format_mean_ci(v["igd_plus"]), "cardinality": format_mean_ci(v["cardinality"], 1),
            **{f"steps to {t}·HV_ref": format_reached(v[f"tau{t}"]) if hv_ref else "-" for t in TAUS},
            "C(entry, grid)": format_mean_ci(v["c_vs"], 2), "C(grid, entry)": format_mean_ci(v["c_by"], 2),
            "tokens": format_mean_ci(v["tokens"], 0), "train s": format_mean_ci(v["seconds"], 0)}


def tradeoff_rows(entries: dict[str, Entry], names: list[str]) -> list[dict[str, str]]:
    """Per entry and objective pair: correlation within prompts (pooled over the entry's seeds) and mean cosine."""
    rows = []
    for entry in entries.values():
        metrics = [m for run in entry.runs for m in run.metrics]
        summary = tradeoff_summary(names, metrics) if metrics else None
        if summary is None:
            continue
        for pair in summary["pairs"]:
            rows.append({"entry": entry.label, "pair": " / ".join(pair["objectives"]),
                         "correlation": "n/a" if pair["correlation"] is None else f"{pair['correlation']:+.2f}",
                         "gradient cosine": cosine_cell(pair),
                         "verdict": pair["verdict"]})
    return rows


@dataclass
class Section:
    title: str
    text: list[str]
    tables: list[list[dict[str, str]]]
    images: list[str]


def build_sections(groups: dict[str, dict[str, Entry]], out: Path, hv_ref_given: float | None) -> list[Section]:
    sections = []
    for index, key_text in enumerate(sorted(groups), 1):
        key, entries = json.loads(key_text), groups[key_text]
        names = entries[next(iter(entries))].runs[0].config()["task"]["objectives"]
        grid = static_grid(entries)
        static_count = sum(e.runs[0].config()["spec"]["method"] == "static" for e in entries.values())
        hv_ref, ref_source = hv_ref_given, "given with --hv-ref"
        if hv_ref is None and grid:
            hv_ref = float(np.mean([hypervolume(record_points(g.evals[-1])) for g in grid.runs]))
            ref_source = "the static grid's final front, mean over seeds"
        union = nondominated(np.vstack([front_points(r.evals) for e in entries.values() for r in e.runs]))
        compared = {**entries, **({grid.label: grid} if grid else {})}
        rows = sorted((entry_row(e, union, grid, hv_ref) for e in compared.values()),
                      key=lambda row: (-float(row["hypervolume"].split()[0]), row["entry"]))
        prefix = f"group{index}"
        plot_comparison(out, prefix, names, {label: e.runs for label, e in sorted(compared.items())})
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
        sections.append(Section(f"Group {index}: {key['task_version']}", text,
                                [rows, tradeoff_rows(entries, names)], images))
    return sections


def _md_table(rows: list[dict[str, str]]) -> list[str]:
    if not rows:
        return []
    header = list(rows[0])
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(row[h] for h in header) + " |" for row in rows), ""]


def render_markdown(sections: list[Section], runs: int) -> str:
    lines = ["# Comparison report", "", f"{runs} runs, {len(sections)} comparability group(s). Generated by "
             "`morlbench report`; tables and plots are rebuilt from the run directories alone.", ""]
    for s in sections:
        lines += [f"## {s.title}", "", *s.text, ""]
        lines += _md_table(s.tables[0])
        if s.tables[1]:
            lines += ["Trade-offs (within-prompt reward correlation pooled over seeds, mean gradient cosine):", ""]
            lines += _md_table(s.tables[1])
        lines += [f"![{img}]({img})" for img in s.images] + [""]
    return "\n".join(lines)


def render_html(sections: list[Section], runs: int) -> str:
    esc = html.escape

    def table(rows):
        if not rows:
            return ""
        head = "".join(f"<th>{esc(h)}</th>" for h in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row.values()) + "</tr>" for row in rows)
        return f"<table><tr>{head}</tr>{body}</table>"

    parts = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8"><title>morlbench comparison</title>',
             "<style>body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;"
             "margin:1em 0}td,th{border:1px solid #bbb;padding:3px 6px;font-size:13px}th{background:#eee}"
             "img{max-width:100%}</style></head><body>", "<h1>Comparison report</h1>",
             f"<p>{runs} runs, {len(sections)} comparability group(s).</p>"]
    for s in sections:
        parts += [f"<h2>{esc(s.title)}</h2>", *(f"<p>{esc(t)}</p>" for t in s.text), table(s.tables[0]),
                  table(s.tables[1]), *(f'<p><img src="{esc(i)}" alt="{esc(i)}"></p>' for i in s.images)]
    return "\n".join(parts + ["</body></html>"]) + "\n"


def write_comparison(runs: list[RunDir], out: Path, hv_ref: float | None = None) -> Path:
    """Compare finished runs (``find_runs``) into ``out``: comparison.md, index.html and the plots."""
    out.mkdir(parents=True, exist_ok=True)
    sections = build_sections(group_runs(runs), out, hv_ref)
    atomic_write_text(out / "comparison.md", render_markdown(sections, len(runs)))
    atomic_write_text(out / "index.html", render_html(sections, len(runs)))
    return out / "comparison.md"
