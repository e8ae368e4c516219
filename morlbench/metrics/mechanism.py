"""How much a dynamic method's mechanism acted over a run: how far its weights moved from where they started,
and on how many steps its signal (influences, hypervolume gains, contributions) was non-zero.

A method reports its signal as ``signal`` in its step log (``after_step``): a number, 0 when the mechanism had
nothing to act on (the weights or reward scale it controls would not change).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def weight_trajectory(step_metrics: Sequence[dict[str, Any]]) -> list[list[float]]:
    return [m["weights"] for m in step_metrics if m.get("weights") is not None]


def signal_trajectory(step_metrics: Sequence[dict[str, Any]]) -> list[float]:
    return [float(m["method"]["signal"]) for m in step_metrics
            if isinstance(m.get("method"), dict) and m["method"].get("signal") is not None]


def mechanism_summary(initial_weights: Sequence[float] | None, weights: Sequence[Sequence[float]],
                      signals: Sequence[float]) -> dict[str, Any] | None:
    """L1 distance of the weight trajectory from the initial weights (final and largest), and the share of
    steps with a non-zero signal; None when the run logged neither weights nor a signal."""
    if not weights and not signals:
        return None
    summary: dict[str, Any] = {"steps": len(weights)}
    if weights and initial_weights is not None:
        start = np.round(np.asarray(initial_weights, dtype=np.float64), 6)  # as the step records store weights
        distances = np.abs(np.asarray(weights, dtype=np.float64) - start).sum(axis=1)
        summary.update(weight_l1_final=round(float(distances[-1]), 6), weight_l1_max=round(float(distances.max()), 6))
    summary.update(signal_steps=int(sum(s > 0 for s in signals)), signal_measured=len(signals),
                   signal_share=round(sum(s > 0 for s in signals) / len(signals), 6) if signals else None)
    return summary


def mechanism_of(step_metrics: Sequence[dict[str, Any]], initial_weights: Sequence[float] | None) -> dict | None:
    return mechanism_summary(initial_weights, weight_trajectory(step_metrics), signal_trajectory(step_metrics))


def describe(summary: dict[str, Any] | None) -> str:
    """One line for reports: how far the weights moved and how often the mechanism had a signal."""
    if summary is None:
        return "no weights or mechanism signal logged"
    parts = []
    if "weight_l1_final" in summary:
        parts.append(f"weights moved by L1 {summary['weight_l1_final']:.3f} from the start "
                     f"(largest {summary['weight_l1_max']:.3f})")
    if summary["signal_measured"]:
        parts.append(f"non-zero signal on {summary['signal_steps']} of {summary['signal_measured']} steps")
    elif "weight_l1_final" in summary:
        parts.append("no adaptive signal (fixed weights)")
    return "; ".join(parts)
