"""A run's checkpoint: the policy and optimizer tensors, and the run state (budget, running mean length, the
method's state) as JSON. The file format (one unit, digests checked before use) is ``morlbench.engine.checkpoint``'s.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from morlbench.engine.checkpoint import has_checkpoint, load_checkpoint, save_checkpoint
from morlbench.engine.distributed import Ranks
from morlbench.engine.engine import Engine
from morlbench.errors import UsageError


def save(directory: Path, engine: Engine, ranks: Ranks, run_state: dict[str, Any]) -> None:
    weights, opt_tensors, opt_meta = engine.state_tensors()
    ranks.check_identical(weights)
    if ranks.is_main:
        save_checkpoint(directory, weights, opt_tensors, opt_meta, run_state)


def check_state(state: Any, total_steps: int, rollouts_per_step: int, where: Path) -> None:
    """A run state whose counters a run of this budget could have reached; one line otherwise."""
    counters = state.get("counters") if isinstance(state, dict) else None
    step = counters.get("step") if isinstance(counters, dict) else None
    if not isinstance(step, int) or isinstance(step, bool) or not 1 <= step <= total_steps:
        raise UsageError(f"--resume: {where} holds step {step!r}, not a step of this {total_steps}-step run")
    if counters.get("rollouts") != step * rollouts_per_step:
        raise UsageError(f"--resume: {where} counts {counters.get('rollouts')!r} rollouts at step {step}; a run of "
                         f"this batch has {step * rollouts_per_step}")
    length = state.get("running_mean_length")
    if not isinstance(length, dict) or length.get("count") != step * rollouts_per_step:
        raise UsageError(f"--resume: {where} holds a running mean length that does not match its step")
    if not isinstance(state.get("method"), dict):
        raise UsageError(f"--resume: {where} holds no method state")


def restore(directory: Path, engine: Engine, total_steps: int, rollouts_per_step: int) -> dict[str, Any] | None:
    """Load the last checkpoint into ``engine`` and return its run state; None when there is none yet."""
    if not has_checkpoint(directory):
        return None
    weights, opt_tensors, opt_meta, state = load_checkpoint(directory)
    check_state(state, total_steps, rollouts_per_step, directory / "state.json")
    try:
        engine.load_state_tensors(weights, opt_tensors, opt_meta)
    except (RuntimeError, KeyError, ValueError, TypeError) as exc:
        raise UsageError(f"--resume: the checkpoint in {directory} does not fit this run's model "
                         f"({type(exc).__name__})") from None
    return state
