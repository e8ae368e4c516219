"""Preference (weight) vectors on the probability simplex: grids, random draws, and mirror-ascent steps.

One place for every simplex construction the package uses: the Das-Dennis grids that preference-serving
methods sweep and that the expected-utility metric scores against (pymoo's ``get_reference_directions``),
simplex vertices and edge midpoints, Dirichlet draws, and the exponentiated-gradient step with a floor that
the dynamic weighting methods take.
"""
from __future__ import annotations

import itertools
from functools import cache

import numpy as np

from morlbench.errors import UsageError


@cache
def _das_dennis(objectives: int, partitions: int) -> np.ndarray:
    from pymoo.util.ref_dirs import get_reference_directions

    grid = np.asarray(get_reference_directions("das-dennis", objectives, n_partitions=partitions), dtype=np.float64)
    grid.setflags(write=False)
    return grid


def das_dennis(objectives: int, partitions: int) -> np.ndarray:
    """The Das-Dennis grid: every vector with coordinates in multiples of 1/partitions summing to 1.
    Read-only and built once per (objectives, partitions)."""
    return _das_dennis(objectives, partitions)


def vertices_and_midpoints(objectives: int) -> np.ndarray:
    eye = np.eye(objectives)
    midpoints = [(eye[i] + eye[j]) / 2 for i, j in itertools.combinations(range(objectives), 2)]
    return np.vstack([eye, *midpoints]) if midpoints else eye


def dirichlet(objectives: int, count: int, seed: int | list[int], concentration: float = 1.0) -> np.ndarray:
    """``count`` Dirichlet(concentration) preferences, the same for the same seed."""
    return np.random.default_rng(seed).dirichlet(np.full(objectives, concentration), size=count)


def training_preferences(objectives: int, groups: int, seed: list[int], vertex_share: float,
                         concentration: float) -> np.ndarray:
    """One preference per prompt group, as preference-conditioned methods train: a simplex vertex or edge
    midpoint with probability ``vertex_share``, else a Dirichlet(concentration) draw; the same for the same seed."""
    rng = np.random.default_rng(seed)
    fixed = vertices_and_midpoints(objectives)
    rows = []
    for _ in range(groups):
        if rng.random() < vertex_share:
            rows.append(fixed[rng.integers(len(fixed))])
        else:
            rows.append(rng.dirichlet(np.full(objectives, concentration)))
    return np.asarray(rows)


# Das-Dennis partitions of the expected-utility preference grid: 21, 91 and 165 preferences for K = 2, 3, 4.
EUM_PARTITIONS = {2: 20, 3: 12, 4: 8}


def utility_grid(objectives: int) -> np.ndarray:
    """The fixed preference grid of the expected utility metric (EUM)."""
    if objectives not in EUM_PARTITIONS:
        raise UsageError(f"expected utility is defined here for 2 to 4 objectives, not {objectives}")
    return das_dennis(objectives, EUM_PARTITIONS[objectives])


def mirror_ascent(weights: np.ndarray, signal: np.ndarray, eta: float) -> np.ndarray:
    """Exponentiated-gradient step: w <- softmax(log w + eta * signal)."""
    logits = np.log(np.clip(weights, 1e-300, None)) + eta * signal
    logits -= logits.max()
    new = np.exp(logits)
    return new / new.sum()


def with_floor(weights: np.ndarray, floor: float) -> np.ndarray:
    """Mix with the uniform floor, (1 - K floor) w + floor: on the simplex, every weight >= floor."""
    k = len(weights)
    return (1.0 - k * floor) * weights + floor


def check_floor(floor: float, k: int) -> None:
    if not 0 <= floor < 1.0 / k:
        raise UsageError(f"weight floor {floor} must be in [0, 1/{k}) for {k} objectives")


# -- the protocol's preference set W (evaluation protocol 3, docs/leaderboard.md) -----------------------------

SAME_PREFERENCE = 1e-6  # two normalised vectors closer than this in every coordinate are the same preference


def _normalised(vector: list[float]) -> tuple[float, ...]:
    total = sum(vector)
    return tuple(round(v / total, 6) for v in vector)


def default_preference_set(objectives: int) -> tuple[tuple[float, ...], ...]:
    """W for K objectives: the uniform vector, then the first objective (the task's primary one, accuracy on
    every built-in task) raised to 1.5/K and lowered to 0.75/K with the rest shared equally. For K = 3 this is
    the paper's static grid (1/3 each; 0.5, 0.25, 0.25; 0.25, 0.375, 0.375)."""
    k = objectives
    if k < 2:
        raise UsageError(f"a preference set needs at least 2 objectives, not {k}")
    uniform = [1.0 / k] * k
    tilted = [[first] + [(1.0 - first) / (k - 1)] * (k - 1) for first in (1.5 / k, 0.75 / k)]
    return tuple(_normalised(v) for v in [uniform, *tilted])


def parse_preferences(text: str | None, objectives: int) -> tuple[tuple[float, ...], ...]:
    """W from ``a,b;c,d;...`` (each vector normalised to sum 1), or the default set for ``objectives``."""
    if text is None:
        return default_preference_set(objectives)
    vectors = []
    for part in str(text).split(";"):
        try:
            vector = [float(v) for v in part.split(",")]
        except ValueError:
            raise UsageError(f"--preferences {text!r}: expected weight vectors separated by ';', e.g. "
                             "0.5,0.5;0.8,0.2") from None
        if len(vector) != objectives or any(not np.isfinite(v) or v < 0 for v in vector) or sum(vector) <= 0:
            raise UsageError(f"--preferences {text!r}: every vector needs {objectives} finite weights >= 0 with a "
                             "positive sum")
        vectors.append(_normalised(vector))
    if len({v for v in vectors}) != len(vectors):
        raise UsageError(f"--preferences {text!r}: a preference appears twice")
    return tuple(vectors)


def format_preferences(preferences: tuple[tuple[float, ...], ...]) -> str:
    return ";".join(",".join(f"{v:g}" for v in w) for w in preferences)


def index_in(preference: list[float] | tuple[float, ...] | np.ndarray, preferences: tuple[tuple[float, ...], ...]
             ) -> int | None:
    """The position of ``preference`` (normalised) in W, or None when it is not one of W's vectors."""
    w = np.asarray(preference, dtype=np.float64)
    if w.ndim != 1 or not np.isfinite(w).all() or w.sum() <= 0:
        return None
    w = w / w.sum()
    for i, candidate in enumerate(preferences):
        if len(candidate) == len(w) and np.max(np.abs(np.asarray(candidate) - w)) <= SAME_PREFERENCE:
            return i
    return None
