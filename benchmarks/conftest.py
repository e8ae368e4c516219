import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def embedded():
    from morlbench.models.tiny_arith import TinyArith

    return TinyArith().load(torch.device("cpu"), torch.float32)
