"""The comparison report of many runs (suite or run directories, result files): Markdown, HTML, PNGs.

Runs are grouped by comparability key and analysed exactly as the leaderboard analyses result files
(``morlbench.compare.board``): entries valued per seed, compared with the static grid and the best static vector
by the paired test, ranked when they have enough seeds. HV_ref and the reference front come from a reference file
(``--reference``), never from the runs being compared.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from morlbench.comparability import group_name
from morlbench.compare.board import analyse
from morlbench.compare.entries import Entry, group_records
from morlbench.compare.records import RunRecord, from_result, from_run_dir
from morlbench.compare.render import group_text, html_page, markdown_table, rank_cell
from morlbench.compare.tables import BOARD_COLUMNS, header, row_cells
from morlbench.errors import UsageError
from morlbench.metrics.tradeoffs import tradeoff_summary
from morlbench.reference import Reference, reference_for
from morlbench.report.comparison_plots import plot_comparison
from morlbench.report.run_markdown import cosine_cell
from morlbench.results.atomic import atomic_write_text
from morlbench.results.resultfile import load_result  # its ResultError is a one-line UsageError
from morlbench.results.runcheck import run_dir_of
from morlbench.results.rundir import RunDir
from morlbench.sweep import SWEEP_RECORD


def find_records(paths: list[Path]) -> tuple[list[RunDir], list[RunRecord]]:
    """What ``paths`` hold for a comparison: the finished run directories (to rebuild their reports too) and every
    record — run directories, suite directories (the runs and committed result files their sweep.json lists),
    result files (``morlbench submit``) and directories of them. Refused in one line when there is nothing."""
    runs: list[RunDir] = []
    results: list[Path] = []
    for path in paths:
        if path.is_file():
            results.append(path)
        elif (path / "config.json").exists():
            runs += [run_dir_of(path)] if (path / "report.json").exists() else []
        elif path.is_dir() and (rows := sweep_rows(path)) is not None:
            # A suite: the runs its sweep record lists, not others below it (e.g. `morlbench tune`'s candidates).
            runs += [run_dir_of(path / r["dir"]) for r in rows if r.get("status") in FINISHED
                     and (path / r["dir"] / "report.json").exists()]
            results += listed_in_sweep(path, rows)
        elif path.is_dir():
            below = sorted(p.parent for p in path.rglob("config.json"))
            runs += [run_dir_of(p) for p in below if (p / "report.json").exists()]
            results += [p for p in sorted(path.rglob("*.json")) if p.name != SWEEP_RECORD
                        and not any(p.is_relative_to(run) for run in below)]
        else:
            raise UsageError(f"{path} does not exist")
    if not runs and not results:
        raise UsageError(f"no finished runs (with report.json) or result files under {', '.join(map(str, paths))}")
    return runs, [from_run_dir(run) for run in runs] + [from_result(load_result(p)) for p in results]


FINISHED = ("done", "skipped (done)")  # a sweep record's statuses of runs finished in its directory


def sweep_rows(suite_dir: Path) -> list[dict[str, Any]] | None:
    """The runs of the directory's sweep record (sweep.json), or None where no sweep ran there."""
    record = suite_dir / SWEEP_RECORD
    if not record.is_file():
        return None
    try:
        rows = json.loads(record.read_text())["runs"]
        if not all(isinstance(r, dict) and isinstance(r.get("dir"), str) for r in rows):
            raise TypeError
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
        raise UsageError(f"{record} is not a sweep record (JSON with \"runs\", each with a \"dir\"); remove it or "
                         "rerun the sweep") from None
    for row in rows:  # the sweep writes each run's directory below its own; anything else is not its record
        if Path(row["dir"]).is_absolute() or ".." in Path(row["dir"]).parts:
            raise UsageError(f"{record}: run directory {row['dir']!r} is outside {suite_dir}; a sweep record names "
                             "directories below its own (remove it or rerun the sweep)")
    return rows


def listed_in_sweep(suite_dir: Path, rows: list[dict[str, Any]]) -> list[Path]:
    """The result files of the runs a sweep skipped as committed (recorded elsewhere), from its sweep.json."""
    record = suite_dir / SWEEP_RECORD
    listed = [Path(r["result"]) for r in rows if r.get("status") == "skipped (committed)" and r.get("result")]
    for path in listed:
        if not path.is_file():
            raise UsageError(f"{record} lists the committed result {path}, which is not there (run the report from "
                             "the directory the sweep ran in)")
    return listed


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
    head: list[str]
    rows: list[list[str]]
    tradeoffs: list[list[str]]
    images: list[str]
    boards: list[tuple[str, list[str], list[list[str]]]] = field(default_factory=list)  # protocol 3's full tables
    svg: str = ""  # protocol 3's delivered fronts, inline in the HTML page


def build_section(index: int, key: dict, entries: dict[str, Entry], out: Path, reference: Reference | None
                  ) -> Section:
    names = entries[next(iter(entries))].records[0].objective_names
    group = analyse(key, entries, reference)
    prefix = f"group{index}"
    plot_comparison(out, prefix, names, {r.label: r.entry.records for r in group.rows})
    images = [f"{prefix}-{kind}.png" for kind in ("fronts", "parallel", "hypervolume", "weights")
              if (out / f"{prefix}-{kind}.png").exists()]
    rows = [[rank_cell(r), *row_cells(r, BOARD_COLUMNS)] for r in group.rows]
    return Section(f"Group {index}: {group_name(key)}", group_text(group), ["rank", *header(BOARD_COLUMNS)], rows,
                   tradeoff_rows(entries, names), images)


def render_markdown(sections: list[Section], runs: int) -> str:
    lines = ["# Comparison report", "", f"{runs} runs, {len(sections)} comparability group(s). Generated by "
             "`morlbench report`; tables and plots are rebuilt from the runs' own records; the columns are "
             "those of the leaderboard (docs/leaderboard.md).", ""]
    for s in sections:
        lines += [f"## {s.title}", "", *s.text, ""]
        lines += markdown_table(s.head, s.rows)
        for summary, head, rows in s.boards:
            lines += [f"### {summary}", "", *markdown_table(head, rows)]
        if s.tradeoffs:
            lines += ["Trade-offs (within-prompt reward correlation pooled over seeds, mean gradient cosine):", ""]
            lines += markdown_table(TRADEOFF_HEADER, s.tradeoffs)
        lines += [f"![{img}]({img})" for img in s.images] + [""]
    return "\n".join(lines)


def render_html(sections: list[Section], runs: int) -> str:
    parts = [(s.title, s.text, s.head, s.rows, s.svg, s.boards) for s in sections]
    trade = [(f"{s.title}: trade-offs", [], TRADEOFF_HEADER, s.tradeoffs) for s in sections if s.tradeoffs]
    return html_page("morlbench comparison", [f"{runs} runs, {len(sections)} comparability group(s)."],
                     parts + trade, [s.images for s in sections])


def write_comparison(records: list[RunRecord], out: Path, references: dict[str, Reference] | None = None,
                     highlight: str | None = None) -> Path:
    """Compare finished runs (``find_records``) into ``out``: comparison.md, index.html and the plots. Protocol-3
    groups get both boards (``morlbench.report.comparison3``; ``highlight``: an entry to mark, e.g. a challenger);
    protocol-2 groups the historical table."""
    from morlbench.comparability import PROTOCOL_VERSION
    from morlbench.report.comparison3 import section3

    out.mkdir(parents=True, exist_ok=True)
    current = [r for r in records if r.protocol == PROTOCOL_VERSION]
    keys = sorted({r.group_key for r in current})
    sections = []
    for i, key in enumerate(keys, 1):
        members = [r for r in current if r.group_key == key]
        made = section3(i, json.loads(key), members, out, highlight)
        trade = tradeoff_rows({label: Entry(label, runs) for label, runs in made["entries"].items()},
                              members[0].objective_names)
        sections.append(Section(made["title"], made["text"], made["head"], made["rows"], trade, made["images"],
                                made["boards"], made["svg"]))
    historical = group_records([r for r in records if r.protocol != PROTOCOL_VERSION], refuse_collisions=False)
    sections += [build_section(i, json.loads(key), entries, out, reference_for(json.loads(key), references or {}))
                 for i, (key, entries) in enumerate(historical, len(keys) + 1)]
    atomic_write_text(out / "comparison.md", render_markdown(sections, len(records)))
    atomic_write_text(out / "index.html", render_html(sections, len(records)))
    return out / "comparison.md"
