"""Hypervolume and non-dominated front of 10 to 10,000 points in 3-D (moocore), the work the report and the
hypervolume methods do per evaluation. `pytest benchmarks/test_metrics.py`."""
import numpy as np
import pytest

from morlbench.metrics.pareto import hypervolume, nondominated


def points(n: int) -> np.ndarray:
    """n points near the positive unit sphere: most of them non-dominated, the hard case."""
    rng = np.random.default_rng(n)
    x = np.abs(rng.normal(size=(n, 3)))
    return x / np.linalg.norm(x, axis=1, keepdims=True) * rng.uniform(0.9, 1.0, size=(n, 1))


@pytest.mark.parametrize("n", [10, 100, 1_000, 10_000])
def test_hypervolume_3d(benchmark, n):
    data = points(n)
    assert benchmark(hypervolume, data) > 0


@pytest.mark.parametrize("n", [10, 100, 1_000, 10_000])
def test_front_3d(benchmark, n):
    data = points(n)
    assert len(benchmark(nondominated, data)) > 0
