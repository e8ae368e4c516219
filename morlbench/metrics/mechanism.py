"""How much a dynamic method's mechanism acted over a run: how far its weights moved from where they started,
and on how many steps its signal (influences, hypervolume gains, contributions) was non-zero.

A method reports its signal as ``signal`` in its step log (``after_step``): a number, 0 when the mechanism had
nothing to act on (the weights or reward scale it controls would not change). A method that scales the rewards
logs the scale as ``multiplier``; its range is summarised too. A run whose estimator is among the method's
``inert_estimators`` (config.json) is marked: there the mechanism cannot change the advantages by construction.
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


def multiplier_trajectory(step_metrics: Sequence[dict[str, Any]]) -> list[float]:
    return [float(m["method"]["multiplier"]) for m in step_metrics
            if isinstance(m.get("method"), dict) and m["method"].get("multiplier") is not None]


def mechanism_summary(initial_weights: Sequence[float] | None, weights: Sequence[Sequence[float]],
                      signals: Sequence[float], multipliers: Sequence[float] = (),
                      inert_under: str | None = None) -> dict[str, Any] | None:
    """L1 distance of the weight trajectory from the initial weights (final and largest), the share of
    steps with a non-zero signal, the range of a reward multiplier, and the estimator under which the mechanism
    is inert by construction; None when the run logged neither weights nor a signal."""
    if not weights and not signals:
        return None
    summary: dict[str, Any] = {"steps": len(weights)}
    if weights and initial_weights is not None:
        start = np.round(np.asarray(initial_weights, dtype=np.float64), 6)  # as the step records store weights
        distances = np.abs(np.asarray(weights, dtype=np.float64) - start).sum(axis=1)
        summary.update(weight_l1_final=round(float(distances[-1]), 6), weight_l1_max=round(float(distances.max()), 6))
    summary.update(signal_steps=int(sum(s > 0 for s in signals)), signal_measured=len(signals),
                   signal_share=round(sum(s > 0 for s in signals) / len(signals), 6) if signals else None)
    if multipliers:
        summary.update(multiplier_min=round(min(multipliers), 6), multiplier_max=round(max(multipliers), 6))
    if inert_under is not None:
        summary["inert_under"] = inert_under
    return summary


def inert_estimator(config: dict[str, Any]) -> str | None:
    """The run's estimator when the method declared its mechanism inert under it (config.json), else None."""
    declared = config["resolved"].get("method_capabilities", {}).get("inert_estimators") or ()
    estimator = config["spec"].get("estimator")
    return estimator if estimator in declared else None


def mechanism_of(step_metrics: Sequence[dict[str, Any]], initial_weights: Sequence[float] | None,
                 inert_under: str | None = None) -> dict | None:
    return mechanism_summary(initial_weights, weight_trajectory(step_metrics), signal_trajectory(step_metrics),
                             multiplier_trajectory(step_metrics), inert_under)


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
    if "multiplier_min" in summary:
        parts.append(f"reward multiplier between {summary['multiplier_min']:.4f} and {summary['multiplier_max']:.4f}")
    if summary.get("inert_under"):
        parts.append(f"inert by construction under {summary['inert_under']} (the method's inert_estimators: it "
                     "cannot change the advantages there)")
    return "; ".join(parts)
