"""How a run's objectives relate: reward correlation over training rollouts and per-objective gradient cosines.

Correlations are taken *within prompt groups*: each reward is centred on its group's mean before the
cross-products are summed. That is the variation GRPO-style advantages see (they are group-centred too), and it
removes the prompt-difficulty confound (a hard prompt lowers accuracy and lengthens answers at once, which
would make a pooled correlation look like a trade-off the policy never faces).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from morlbench.metrics.stats import bootstrap_ci

# |r| or |cos| below these counts as "independent" (docs/objectives.md, "Trade-off analysis").
CORRELATION_BAND = 0.1
COSINE_BAND = 0.05


def centred_cross_products(rewards: np.ndarray, group_size: int) -> np.ndarray:
    """Sum over rollouts of (r - group mean)(r - group mean)^T, shape (K, K); rows are ordered group by group."""
    r = np.asarray(rewards, dtype=np.float64)
    groups = r.reshape(-1, group_size, r.shape[1])
    centred = (groups - groups.mean(axis=1, keepdims=True)).reshape(-1, r.shape[1])
    return centred.T @ centred


def correlation(cross_products: np.ndarray) -> np.ndarray:
    """Pearson correlation from summed centred cross-products; NaN where an objective never varied."""
    s = np.asarray(cross_products, dtype=np.float64)
    scale = np.sqrt(np.clip(np.diag(s), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = s / np.outer(scale, scale)
    r[np.outer(scale, scale) == 0] = np.nan
    return np.clip(r, -1.0, 1.0)


def cosine_matrix(gradients: Any) -> np.ndarray:
    """Cosine between every pair of per-objective gradients (K, D); NaN for a zero gradient."""
    g = np.asarray(gradients, dtype=np.float64)
    norms = np.linalg.norm(g, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = (g @ g.T) / np.outer(norms, norms)
    c[np.outer(norms, norms) == 0] = np.nan
    return np.clip(c, -1.0, 1.0)


def matrix_record(matrix: Any, digits: int) -> list[list[float | None]]:
    """A K x K matrix as stored in JSON: rounded, None where it is not finite."""
    return [[None if not np.isfinite(v) else round(float(v), digits) for v in row] for row in np.asarray(matrix)]


def _label(value: float, band: float) -> str | None:
    if value is None or not np.isfinite(value):
        return None
    if value >= band:
        return "aligned"
    if value <= -band:
        return "conflicting"
    return "independent"


@dataclass(frozen=True)
class PairVerdict:
    objectives: tuple[str, str]
    correlation: float | None
    cosine: float | None  # mean over diagnosed steps
    cosine_interval: tuple[float, float] | None  # 95% bootstrap interval of that mean over the steps
    cosine_steps: int
    verdict: str

    def to_record(self) -> dict[str, Any]:
        return {"objectives": list(self.objectives), "correlation": self.correlation, "cosine": self.cosine,
                "cosine_interval": None if self.cosine_interval is None else list(self.cosine_interval),
                "cosine_steps": self.cosine_steps, "verdict": self.verdict}


def _cosine_label(mean: float, low: float, high: float) -> str | None:
    """Gradients count only when the interval over steps is decisive: one batch's cosine is noisy."""
    if low > 0 and mean >= COSINE_BAND:
        return "aligned"
    if high < 0 and mean <= -COSINE_BAND:
        return "conflicting"
    if -COSINE_BAND < low and high < COSINE_BAND:
        return "independent"
    return None


def pair_verdicts(names: Sequence[str], corr: np.ndarray, cosines: Sequence[np.ndarray]) -> list[PairVerdict]:
    """A verdict per objective pair. The reward correlation gives a label; the gradient cosines give one when
    their bootstrap interval over the diagnosed steps is decisive. Both and equal -> that label; both and
    different -> "mixed"; cosines measured but not decisive -> the correlation's label, marked so; neither
    measurable -> "unmeasured"."""
    verdicts = []
    for i, j in combinations(range(len(names)), 2):
        r = float(corr[i, j]) if np.isfinite(corr[i, j]) else None
        values = [float(c[i, j]) for c in cosines if np.isfinite(c[i, j])]
        mean = interval = by_c = None
        if values:
            mean, low, high = bootstrap_ci(values)
            interval = (round(low, 4), round(high, 4))
            by_c = _cosine_label(mean, low, high)
        by_r = _label(r, CORRELATION_BAND)
        if by_r and by_c:
            verdict = by_r if by_r == by_c else f"mixed (rewards {by_r}, gradients {by_c})"
        elif by_r:
            verdict = f"{by_r} (gradient cosines inconclusive)" if values else by_r
        else:
            verdict = by_c or "unmeasured"
        verdicts.append(PairVerdict((names[i], names[j]), None if r is None else round(r, 4),
                                    None if mean is None else round(mean, 4), interval, len(values), verdict))
    return verdicts


def tradeoff_summary(names: Sequence[str], metrics: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The run's trade-off analysis from its step records (``reward_cross_products``, ``gradient_cosine``)."""
    products = [np.asarray(m["reward_cross_products"]) for m in metrics if m.get("reward_cross_products")]
    if not products:
        return None
    corr = correlation(np.sum(products, axis=0))
    cos_rows = [(m["step"], np.asarray(m["gradient_cosine"], dtype=np.float64)) for m in metrics
                if m.get("gradient_cosine") is not None]
    return {
        "correlation": matrix_record(corr, 4),
        "rollouts": int(metrics[-1]["rollouts"]),
        "gradient_cosine_by_step": [{"step": s, "cosine": matrix_record(c, 4)} for s, c in cos_rows],
        "diagnostic_seconds": round(float(sum(m.get("diagnostic_seconds", 0.0) for m in metrics)), 3),
        "pairs": [v.to_record() for v in pair_verdicts(names, corr, [c for _, c in cos_rows])],
    }


def diagnostic_absent(every: int) -> str:
    """Why a run has no gradient-cosine measurement."""
    if not every:
        return "not computed (--gradient-cosine-every 0)"
    return f"no step diagnosed (every {every} steps; the run is shorter)"
