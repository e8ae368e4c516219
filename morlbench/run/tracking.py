"""Experiment tracking (``--log-to tensorboard|wandb``): every step and evaluation under TRL-style names, and the
final report as a summary. Tracking only reads what the run records; it never changes the run.

Names: ``rewards/{objective}/mean``, ``train/{loss,kl,grad_norm,clip_fraction,mean_length,tokens,...}``,
``weights/{objective}``, ``method/{key}`` (the method's own numeric log), ``eval/{objective}`` (selection
split, single-policy runs), ``eval/hypervolume`` (this evaluation's points) and ``eval/front_hypervolume``
(the run's front so far on the selection split), ``final/{metric}`` (numbers of report.json's metrics).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

from morlbench.errors import UsageError

TRACKERS = ("tensorboard", "wandb")
TRAIN_KEYS = ("loss", "policy_loss", "kl", "grad_norm", "clip_fraction", "mean_length", "running_mean_length",
              "rollouts", "tokens", "seconds")


class Sink(Protocol):
    def scalars(self, values: dict[str, float], step: int) -> None: ...
    def summary(self, values: dict[str, float], text: str) -> None: ...
    def close(self) -> None: ...


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def step_scalars(record: dict[str, Any]) -> dict[str, float]:
    names = list(record["rewards"])
    values = {f"rewards/{n}/mean": v for n, v in record["rewards"].items()}
    values |= {f"train/{k}": record[k] for k in TRAIN_KEYS if _number(record.get(k))}
    if record.get("weights") is not None:
        values |= {f"weights/{n}": w for n, w in zip(names, record["weights"])}
    values |= {f"method/{k}": v for k, v in (record.get("method") or {}).items() if _number(v)}
    return values


class Tracking:
    """The run's sinks, fed by the training loop (steps, evaluations) and by execute (the final report)."""

    def __init__(self, sinks: list[Sink]) -> None:
        self.sinks = sinks
        self.selection: list[list[float]] = []  # every selection-split point so far: the front so far

    def step(self, record: dict[str, Any]) -> None:
        for sink in self.sinks:
            sink.scalars(step_scalars(record), record["step"])

    def evaluation(self, record: dict[str, Any]) -> None:
        from morlbench.metrics.front import current_points
        from morlbench.metrics.pareto import hypervolume

        points = current_points(record)
        self.selection += points
        values = {"eval/hypervolume": hypervolume(points), "eval/front_hypervolume": hypervolume(self.selection),
                  "eval/tokens": record.get("eval_tokens_total", 0)}
        if len(points) == 1:
            values |= {f"eval/{n}": v for n, v in zip(record["objective_names"], points[0])}
        for sink in self.sinks:
            sink.scalars(values, record["step"])

    def finish(self, report: dict[str, Any], markdown: str) -> None:
        final = {f"final/{k}": v for k, v in report["metrics"].items() if _number(v)}
        for sink in self.sinks:
            sink.summary(final, markdown)
        self.close()

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()


class TensorBoard:
    def __init__(self, out: Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise UsageError("--log-to tensorboard needs TensorBoard: pip install 'morlbench[tracking]'") from None
        self.writer = SummaryWriter(log_dir=str(out / "tensorboard"))

    def scalars(self, values: dict[str, float], step: int) -> None:
        for tag, value in values.items():
            self.writer.add_scalar(tag, value, step)

    def summary(self, values: dict[str, float], text: str) -> None:
        for tag, value in values.items():
            self.writer.add_scalar(tag, value, 0)
        self.writer.add_text("report", text)

    def close(self) -> None:
        self.writer.close()


class WandB:
    """W&B in the run directory; ``WANDB_MODE=offline`` keeps it local (``wandb sync`` uploads it later)."""

    def __init__(self, out: Path, config: dict[str, Any]) -> None:
        try:
            import wandb
        except ImportError:
            raise UsageError("--log-to wandb needs wandb: pip install 'morlbench[tracking]'") from None
        os.environ.setdefault("WANDB_SILENT", "true")
        try:
            self.run = wandb.init(project=os.environ.get("WANDB_PROJECT", "morlbench"), name=out.name,
                                  dir=str(out), config=config, reinit="finish_previous")
        except Exception as exc:  # no login, no network: say so in one line
            raise UsageError(f"--log-to wandb: wandb.init failed ({type(exc).__name__}: {exc}); set "
                             "WANDB_MODE=offline to log locally") from None

    def scalars(self, values: dict[str, float], step: int) -> None:
        self.run.log(values, step=step)

    def summary(self, values: dict[str, float], text: str) -> None:
        self.run.summary.update(values)

    def close(self) -> None:
        self.run.finish()


def check_trackers(names: list[str]) -> None:
    """Refuse unknown or uninstalled trackers before anything is written."""
    import importlib.util

    for name in names:
        if name not in TRACKERS:
            raise UsageError(f"--log-to {name!r}: not one of {', '.join(TRACKERS)}")
        if importlib.util.find_spec(name) is None:  # each tracker is the package of its name
            raise UsageError(f"--log-to {name} needs the {name} package: pip install 'morlbench[tracking]'")


def open_tracking(names: list[str], out: Path, config: dict[str, Any]) -> Tracking | None:
    """The sinks named by ``--log-to`` (None when there are none), after ``check_trackers``."""
    if not names:
        return None
    sinks: list[Sink] = [TensorBoard(out) if n == "tensorboard" else WandB(out, config) for n in dict.fromkeys(names)]
    return Tracking(sinks)
