"""What the result scripts share: run every missing (name, seed) run of a comparison, a few at a time.

A run directory counts as done when it holds report.json; one with a config.json but no report is resumed.
"""
from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Sequence


def run_missing(root: Path, names: Sequence[str], seeds: Sequence[int], jobs: int,
                command: Callable[[str, int, Path], list[str]]) -> None:
    """Run ``command(name, seed, root/NAME-sSEED)`` for every run without a report, ``jobs`` at a time."""
    todo = [(n, s) for s in seeds for n in names if not (root / f"{n}-s{s}" / "report.json").exists()]

    def one(item):
        name, seed = item
        out = root / f"{name}-s{seed}"
        resume = ["--resume"] if (out / "config.json").exists() else []
        done = subprocess.run(command(name, seed, out) + resume, capture_output=True, text=True)
        print(f"{name} seed {seed}: exit {done.returncode}", file=sys.stderr)
        if done.returncode:
            print(done.stderr[-2000:], file=sys.stderr)

    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, todo))
