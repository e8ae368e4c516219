"""Plugin code kept from taking morlbench down with a BaseException (which entry point raised it: the registry).

``except Exception`` lets ``SystemExit``, ``KeyboardInterrupt`` and other ``BaseException`` subclasses through, so a
plugin that calls ``sys.exit`` at import or inside a hook would end the whole command silently. Where morlbench
calls plugin code (registry discovery, a metric, a run's training) such an exception becomes a ``PluginError``:
one line naming the entry point, handled like any error of that plugin.

The user's Ctrl-C must still stop a run resumably, and it arrives as a ``KeyboardInterrupt`` wherever the program
happens to be, often inside plugin code. ``watch_user_signals`` (the command line installs it) counts the
interrupts the user sends; a ``KeyboardInterrupt`` is taken for a plugin's only while it is installed and no
interrupt was sent. Where nobody watches (the Python API), every ``KeyboardInterrupt`` is the user's.
"""
from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from morlbench.errors import UsageError

_watching = False
_user_signals = 0


class PluginError(UsageError):
    """Plugin code raised what ends a program (SystemExit, a KeyboardInterrupt nobody sent, ...)."""


def user_interrupt(signum: int, frame: FrameType | None) -> None:
    """Signal handler: the user (or a supervisor) asked to stop; counted, then a KeyboardInterrupt as usual."""
    global _user_signals
    _user_signals += 1
    raise KeyboardInterrupt


def watch_user_signals() -> None:
    """Count the user's Ctrl-C from now on (main thread only, where Python's default handler is in place)."""
    global _watching
    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, user_interrupt)
        _watching = True


def sent_by_user(exc: BaseException) -> bool:
    """A KeyboardInterrupt that may be the user's: nobody watches the signals, or the user sent one."""
    return isinstance(exc, KeyboardInterrupt) and (not _watching or _user_signals > 0)


def describe(exc: BaseException) -> str:
    """``SystemExit(3)``, with the message on one line."""
    return f"{type(exc).__name__}({one_line(', '.join(map(repr, exc.args)))})"


def one_line(text: str, limit: int = 300) -> str:
    """``text`` with its line breaks and runs of spaces collapsed, cut at ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def plugin_error(exc: BaseException, who: str) -> PluginError | None:
    """What morlbench reports when plugin ``who`` raised ``exc``; None when ``exc`` must go on as it is (an
    ordinary exception, handled where it is caught, or the user's interrupt)."""
    if isinstance(exc, Exception) or sent_by_user(exc):
        return None
    return PluginError(f"{who} raised {describe(exc)}; plugin code must raise an exception, not end the program")


@contextmanager
def guarded(who: str) -> Iterator[None]:
    """Run plugin code; what would end the program becomes a ``PluginError`` naming ``who``."""
    try:
        yield
    except BaseException as exc:
        error = plugin_error(exc, who)
        if error is None:
            raise
        raise error from None
