"""What every plot shares: the non-interactive backend and atomic saving."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _save(fig, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    tmp.replace(path)


def eval_ticks(ax: Any, steps: Sequence[int]) -> None:
    """x ticks at evaluation steps (every few of them when there are many)."""
    steps = sorted(set(steps))
    if steps:
        ax.set_xticks(steps[::max(1, -(-len(steps) // 10))])
