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
