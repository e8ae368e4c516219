"""Checkpoints as safetensors (weights, optimizer moments) plus JSON (scalars, run state); never pickle."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from morlbench.results.atomic import atomic_write_bytes, atomic_write_text


def flatten_optimizer(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, slots in state["state"].items():
        for slot, value in slots.items():
            if torch.is_tensor(value):
                tensors[f"{index}.{slot}"] = value.detach().clone().contiguous()
            else:
                scalars.setdefault(str(index), {})[slot] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        index, slot = key.split(".", 1)
        state.setdefault(int(index), {})[slot] = value
    for index, slots in meta["scalars"].items():
        state.setdefault(int(index), {}).update(slots)
    groups = [dict(g, betas=tuple(g["betas"])) if "betas" in g else g for g in meta["param_groups"]]
    return {"state": state, "param_groups": groups}


def save_checkpoint(directory: Path, weights: dict[str, torch.Tensor], opt_tensors: dict[str, torch.Tensor],
                    opt_meta: dict[str, Any], run_state: dict[str, Any]) -> None:
    """Write the checkpoint files; ``state.json`` goes last, so a checkpoint without it is incomplete."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, tensors in (("policy.safetensors", weights), ("optimizer.safetensors", opt_tensors)):
        tmp = directory / f".{name}.tmp"
        save_file(tensors, str(tmp))
        atomic_write_bytes(directory / name, tmp.read_bytes())
        tmp.unlink()
    atomic_write_text(directory / "optimizer.json", json.dumps(opt_meta))
    atomic_write_text(directory / "state.json", json.dumps(run_state, indent=1))


def load_checkpoint(directory: Path) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, Any],
                                             dict[str, Any]]:
    weights = load_file(str(directory / "policy.safetensors"))
    opt_tensors = load_file(str(directory / "optimizer.safetensors"))
    opt_meta = json.loads((directory / "optimizer.json").read_text())
    run_state = json.loads((directory / "state.json").read_text())
    return weights, opt_tensors, opt_meta, run_state
