"""Protocol 3's statistics on cases worked out by hand, and the coverage of the task-level interval."""
from __future__ import annotations

import math

import numpy as np
import pytest

from morlbench.metrics.stats import holm, minimum_detectable, sign_flip_p
from morlbench.metrics.survival import TimeToTarget, first_reach, kaplan_meier
from morlbench.metrics.task_interval import task_interval


def test_sign_flip_exact_p_values():
    # +-1 +-2 +-3: sums 6 4 2 0 0 -2 -4 -6; |sum| >= 6 in 2 of 8
    assert sign_flip_p([1.0, 2.0, 3.0]) == pytest.approx(0.25)
    assert sign_flip_p([1.0] * 5) == pytest.approx(2 / 32)  # the floor at 5 seeds: 0.0625
    assert sign_flip_p([0.5] * 10) == pytest.approx(2 / 1024)
    assert sign_flip_p([1.0, -1.0]) == 1.0
    assert sign_flip_p([3.0]) is None
    # 0.1 + 0.2 + 0.3 and 0.6 are equal up to rounding: every vector at least as extreme as the observed one counts
    assert sign_flip_p([0.1, 0.2, 0.3, 0.6]) == pytest.approx(sign_flip_p([1.0, 2.0, 3.0, 6.0]))


def test_sign_flip_beyond_exact_is_seeded_monte_carlo():
    d = list(np.linspace(-0.2, 1.0, 24))
    assert sign_flip_p(d) == sign_flip_p(d)
    assert 0 < sign_flip_p(d) < 0.01


def test_holm_family_and_detectable_difference_after_correction():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    # the detectable difference at Holm's first step (alpha / m) is larger than at alpha
    assert minimum_detectable(0.02, 10, alpha=0.05 / 12) > minimum_detectable(0.02, 10)


def test_kaplan_meier_by_hand():
    # reached at 2, 4, 4, 6; one censored at the budget 10
    data = [TimeToTarget(2, True), TimeToTarget(4, True), TimeToTarget(4, True), TimeToTarget(6, True),
            TimeToTarget(10, False)]
    km = kaplan_meier(data)
    assert km.times.tolist() == [2, 4, 6]
    assert km.survival.tolist() == pytest.approx([0.8, 0.4, 0.2])
    median, low, high = km.median()
    assert median == 4 and low <= 4 and (high is None or high >= 4)
    assert km.restricted_mean() == pytest.approx((2 + 4 + 4 + 6 + 10) / 5)  # the mean of min(T, budget)


def test_kaplan_meier_median_unreached_when_most_are_censored():
    data = [TimeToTarget(3, True)] + [TimeToTarget(10, False)] * 4
    median, _, _ = kaplan_meier(data).median()
    assert median is None
    assert kaplan_meier(data).restricted_mean() == pytest.approx((3 + 40) / 5)


def test_restricted_times_are_monotone_in_the_target():
    curve = [(0, 0.1), (5, 0.3), (10, 0.35), (15, 0.5)]
    times = [first_reach(curve, target, 20) for target in (0.2, 0.3, 0.4, 0.6)]
    assert [t.time for t in times] == [5, 5, 15, 20] and [t.reached for t in times] == [True, True, True, False]


def _true_task_value(mu, sd_seed, sd_problem):
    """E over seeds of prod_k E over problems of sigmoid(mu_k + a_k + b_k), by Gauss-Hermite quadrature."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(60)
    weights = weights / weights.sum()
    value = 1.0
    for m in mu:
        inner = 1 / (1 + np.exp(-(m + sd_seed * nodes[:, None] + sd_problem * nodes[None, :])))
        value *= float(weights @ (inner @ weights))
    return value


def _coverage(seeds, problems, interval, simulations=400, seed=7):
    mu, sd_seed, sd_problem = np.array([0.3, -0.4]), 0.1, 1.2
    truth = _true_task_value(mu, sd_seed, sd_problem)
    rng = np.random.default_rng(seed)
    covered = 0
    for _ in range(simulations):
        b = rng.normal(0, sd_problem, (problems, 2))  # one draw of problems, shared by every seed
        per_seed = []
        for _ in range(seeds):
            a = rng.normal(0, sd_seed, 2)
            per_seed.append((rng.random((problems, 2)) < 1 / (1 + np.exp(-(mu + a + b)))).astype(float))
        _, low, high = interval(per_seed)
        covered += low <= truth <= high
    return covered / simulations


def product(x):
    return float(np.prod(x))  # the hypervolume of one point above the origin


def test_task_interval_covers_the_task_level_mean():
    coverage = _coverage(10, 256, lambda v: task_interval(v, product))
    assert coverage >= 0.93


def test_an_interval_over_seeds_alone_does_not():
    """The same simulation with the seed part only: it describes the problem set drawn, not the task."""
    from morlbench.metrics.stats import t_interval

    coverage = _coverage(10, 256, lambda v: t_interval([product(x.mean(axis=0)) for x in v]))
    assert coverage < 0.85


def test_task_interval_small_cases():
    assert math.isnan(task_interval([], product)[0])
    mean, low, high = task_interval([np.ones((4, 2))], product)
    assert mean == 1.0 and low is None and high is None
