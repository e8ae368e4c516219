"""A run's progress bar, there from the first second: training steps, what is being evaluated, and an ETA that
counts evaluation (training seconds per step and evaluation seconds per evaluation, each from this run)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tqdm import tqdm

BAR = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]"


def postfix(record: dict[str, Any]) -> dict[str, str]:
    shown = {k[:3]: f"{v:.2f}" for k, v in record["rewards"].items()}
    shown["len"] = f"{record['mean_length']:.0f}"
    return shown


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def evaluations_between(first: int, last: int, eval_every: int, total: int) -> int:
    """Evaluations at steps first+1 .. last (every eval_every steps and at the last step)."""
    return sum(1 for s in range(first + 1, last + 1) if s % eval_every == 0 or s == total)


class RunProgress:
    def __init__(self, label: str, total: int, eval_every: int, enabled: bool) -> None:
        self.label, self.total, self.eval_every = label, total, eval_every
        self.bar = tqdm(total=total, desc=label, unit="step", disable=not enabled, bar_format=BAR)

    def stage(self, text: str | None) -> None:
        """What the run is doing besides a training step (evaluating, loading), or None when training."""
        self.bar.set_description_str(f"{self.label} · {text}" if text else self.label)

    def at(self, step: int) -> None:
        self.bar.n = step
        self.bar.refresh()

    def stepped(self, record: dict[str, Any]) -> None:
        shown = postfix(record)
        eta = self.eta(record)
        if eta:
            shown["ETA"] = eta
        self.bar.n = record["step"]
        self.bar.set_postfix(shown)

    def eta(self, record: dict[str, Any]) -> str | None:
        done = record["step"]
        if done <= 0 or done >= self.total:
            return None
        evals_done = 1 + evaluations_between(0, done, self.eval_every, self.total)  # step 0 included
        per_eval = record.get("eval_seconds", 0.0) / evals_done
        left = (self.total - done) * record["train_seconds"] / done + \
            evaluations_between(done, self.total, self.eval_every, self.total) * per_eval
        return clock(left)

    def close(self) -> None:
        self.bar.close()


def steps(start: int, progress: RunProgress) -> Iterator[int]:
    """Steps ``start .. total - 1``; the loop reports each finished step to ``progress``."""
    progress.at(start)
    yield from range(start, progress.total)
