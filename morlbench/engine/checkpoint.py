"""Checkpoints as safetensors (weights, optimizer moments) plus JSON (scalars, run state); never pickle.

A checkpoint is written as one unit: every file goes into ``checkpoint.new/`` with a manifest of their sha256
digests written last, then the previous checkpoint is moved aside and the new one renamed into place, and only
then is the previous one removed. A kill at any moment leaves either the previous checkpoint or the new one,
complete (tested at every file boundary). Loading checks the manifest's digests before anything is used; a file
that does not match is refused in one line.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from morlbench.errors import UsageError
from morlbench.results.atomic import atomic_write_text, file_sha256

FILES = ("policy.safetensors", "optimizer.safetensors", "optimizer.json", "state.json")
MANIFEST = "manifest.json"


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


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def boundary(name: str) -> None:
    """Called between the steps of writing a checkpoint; the tests make it raise to stand for a kill there."""


def write_files(staging: Path, weights: dict[str, torch.Tensor], opt_tensors: dict[str, torch.Tensor],
                opt_meta: dict[str, Any], run_state: dict[str, Any]) -> None:
    """The checkpoint's files, one by one, then the manifest of their digests."""
    for name, tensors in (("policy.safetensors", weights), ("optimizer.safetensors", opt_tensors)):
        save_file(tensors, str(staging / name))
        _fsync(staging / name)
        boundary(name)
    atomic_write_text(staging / "optimizer.json", json.dumps(opt_meta))
    boundary("optimizer.json")
    atomic_write_text(staging / "state.json", json.dumps(run_state, indent=1))
    boundary("state.json")
    atomic_write_text(staging / MANIFEST, json.dumps({name: file_sha256(staging / name) for name in FILES}, indent=1))
    boundary(MANIFEST)


def save_checkpoint(directory: Path, weights: dict[str, torch.Tensor], opt_tensors: dict[str, torch.Tensor],
                    opt_meta: dict[str, Any], run_state: dict[str, Any]) -> None:
    staging, previous = directory.with_name(directory.name + ".new"), directory.with_name(directory.name + ".old")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    write_files(staging, weights, opt_tensors, opt_meta, run_state)
    shutil.rmtree(previous, ignore_errors=True)
    if directory.exists():
        directory.rename(previous)
        boundary("previous moved aside")
    staging.rename(directory)
    boundary("new in place")
    shutil.rmtree(previous, ignore_errors=True)


def settle(directory: Path) -> None:
    """After an interruption: a half-written ``.new`` is dropped; a checkpoint moved aside but not yet replaced
    (a kill between the two renames) is put back."""
    staging, previous = directory.with_name(directory.name + ".new"), directory.with_name(directory.name + ".old")
    shutil.rmtree(staging, ignore_errors=True)
    if previous.exists():
        if directory.exists():
            shutil.rmtree(previous)
        else:
            previous.rename(directory)


def has_checkpoint(directory: Path) -> bool:
    settle(directory)
    return (directory / MANIFEST).exists()


def verify(directory: Path) -> None:
    """Every file present and matching the manifest's digest; one line naming the first that does not."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        raise UsageError(f"{directory / MANIFEST} is unreadable; the checkpoint cannot be trusted "
                         "(start the run again in a new --out)") from None
    for name in FILES:
        path = directory / name
        if not isinstance(manifest, dict) or not path.exists() or file_sha256(path) != manifest.get(name):
            raise UsageError(f"{path} does not match the checkpoint's manifest (damaged or replaced); "
                             "start the run again in a new --out")


def load_checkpoint(directory: Path) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, Any],
                                             dict[str, Any]]:
    verify(directory)
    try:
        weights = load_file(str(directory / "policy.safetensors"))
        opt_tensors = load_file(str(directory / "optimizer.safetensors"))
        opt_meta = json.loads((directory / "optimizer.json").read_text())
        run_state = json.loads((directory / "state.json").read_text())
    except (SafetensorError, OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"the checkpoint in {directory} is unreadable ({type(exc).__name__})") from None
    return weights, opt_tensors, opt_meta, run_state
