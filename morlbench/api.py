"""The Python API (docs/api.md): train a run, read a run directory, compare runs — what the CLI does, as calls.

The names avoid morlbench's subpackages: ``morlbench.run`` is the training loop, ``morlbench.compare`` the
comparison tables, so the calls are ``train`` and ``compare_runs``.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from morlbench.errors import UsageError


@dataclass
class RunResult:
    """A finished run directory, read back: its settings, records and report."""

    path: Path
    config: dict[str, Any]
    report: dict[str, Any]
    evals: list[dict[str, Any]] = field(repr=False)
    metrics: list[dict[str, Any]] = field(repr=False)

    @property
    def objective_names(self) -> list[str]:
        return list(self.report["objective_names"])

    @property
    def front(self) -> np.ndarray:
        """What the run delivers, non-dominated, on the report split, (n, K): its final policy, or its artifact served
        at each preference of W (protocol 3; a protocol-2 run's front was chosen from every evaluation)."""
        return np.asarray(self.report["front"], dtype=np.float64)

    @property
    def hypervolume(self) -> float:
        return float(self.report["metrics"]["hypervolume"])

    @property
    def final(self) -> list[float] | None:
        """The last evaluation's objectives (report split); None for runs that serve preferences."""
        return self.report["final"]


def load(path: str | Path) -> RunResult:
    """A finished run directory (one with report.json) as a RunResult."""
    from morlbench.results.runcheck import run_dir_of

    path = Path(path)
    if not (path / "report.json").exists():
        raise UsageError(f"{path} is not a finished run (no report.json)")
    run = run_dir_of(path)
    return RunResult(path, run.config(), json.loads((path / "report.json").read_text()), run.evals, run.metrics)


def train(method: str = "static", task: str = "arith", out: str | Path | None = None, *, resume: bool = False,
          progress: bool = False, log_to: Sequence[str] = (), **settings: Any) -> RunResult:
    """Train one run with ``settings`` (any RunSpec field: seed, steps, weights, engine={...}, ...) into ``out``
    (default runs/TASK-METHOD-seedS) and return it read back."""
    from morlbench.run.execute import execute
    from morlbench.run.resolve import with_model_defaults
    from morlbench.spec import RunSpec

    spec = RunSpec.from_dict(with_model_defaults({"method": method, "task": task, **settings}))
    spec.check()
    out = Path(out) if out is not None else Path("runs") / f"{spec.task}-{spec.method}-seed{spec.seed}"
    return load(execute(spec, out, resume=resume, progress=progress, log_to=log_to))


def compare_runs(runs: Sequence[str | Path], out: str | Path, reference: str | Path | None = None) -> Path:
    """The comparison report (comparison.md, index.html, plots) of finished runs, suite directories or result files, as
    ``morlbench report``; ``reference``: a reference file (default the one shipped with morlbench,
    baselines/reference.json)."""
    from morlbench.reference import default_reference, load_references
    from morlbench.report.comparison import find_records, write_comparison

    _, found = find_records([Path(r) for r in runs])
    references = load_references(default_reference(Path(reference) if reference else None))
    return write_comparison(found, Path(out), references)
