import pytest
import torch

from morlbench.methods.base import MethodContext, RewardBatch
from morlbench.methods.static import Static, scalarise
from morlbench.engine.estimators import estimate

R = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]], dtype=torch.float64)


def test_linear_scalarisation():
    w = torch.tensor([0.5, 0.25, 0.25], dtype=torch.float64)
    assert scalarise(R, w).tolist() == [0.75, 0.25, 0.75, 0.0]


def test_tchebycheff_scalarisation():
    w = torch.tensor([0.5, 0.25, 0.25], dtype=torch.float64)
    # -max_k w_k (1 - r_k)
    assert scalarise(R, w, "tchebycheff").tolist() == [-0.25, -0.5, -0.25, -0.5]


def test_static_advantages_use_the_run_estimator():
    method = Static()
    w = [0.5, 0.25, 0.25]
    method.setup(MethodContext(("a", "b", "c"), torch.tensor(w).numpy(), "rloo", 4, 10, 1e-3, 0))
    batch = RewardBatch(R, 4, 0, lambda col: estimate("rloo", col, 4))
    expected = estimate("rloo", R @ torch.tensor(w, dtype=torch.float64), 4)
    assert torch.allclose(method.advantages(batch), expected)
    state = method.state_dict()
    other = Static()
    other.load_state_dict(state)
    assert other.weights().tolist() == pytest.approx(w)
