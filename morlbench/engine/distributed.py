"""Data parallelism across processes started by ``accelerate launch``: which rows are this rank's, and the
few collectives the engine needs (sums of gradients and counts, gathers of rewards and samples).

One process (no launcher) is the degenerate case: every collective is the identity, so the single-process
path runs the same code. Each rank samples its own share of the prompt groups; rewards are gathered so that
every rank's method sees the whole batch and takes the same decision; gradients are summed before the
optimizer step, so the weights stay identical on every rank (checked at each checkpoint).
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from morlbench.errors import UsageError


@dataclass(frozen=True)
class Ranks:
    index: int = 0
    count: int = 1
    local_index: int = 0

    @property
    def is_main(self) -> bool:
        return self.index == 0

    @property
    def active(self) -> bool:
        return self.count > 1

    def group_share(self, groups: int) -> slice:
        """This rank's contiguous share of ``groups`` prompt groups (they must divide evenly)."""
        if groups % self.count:
            raise UsageError(f"prompts_per_step={groups} does not split over {self.count} processes; "
                             f"use a multiple of {self.count}")
        per = groups // self.count
        return slice(self.index * per, (self.index + 1) * per)

    # -- collectives (identity on one process) ----------------------------------------------------
    def sum_(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sum ``tensor`` over ranks, in place."""
        if self.active:
            torch.distributed.all_reduce(tensor, op=torch.distributed.ReduceOp.SUM)
        return tensor

    def sum_gradients(self, params: Sequence[torch.nn.Parameter]) -> None:
        """Sum the gradients of ``params`` over ranks, as one flat buffer (one collective, not one per tensor).
        Parameters without a gradient keep none: every rank runs the same model, so the set is the same."""
        if not self.active:
            return
        with_grad = [p for p in params if p.grad is not None]
        flat = self.sum_(torch.cat([p.grad.reshape(-1) for p in with_grad]))
        offset = 0
        for p in with_grad:
            p.grad = flat[offset : offset + p.numel()].view_as(p)
            offset += p.numel()

    def sum_numbers(self, values: Sequence[float]) -> list[float]:
        if not self.active:
            return list(values)
        return self.sum_(torch.tensor(list(values), dtype=torch.float64)).tolist()

    def gather(self, items: list[Any]) -> list[Any]:
        """Every rank's list, concatenated in rank order (objects are pickled for transport only)."""
        if not self.active:
            return items
        parts: list[list[Any] | None] = [None] * self.count
        torch.distributed.all_gather_object(parts, items)
        return [item for part in parts for item in part]  # type: ignore[union-attr]

    def gather_strided(self, local: list[Any]) -> list[Any]:
        """Undo ``items[index::count]``: every rank's strided share back in the original order."""
        if not self.active:
            return local
        parts = self.gather([local])
        return [parts[i % self.count][i // self.count] for i in range(sum(len(p) for p in parts))]

    def gather_rows(self, array: np.ndarray) -> np.ndarray:
        if not self.active:
            return array
        return np.concatenate(self.gather([array]), axis=0)

    def barrier(self) -> None:
        if self.active:
            torch.distributed.barrier()

    def check_identical(self, tensors: dict[str, torch.Tensor]) -> None:
        """Raise if the ranks' weights differ: data parallelism must keep one policy."""
        if not self.active:
            return
        digest = hashlib.sha256()
        for name in sorted(tensors):
            digest.update(tensors[name].detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
        digests = self.gather([digest.hexdigest()])
        if len(set(digests)) != 1:
            raise RuntimeError(f"data-parallel ranks hold different weights (digests {digests}); "
                               "the gradient reduction is broken")


ONE_PROCESS = Ranks()


def current_ranks(device: str) -> Ranks:
    """The ranks of this launch: one process unless started by ``accelerate launch`` (or torchrun)."""
    from accelerate import PartialState

    state = PartialState(cpu=device == "cpu")
    return Ranks(state.process_index, state.num_processes, state.local_process_index)
