import numpy as np
import pytest

from morlbench.estimators import estimate
from morlbench.methods.base import MethodContext, RewardBatch
from morlbench.methods.static import Static, scalarise

R = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
W = np.array([0.5, 0.25, 0.25])


def test_linear_scalarisation():
    assert scalarise(R, W).tolist() == [0.75, 0.25, 0.75, 0.0]


def test_tchebycheff_scalarisation():
    # -max_k w_k (1 - r_k)
    assert scalarise(R, W, "tchebycheff").tolist() == [-0.25, -0.5, -0.25, -0.5]


def test_static_advantages_use_the_run_estimator():
    method = Static()
    method.setup(MethodContext(("a", "b", "c"), W, "rloo", 4, 10, 1e-3, 0))
    batch = RewardBatch(R, 4, 0, lambda col: estimate("rloo", col, 4))
    assert np.allclose(method.advantages(batch), estimate("rloo", R @ W, 4))
    other = Static()
    other.load_state_dict(method.state_dict())
    assert other.weights().tolist() == pytest.approx(W.tolist())


def test_only_linear_scalarisation_declares_itself_linear():
    assert Static().capabilities().linear_scalarisation
    assert not Static.from_options({"scalarisation": "tchebycheff"}).capabilities().linear_scalarisation
