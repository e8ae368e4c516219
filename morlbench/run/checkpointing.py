"""A run's checkpoint: the policy and optimizer tensors, and the run state (budget, running mean length, the
method's state) as JSON. The file format (safetensors and JSON, never pickle) is ``morlbench.engine.checkpoint``'s.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from morlbench.engine.checkpoint import load_checkpoint, save_checkpoint
from morlbench.engine.distributed import Ranks
from morlbench.engine.engine import Engine


def save(directory: Path, engine: Engine, ranks: Ranks, run_state: dict[str, Any]) -> None:
    weights, opt_tensors, opt_meta = engine.state_tensors()
    ranks.check_identical(weights)
    if ranks.is_main:
        save_checkpoint(directory, weights, opt_tensors, opt_meta, run_state)


def restore(directory: Path, engine: Engine) -> dict[str, Any] | None:
    """Load the last checkpoint into ``engine`` and return its run state; None when there is none yet."""
    if not (directory / "state.json").exists():
        return None
    weights, opt_tensors, opt_meta, state = load_checkpoint(directory)
    engine.load_state_tensors(weights, opt_tensors, opt_meta)
    return state
