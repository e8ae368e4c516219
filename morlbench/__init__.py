"""morlbench: a benchmark for multi-objective RL alignment of language models.

The Python API (docs/api.md): ``morlbench.train(...)``, ``morlbench.load(path)``, ``morlbench.compare_runs(...)``.
They are imported on first use, so ``import morlbench`` stays light (no torch).
"""
from typing import Any

__version__ = "0.1.0"
__all__ = ["RunResult", "compare_runs", "load", "train"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from morlbench import api

        return getattr(api, name)
    raise AttributeError(f"module 'morlbench' has no attribute {name!r}")
