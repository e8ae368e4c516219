"""``gradient``: gradient-based weight optimisation (the ``optimization`` trainer of arXiv 2509.11452).

Each update step, before the policy update, as the paper's code (``ray_trainer_optimization.py``, ``dp_actor.
compute_gradients``) does it: advantages A_k from each objective's rewards alone (the run's estimator), the
gradient g_k of the per-objective loss (surrogate with A_k plus the KL penalty), clipped by the whole model's
gradient norm, restricted to the middle transformer blocks; influences s_k = <g_k, sum_j g_j>; the
mirror-ascent step w <- softmax(log w + eta s) with eta = lr / reg. The rewards are then scalarised with the NEW
weights and go through the run's estimator: A = estimate(sum_k w_k r_k).

The defaults are the released rule: ``scale=none`` (the raw influences) and ``reg`` = 1e-5 (the paper's), so
eta = lr / 1e-5 follows the run's learning rate as the released code's lr_t / reg does. ``reg`` is the one
setting a tuning search varies for the step size. ``scale=gradient-norm`` (s divided by the mean squared norm
of the g_k, so that eta means the same at any gradient scale) and ``floor`` > 0 are departures, named and
measured in docs/methods.md.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from morlbench.errors import UsageError
from morlbench.methods.base import Capabilities, Method, MethodContext, RewardBatch
from morlbench.preferences import check_floor, mirror_ascent, with_floor
from morlbench.settings import setting

if TYPE_CHECKING:
    import torch

_LAYER = re.compile(r"\.layers\.(\d+)\.")
# The paper's target_layer_ids on Qwen3-8B: blocks 10..25 of 36, the middle 16 (a share of 10/36 left out at
# each end).
MIDDLE_MARGIN = 10 / 36
ADVANTAGES = ("scalarise", "combine")
SCALES = ("gradient-norm", "none")


@dataclass
class GradientSettings:
    # eta = lr / reg, as released (lr_t / reg); the paper's reg is 1e-5 (with lr 1e-6 on Qwen3-8B: eta 0.1). The
    # step size a tuning search varies.
    reg: float = setting(1e-5, "eta = lr / reg (the paper's reg: 1e-5); the step size a tuning search varies",
                         low=0, high=1e6, open_low=True)
    scale: str = setting("none", "none: the paper's raw influences; gradient-norm (a departure): influences "
                         "divided by the mean squared norm of the g_k, so eta is scale-free", choices=SCALES)
    layers: str = setting("middle", "blocks whose gradients count: middle (the paper's share), all, last-half, "
                          "or indices such as 1,2")
    clip_norm: float = setting(1.0, "scale each g_k as a whole-model gradient-norm clip to this norm would, "
                               "before the inner products (0: off)", low=0, high=1e6)
    kl: bool = setting(True, "g_k includes the KL penalty's gradient, as the paper's per-objective loss does")
    advantages: str = setting("scalarise", "scalarise: estimate(sum_k w_k r_k) (the paper); combine: "
                              "sum_k w_k estimate(r_k)", choices=ADVANTAGES)
    update_every: int = setting(1, "steps between weight updates", low=1, high=1_000_000)
    floor: float = setting(0.0, "every weight stays >= floor (0 as in the paper; > 0 is a departure)", low=0,
                           high=0.5)


def select_parameters(names: tuple[str, ...], layers: str) -> list[str] | None:
    """Parameter names of the chosen transformer blocks; None means every trainable parameter."""
    if layers == "all":
        return None
    indices = {int(m.group(1)) for n in names if (m := _LAYER.search(n))}
    if not indices:
        raise UsageError(f"layers={layers!r}: the model has no '.layers.N.' parameters; use layers=all")
    count = max(indices) + 1
    if layers == "last-half":
        chosen = {i for i in indices if i >= count // 2}
    elif layers == "middle":
        margin = round(count * MIDDLE_MARGIN)
        chosen = {i for i in indices if margin <= i < count - margin} or indices
    else:
        try:
            chosen = {int(v) for v in layers.split(",")}
        except ValueError:
            raise UsageError(f"layers={layers!r}: expected middle, all, last-half or indices such as 1,2") from None
        if not chosen <= indices:
            raise UsageError(f"layers={layers!r}: the model has blocks {min(indices)}..{max(indices)}")
    return [n for n in names if (m := _LAYER.search(n)) and int(m.group(1)) in chosen]


def gram_matrix(gradients: torch.Tensor) -> np.ndarray:
    """<g_i, g_j> for every pair of per-objective gradients (K, D), in float64."""
    g = gradients.double()
    return (g @ g.T).cpu().numpy()


def influences(gram: np.ndarray, scale: str) -> np.ndarray:
    """s_k = <g_k, sum_j g_j> (row sums of the Gram matrix), as released; divided by the mean squared norm under
    ``scale=gradient-norm``."""
    s = gram.sum(axis=1)
    if scale == "gradient-norm":
        mean_square = float(np.mean(np.diag(gram)))
        return s / mean_square if mean_square > 0 else np.zeros_like(s)
    return s


class GradientWeighting(Method):
    name = "gradient"
    description = "mirror ascent on weights from per-objective gradient influences <g_k, sum_j g_j>"
    Settings = GradientSettings
    declares = Capabilities(objective_gradients=True)

    def setup(self, context: MethodContext) -> None:
        super().setup(context)
        check_floor(self.settings.floor, len(context.objectives))
        self.free = np.asarray(context.initial_weights, dtype=np.float64)
        self.parameters = select_parameters(context.parameter_names, self.settings.layers)
        self.eta = context.lr / self.settings.reg
        self.last: dict[str, Any] = {}

    def weights(self) -> np.ndarray:
        return with_floor(self.free, self.settings.floor)

    def advantages(self, batch: RewardBatch) -> np.ndarray:
        s = self.settings
        per_objective = batch.estimate_columns()
        self.last = {}
        if batch.step % s.update_every == 0:
            grads = batch.objective_gradients(per_objective, self.parameters, with_kl=s.kl, clip_norm=s.clip_norm)
            gram = gram_matrix(grads)
            signal = influences(gram, s.scale)
            self.free = mirror_ascent(self.free, signal, self.eta)
            self.last = {"influences": signal.round(10).tolist(), "raw_influences": gram.sum(axis=1).round(12).tolist(),
                         "gradient_norms": np.sqrt(np.clip(np.diag(gram), 0, None)).round(8).tolist(),
                         "signal": float(np.ptp(signal) * self.eta)}
        w = self.weights()
        if s.advantages == "combine":
            return per_objective @ w
        return batch.estimate(batch.rewards @ w)

    def after_step(self, info) -> dict[str, Any]:
        return {**self.last, "eta": self.eta}

    def state_dict(self) -> dict[str, Any]:
        return {"free": self.free.tolist()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.free = np.asarray(state["free"], dtype=np.float64)
