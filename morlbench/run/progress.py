"""The progress bar of a run's training steps."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tqdm import tqdm


def postfix(record: dict[str, Any]) -> dict[str, str]:
    shown = {k[:3]: f"{v:.2f}" for k, v in record["rewards"].items()}
    shown["len"] = f"{record['mean_length']:.0f}"
    return shown


def step_bar(start: int, total: int, label: str, enabled: bool) -> Any:
    return tqdm(range(start, total), desc=label, disable=not enabled, unit="step", initial=start, total=total)


def steps(start: int, total: int, label: str, enabled: bool, last_record: Any) -> Iterator[int]:
    """Steps ``start .. total - 1`` with a bar whose postfix shows ``last_record()`` after each step."""
    bar = step_bar(start, total, label, enabled)
    for step in bar:
        yield step
        if enabled:
            bar.set_postfix(postfix(last_record()))
