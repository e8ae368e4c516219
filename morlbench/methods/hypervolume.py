"""Hypervolume-guided methods of arXiv 2509.11452 (spec section 3).

``hv-meta-reward`` is the paper's released rule, kept faithfully (``ray_trainer_vanilla.py``,
``hypervolumn_contribution.py``): after every step the policy is validated greedily on the val split; the
hypervolume contribution c of the new point to the buffer of earlier validated points, above the initial
policy's point as reference, gives m = 0.5 + 1.5 tanh(c), and m multiplies the NEXT step's rewards. As in the
released code, length enters in raw tokens (mean completion length, minimised), not as the normalised
conciseness coordinate (``length_units``). The weights never change, and GRPO's group normalisation and
REINFORCE++'s whitening remove any global reward scale, so the rule is a no-op under those estimators (declared
as ``inert_estimators``; only RLOO sees m). Fix of the released code: it crashed when a point was worse than the
reference in one objective (a negative box volume); here volumes come from moocore, where a point not strictly
better than the reference in every objective simply adds no volume.

``hypervolume`` changes the weights from the hypervolume signal: per objective k the marginal gain
g_k = HV(F + {p + delta e_k}) - HV(F + {p}) of the current validated point p against the buffer front F
(reference: the origin, or the initial point, shifted by -delta), relative to the hypervolume HV(F + {p}) the
run has reached, then a mirror-ascent step w <- softmax(log w + eta g / HV) on the simplex, with a floor on
every weight. The step shrinks as the gains do, so weights settle where no objective adds more volume than
the others instead of running into their floors.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from morlbench.errors import UsageError
from morlbench.methods.base import Capabilities, Method, MethodContext, RewardBatch, StepInfo
from morlbench.methods.static import scalarise
from morlbench.metrics.pareto import hypervolume, nondominated
from morlbench.preferences import check_floor, mirror_ascent, with_floor
from morlbench.settings import setting

LENGTH_OBJECTIVE = "conciseness"


class ValidatedFront:
    """The buffer: non-dominated points of every validation so far."""

    def __init__(self, points: list[list[float]] | None = None) -> None:
        self.points = [list(p) for p in points or []]

    def add(self, point: np.ndarray) -> None:
        self.points = nondominated(self.points + [list(map(float, point))]).tolist()

    def contribution(self, point: np.ndarray, ref: np.ndarray) -> float:
        """Hypervolume ``point`` adds to the buffer above ``ref``; 0 when it adds nothing, never negative."""
        return max(0.0, hypervolume(self.points + [list(point)], ref) - hypervolume(self.points, ref))


def _require_validation(context: MethodContext, name: str) -> None:
    if context.validate is None:
        raise UsageError(f"method {name} needs validation generations, which this engine does not provide")


@dataclass
class HvMetaRewardSettings:
    base: float = setting(0.5, "m = base + scale * tanh(c), as released", low=-1e6, high=1e6)
    scale: float = setting(1.5, "m = base + scale * tanh(c), as released", low=-1e6, high=1e6)
    length_units: str = setting("tokens", "how the conciseness objective enters the validated point: tokens "
                                "(mean completion length, minimised, as released) or normalised (1 - len/L)",
                                choices=("tokens", "normalised"))


class HvMetaReward(Method):
    name = "hv-meta-reward"
    description = "paper's released rule: rewards scaled by 0.5 + 1.5 tanh(HV contribution); weights fixed"
    Settings = HvMetaRewardSettings
    # a global reward scale cancels in grpo's group normalisation and reinforce++'s whitening (up to their eps)
    declares = Capabilities(validation=True, linear_scalarisation=True, inert_estimators=("grpo", "reinforce++"))

    def setup(self, context: MethodContext) -> None:
        super().setup(context)
        _require_validation(context, self.name)
        self._weights = np.asarray(context.initial_weights, dtype=np.float64)
        self.reference = self.validated_point()  # the initial policy's point
        self.front = ValidatedFront()
        self.multiplier = 1.0  # the released code starts with meta_reward = 1

    def validated_point(self) -> np.ndarray:
        """The validation vector in the released code's units: with length_units=tokens the conciseness
        coordinate 1 - len/L becomes L (1 - len/L) = L - len, which orders and measures exactly as -len (the
        constant L shifts points and reference alike and leaves every volume unchanged)."""
        point = np.asarray(self.context.validate(), dtype=np.float64)
        if self.settings.length_units == "tokens" and LENGTH_OBJECTIVE in self.context.objectives:
            point[self.context.objectives.index(LENGTH_OBJECTIVE)] *= self.context.max_new_tokens
        return point

    def advantages(self, batch: RewardBatch) -> np.ndarray:
        return batch.estimate(self.multiplier * scalarise(batch.rewards, self._weights))

    def after_step(self, info: StepInfo) -> dict[str, Any]:
        point = self.validated_point()
        contribution = self.front.contribution(point, self.reference)
        self.front.add(point)
        self.multiplier = self.settings.base + self.settings.scale * math.tanh(contribution)
        return {"validation": point.round(6).tolist(), "contribution": round(contribution, 8),
                "multiplier": round(self.multiplier, 8), "signal": round(contribution, 8)}

    def weights(self) -> np.ndarray:
        return self._weights

    def reward_weights(self) -> np.ndarray:
        return self.multiplier * self._weights

    def state_dict(self) -> dict[str, Any]:
        return {"weights": self._weights.tolist(), "reference": self.reference.tolist(),
                "front": self.front.points, "multiplier": self.multiplier}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._weights = np.asarray(state["weights"], dtype=np.float64)
        self.reference = np.asarray(state["reference"], dtype=np.float64)
        self.front = ValidatedFront(state["front"])
        self.multiplier = float(state["multiplier"])


@dataclass
class HypervolumeSettings:
    delta: float = setting(0.05, "probe step in normalised units", low=0, high=1, open_low=True)
    eta: float = setting(1.0, "mirror-ascent step on the gains relative to the front's hypervolume", low=0,
                         high=1e6)
    floor: float = setting(0.05, "every weight stays >= floor", low=0, high=0.5)
    update_every: int = setting(1, "steps between weight updates (validation happens at each update)", low=1,
                                high=1_000_000)
    reference: str = setting("origin", "origin (the benchmark's reference point) or initial (the initial "
                             "policy's point)", choices=("origin", "initial"))


def marginal_gains(point: np.ndarray, front: list[list[float]], ref: np.ndarray, delta: float) -> np.ndarray:
    """g_k = HV(F + {p + delta e_k}) - HV(F + {p}), objectives capped at their bound 1."""
    base = hypervolume(front + [list(point)], ref)
    gains = []
    for k in range(len(point)):
        probe = point.copy()
        probe[k] = min(1.0, probe[k] + delta)
        gains.append(hypervolume(front + [list(probe)], ref) - base)
    return np.maximum(np.asarray(gains), 0.0)


class HypervolumeWeighting(Method):
    name = "hypervolume"
    description = "weights move toward the objective whose improvement adds most hypervolume (mirror ascent)"
    Settings = HypervolumeSettings
    declares = Capabilities(validation=True, linear_scalarisation=True)

    def setup(self, context: MethodContext) -> None:
        super().setup(context)
        _require_validation(context, self.name)
        k = len(context.objectives)
        check_floor(self.settings.floor, k)
        initial = np.maximum(np.asarray(context.initial_weights, dtype=np.float64), self.settings.floor)
        initial /= initial.sum()
        # Free weights v with w = floor-mix(v), so that training starts from --weights exactly.
        free = np.clip((initial - self.settings.floor) / (1 - k * self.settings.floor), 1e-12, None)
        self.free = free / free.sum()
        first = np.asarray(context.validate(), dtype=np.float64)
        base = first if self.settings.reference == "initial" else np.zeros(k)
        # Gains are measured above the reference shifted by -delta: otherwise a point with two objectives at
        # the reference gets zero gain from every single-objective probe, and the weights freeze.
        self.reference = base - self.settings.delta
        self.front = ValidatedFront([first.tolist()])
        self.last_gains = np.zeros(k)

    def weights(self) -> np.ndarray:
        return with_floor(self.free, self.settings.floor)

    def reward_weights(self) -> np.ndarray:
        return self.weights()

    def advantages(self, batch: RewardBatch) -> np.ndarray:
        return batch.estimate(scalarise(batch.rewards, self.weights()))

    def after_step(self, info: StepInfo) -> dict[str, Any]:
        if info.step % self.settings.update_every:
            return {}
        point = np.asarray(self.context.validate(), dtype=np.float64)
        return self.update(point)

    def update(self, point: np.ndarray) -> dict[str, Any]:
        """One weight update from a validated point; the buffer then takes the point in."""
        gains = marginal_gains(point, self.front.points, self.reference, self.settings.delta)
        reached = hypervolume(self.front.points + [list(point)], self.reference)
        relative = gains / reached if reached > 0 else np.zeros_like(gains)
        self.free = mirror_ascent(self.free, relative, self.settings.eta)
        self.front.add(point)
        self.last_gains = gains
        return {"validation": point.round(6).tolist(), "gains": gains.round(8).tolist(),
                "relative_gains": relative.round(8).tolist(), "signal": round(float(np.ptp(relative)) *
                                                                              self.settings.eta, 8)}

    def state_dict(self) -> dict[str, Any]:
        return {"free": self.free.tolist(), "reference": self.reference.tolist(), "front": self.front.points}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.free = np.asarray(state["free"], dtype=np.float64)
        self.reference = np.asarray(state["reference"], dtype=np.float64)
        self.front = ValidatedFront(state["front"])
