"""The delivered fronts of a protocol-3 group as one SVG: every entry's delivered points over its seeds, in
pairwise projections of the objectives. Written by hand, so that the same results give the same bytes; in the
HTML page the SVG is inline and hovering an entry (its points or its legend line) fades the others."""
from __future__ import annotations

import html
import itertools
from collections.abc import Sequence

import numpy as np

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39")
PANEL, PAD = 220, 36
STYLE = ("<style>.e{transition:opacity .1s}svg.fronts:hover .e{opacity:.12}svg.fronts .e:hover{opacity:1}"
         "text{font:11px sans-serif}</style>")


def _panel(x0: int, names: tuple[str, str]) -> list[str]:
    """One projection's frame: axes on [0, 1] x [0, 1] and their names."""
    parts = [f'<rect x="{x0 + PAD}" y="{PAD // 2}" width="{PANEL}" height="{PANEL}" fill="none" stroke="#999"/>',
             f'<text x="{x0 + PAD + PANEL // 2}" y="{PANEL + PAD // 2 + 28}" text-anchor="middle">'
             f"{html.escape(names[0])}</text>",
             f'<text transform="translate({x0 + 12},{PAD // 2 + PANEL // 2}) rotate(-90)" text-anchor="middle">'
             f"{html.escape(names[1])}</text>"]
    for tick in (0, 0.5, 1):
        x, y = x0 + PAD + tick * PANEL, PAD // 2 + PANEL
        parts += [f'<text x="{x:.1f}" y="{y + 12}" text-anchor="middle">{tick:g}</text>',
                  f'<text x="{x0 + PAD - 4}" y="{PAD // 2 + (1 - tick) * PANEL + 4:.1f}" text-anchor="end">'
                  f"{tick:g}</text>"]
    return parts


def fronts_svg(objectives: Sequence[str], entries: Sequence[tuple[str, np.ndarray]], highlight: str | None = None
               ) -> str:
    """``entries``: (label, (n, K) delivered points over every seed), in the board's order; ``highlight``: an entry
    drawn larger and outlined (a challenger)."""
    k = len(objectives)
    pairs = list(itertools.combinations(range(k), 2))[:3]
    width = len(pairs) * (PANEL + PAD + 10) + 200
    height = PANEL + PAD + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="fronts" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}">', STYLE]
    for p, (i, j) in enumerate(pairs):
        parts += _panel(p * (PANEL + PAD + 10), (objectives[i], objectives[j]))
    for n, (label, points) in enumerate(entries):
        colour = PALETTE[n % len(PALETTE)]
        name = html.escape(label + (" (challenger)" if label == highlight else ""))
        mark = ' r="5" stroke="#000"' if label == highlight else ' r="3"'
        parts.append(f'<g class="e"><title>{name}</title>')
        for p, (i, j) in enumerate(pairs):
            x0 = p * (PANEL + PAD + 10) + PAD
            for point in points:
                x, y = x0 + point[i] * PANEL, PAD // 2 + (1 - point[j]) * PANEL
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}"{mark} fill="{colour}" fill-opacity="0.6"/>')
        legend_y = PAD // 2 + 14 * n + 8
        parts += [f'<rect x="{width - 190}" y="{legend_y - 8}" width="9" height="9" fill="{colour}"/>',
                  f'<text x="{width - 176}" y="{legend_y}">{name}</text>', "</g>"]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
