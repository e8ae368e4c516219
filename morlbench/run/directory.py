"""Creating a run directory, or reopening one to resume: the rules that keep runs from mixing."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from morlbench.errors import UsageError
from morlbench.results.atomic import atomic_write_json
from morlbench.results.rundir import CONFIG, RunDir, open_run
from morlbench.spec import RunSpec


def prepare_run_dir(out: Path, resume: bool, config: dict[str, Any]) -> RunDir:
    """A new run directory, or the existing one when resuming a run with the same settings."""
    if (out / CONFIG).exists():
        if not resume:
            raise UsageError(f"--out {out} already holds a run; pass --resume to continue it or choose another --out")
        run = open_run(out)
        stored = RunSpec.normalised(run.config()["spec"])
        if stored != config["spec"]:
            changed = sorted(k for k in config["spec"] if stored.get(k) != config["spec"][k])
            raise UsageError(f"--resume: settings differ from the stored run in {', '.join(changed)}")
        return run
    if resume:
        raise UsageError(f"--resume: {out} holds no run to resume")
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"--out {out} exists and is not empty; choose a new directory")
    out.mkdir(parents=True, exist_ok=True)
    try:  # the claim: two runs started at once on one --out cannot both create it
        atomic_write_json(out / CONFIG, config, exclusive=True)
    except FileExistsError:
        raise UsageError(f"--out {out} was just claimed by another run; choose another --out") from None
    return RunDir(out)
