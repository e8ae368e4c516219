"""``--backend morlbench``: the built-in engine samples and updates; the method drives the loop."""
from __future__ import annotations

from typing import TYPE_CHECKING

from morlbench.backends.base import Backend

if TYPE_CHECKING:
    from morlbench.run.loop import Loop


class NativeBackend(Backend):
    name = "morlbench"
    description = "the built-in engine: batched sampling with a preallocated cache, exact per-objective gradients"

    def train(self, loop: Loop) -> None:
        loop.method.train(loop)
