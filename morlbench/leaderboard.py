"""The leaderboard: tables regenerated from result files, ranked only within a comparability group.

Inputs: every ``*.json`` under the results directory (``morlbench submit`` writes them). Protocol-3 groups get
both boards (``morlbench.compare.board3``): the delivered front and the trajectory, with their fronts plotted;
protocol-2 groups are historical records, rendered as they were (``morlbench.compare.board``, with the stored
references of baselines/reference.json) after them and never mixed with them. Outputs: README.md, results.csv
(protocol 3), results-protocol2.csv, index.html and one SVG per protocol-3 group, written together (all or none)
and byte-identical for identical inputs (docs/leaderboard.md).
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from morlbench import registry
from morlbench.comparability import PROTOCOL_VERSION, group_name
from morlbench.compare.board import Group, analyse
from morlbench.compare.board3 import Group3, analyse3
from morlbench.compare.entries import group_records
from morlbench.compare.records import RunRecord, from_result
from morlbench.compare.render import csv_rows, group_text, html_page, markdown_cell, markdown_table, rank_cell
from morlbench.compare.render3 import (
    DELIVERED_HEAD,
    HEADLINE_HEAD,
    delivered_rows,
    fronts_of,
    group_text3,
    headline_rows,
    trajectory_head,
    trajectory_rows,
)
from morlbench.compare.svg import fronts_svg
from morlbench.compare.tables import BOARD_COLUMNS, Column, header, row_cells
from morlbench.compare.tables3 import csv3
from morlbench.errors import UsageError
from morlbench.reference import load_references, reference_for
from morlbench.results.atomic import write_together
from morlbench.results.resultfile import Result, ResultError, load_result


def load_results(results_dir: Path) -> tuple[list[Result], list[str]]:
    """Every result file under ``results_dir``, and one line per rejected file."""
    if not results_dir.is_dir():
        raise UsageError(f"--results {results_dir} is not a directory")
    accepted, rejected = [], []
    for path in sorted(results_dir.rglob("*.json")):
        try:
            accepted.append(load_result(path))
        except ResultError as exc:
            rejected.append(str(exc))
    return accepted, rejected


def group_id(key: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:8]


@dataclass
class Board:
    groups: list[Group3]
    historical: list[Group]
    rejected: list[str]
    extra: tuple[Column, ...] = ()

    @property
    def columns(self) -> tuple[Column, ...]:
        return BOARD_COLUMNS + self.extra

    @property
    def extra_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.extra)


def metric_column(key: str) -> Column:
    """A column for a registered metric (``name``, or ``name/part`` of a metric whose value is a mapping)."""
    name = key.partition("/")[0]
    if name not in registry.names("metrics"):
        registry.lookup("metrics", name)  # raises with the closest registered names
    return Column(key, key)


def protocol3_groups(records: list[RunRecord], refs: dict[str, Any]) -> list[Group3]:
    """Protocol-3 groups, those with ranked entries first."""
    by_key: dict[str, list[RunRecord]] = defaultdict(list)
    for record in records:
        by_key[record.group_key].append(record)
    groups = []
    for k, rs in sorted(by_key.items()):
        reference = reference_for(json.loads(k), refs)
        groups.append(analyse3(json.loads(k), rs, reference.front if reference else None))
    return sorted(groups, key=lambda g: (not any(r.rank for r in g.rows), group_name(g.key), group_id(g.key)))


def build(results_dir: Path, reference: Path | None, extra: tuple[str, ...] = ()) -> Board:
    """The board from every result file; ``extra`` names registered metrics shown as additional columns (of the
    headline tables; of the historical groups' tables)."""
    columns = tuple(metric_column(name) for name in extra)
    from morlbench.verify import verified

    results, rejected = load_results(results_dir)
    reproduced = verified(results_dir)
    records = [from_result(r) for r in results]
    for record, result in zip(records, results):
        record.verified = result.path.name in reproduced
    current = [r for r in records if r.protocol == PROTOCOL_VERSION]
    refs = load_references(reference)
    historical = [analyse(json.loads(k), entries, reference_for(json.loads(k), refs))
                  for k, entries in group_records([r for r in records if r.protocol != PROTOCOL_VERSION])]
    historical.sort(key=lambda g: (g.reference is None, group_name(g.key), json.dumps(g.key, sort_keys=True)))
    return Board(protocol3_groups(current, refs), historical, rejected, columns)


def details(summary: str, head: list[str], rows: list[list[str]]) -> list[str]:
    return [f"<details><summary>{summary}</summary>", "", *markdown_table(head, rows), "</details>", ""]


def render_markdown(board: Board) -> str:
    lines = ["# morlbench leaderboard", "",
             "Generated by `morlbench leaderboard` from `leaderboard/results/` (do not edit by hand). Entries are",
             "ranked within a comparability group and never across groups; every column is defined in",
             "docs/leaderboard.md (evaluation protocol 3: the delivered and trajectory boards).", ""]
    for group in board.groups:
        gid = group_id(group.key)
        lines += [f"## {markdown_cell(group_name(group.key))} (group {gid})", "",
                  f"![delivered fronts](fronts-{gid}.svg)", "", *(markdown_cell(t) for t in group_text3(group)), ""]
        lines += markdown_table(HEADLINE_HEAD + [c.key for c in board.extra], headline_rows(group, board.extra_keys))
        lines += details("Delivered board: every column", DELIVERED_HEAD, delivered_rows(group))
        lines += details("Trajectory board: every column", trajectory_head(), trajectory_rows(group))
    if not board.groups:
        lines += ["No protocol-3 results yet.", ""]
    if board.historical:
        lines += ["# Historical: evaluation protocol 2", "",
                  "Recorded under protocol 2 (fronts chosen from every evaluation; docs/leaderboard.md, "
                  "\"Protocol 2\"): kept as records, never mixed into protocol-3 groups. Each cell: mean over seeds "
                  "[95% t-interval].",
                  ""]
    cols = board.columns
    for group in board.historical:
        lines += [f"## {markdown_cell(group_name(group.key))} (group {group_id(group.key)})", "",
                  *(markdown_cell(t) for t in group_text(group)), ""]
        lines += markdown_table(["rank", *header(cols)], [[rank_cell(r), *row_cells(r, cols)] for r in group.rows])
    return "\n".join(lines)


def render_html(board: Board) -> str:
    sections = []
    for g in board.groups:
        gid = group_id(g.key)
        sections.append((f"{group_name(g.key)} (group {gid})", group_text3(g), HEADLINE_HEAD + list(board.extra_keys),
                         headline_rows(g, board.extra_keys),
                         fronts_svg(g.key["objectives"], fronts_of(g)),
                         [("Delivered board: every column", DELIVERED_HEAD, delivered_rows(g)),
                          ("Trajectory board: every column", trajectory_head(), trajectory_rows(g))]))
    for g in board.historical:
        sections.append((f"{group_name(g.key)} (group {group_id(g.key)})", group_text(g),
                         ["rank", *header(board.columns)], [[rank_cell(r), *row_cells(r, board.columns)]
                                                            for r in g.rows], "", []))
    return html_page("morlbench leaderboard", ["Ranked within a comparability group, never across groups; "
                                               "regenerate with morlbench leaderboard; columns defined in "
                                               "docs/leaderboard.md. Hover an entry in a plot to single it out; "
                                               "click a column header to sort."], sections)


def write_tables(board: Board, out_dir: Path) -> None:
    """Every output together (all or none), under a lock."""
    files = {"README.md": render_markdown(board), "results.csv": csv3(board.groups, group_id, board.extra_keys),
             "results-protocol2.csv": csv_rows(board.historical, group_id, board.columns),
             "index.html": render_html(board)}
    files.update({f"fronts-{group_id(g.key)}.svg": fronts_svg(g.key["objectives"], fronts_of(g))
                  for g in board.groups})
    write_together(out_dir, files)
    for stale in sorted(out_dir.glob("fronts-*.svg")):  # plots of groups that no longer exist
        if stale.name not in files:
            stale.unlink()


def write_leaderboard(results_dir: Path, out_dir: Path, reference: Path | None, extra: tuple[str, ...] = ()) -> Board:
    board = build(results_dir, reference, extra)
    write_tables(board, out_dir)
    return board
