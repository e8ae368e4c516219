"""Time to a target as censored data (protocol 3's trajectory board, docs/leaderboard.md).

A run that has not reached a target by the end of its budget is censored there: its time is only known to be
longer. The Kaplan-Meier estimate of the distribution of times gives the median (with the Brookmeyer-Crowley
interval from the log-log Greenwood band) and the restricted mean to the budget (the area under the survival
curve up to it), never a mean over the runs that happened to reach. Every run of a comparability group has the
same budget, so each run's restricted time min(T, budget) is observed exactly and two entries compare by a
paired test on it (``morlbench.metrics.stats.sign_flip_p``).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class TimeToTarget:
    time: float  # the step the target was first reached, or the budget when censored
    reached: bool


@dataclass(frozen=True)
class KaplanMeier:
    times: np.ndarray  # distinct event times, increasing
    survival: np.ndarray  # S(t) just after each event time
    low: np.ndarray  # 95% pointwise band (log-log Greenwood)
    high: np.ndarray
    horizon: float  # the largest observed time (the budget)

    def median(self) -> tuple[float | None, float | None, float | None]:
        """(median, low, high); None where the curve (or its band) never falls to 0.5 within the horizon."""
        return _crossing(self.times, self.survival), _crossing(self.times, self.low), _crossing(self.times, self.high)

    def restricted_mean(self) -> float:
        """The area under S(t) from 0 to the horizon: the mean of min(T, horizon)."""
        edges = np.concatenate([[0.0], self.times, [self.horizon]])
        levels = np.concatenate([[1.0], self.survival])
        widths = np.diff(np.minimum(edges, self.horizon))
        return float(np.sum(levels * widths))


def _crossing(times: np.ndarray, curve: np.ndarray) -> float | None:
    below = np.nonzero(curve <= 0.5 + 1e-12)[0]
    return float(times[below[0]]) if below.size else None


def kaplan_meier(data: Sequence[TimeToTarget], level: float = 0.95) -> KaplanMeier:
    """The product-limit estimate of P(T > t), with Greenwood's variance on the log(-log) scale."""
    times = np.asarray([d.time for d in data], dtype=np.float64)
    events = np.asarray([d.reached for d in data], dtype=bool)
    if times.size == 0:
        raise ValueError("kaplan_meier needs at least one time")
    z = float(stats.norm.ppf(0.5 + level / 2))
    distinct = np.unique(times[events])
    survival, low, high = [], [], []
    s, greenwood = 1.0, 0.0
    for t in distinct:
        at_risk = int(np.sum(times >= t))
        deaths = int(np.sum((times == t) & events))
        s *= 1 - deaths / at_risk
        greenwood += deaths / (at_risk * (at_risk - deaths)) if at_risk > deaths else math.inf
        survival.append(s)
        if 0 < s < 1 and math.isfinite(greenwood):
            spread = z * math.sqrt(greenwood) / abs(math.log(s))
            low.append(s ** math.exp(spread))
            high.append(s ** math.exp(-spread))
        else:
            low.append(0.0 if s == 0 or not math.isfinite(greenwood) else s)
            high.append(1.0)  # undefined at S = 0 (as R's survival leaves it): no upper limit from here
    return KaplanMeier(distinct, np.asarray(survival), np.asarray(low), np.asarray(high), float(times.max()))


def first_reach(curve: Sequence[tuple[int, float]], target: float, horizon: int) -> TimeToTarget:
    """The first step of ``curve`` (step, value), increasing steps, whose value reaches ``target``; censored
    at ``horizon`` when none does."""
    for step, value in curve:
        if value >= target:
            return TimeToTarget(float(step), True)
    return TimeToTarget(float(horizon), False)
