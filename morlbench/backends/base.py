"""The backend interface: can it run this method and spec, and train it through the public loop.

A backend is one class registered under the ``morlbench.backends`` entry-point group (the built-in engine
and TRL are registered exactly so). ``check`` runs before anything is written and refuses, in one line
(``UsageError``), what the backend cannot run as the method describes; ``train`` runs the whole budget
through ``morlbench.run.loop.Loop``'s public primitives.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from morlbench.run.loop import Loop
    from morlbench.run.resolve import Resolved


class Backend:
    name: ClassVar[str]
    description: ClassVar[str]

    def check(self, resolved: Resolved, resume: bool, processes: int) -> None:
        """Refuse (raise UsageError) what this backend cannot run; default: everything runs."""

    def train(self, loop: Loop) -> None:
        raise NotImplementedError
