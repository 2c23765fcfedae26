"""Ending on a signal as a Unix tool should: SIGTERM (a service manager, `kill`), SIGHUP (the terminal
went away) and SIGINT end confmon the way quitting does, so the screen leaves the alternate screen,
an action in flight writes its audit line, and the exit status is the shell's 128 + the signal.

Inside an event loop a signal only asks: the loop's handler runs between callbacks, and cancels the
command's task (`run`) or asks the app to exit (`confmon.ui.running`). Outside one (parsing, the
token prompt, printing) SIGTERM and SIGHUP raise `Interrupted`, as SIGINT raises KeyboardInterrupt.
Never raise it inside a loop: a task it lands in keeps it as its result, and the process carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")

TERMINATING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def exit_code(signum: int) -> int:
    """The status a shell reports for a process ended by `signum`: 143 for SIGTERM, 129 for SIGHUP."""
    return 128 + signum


class Interrupted(BaseException):
    """A terminating signal ended the command. A BaseException, as KeyboardInterrupt is, so no
    `except Exception` on the way swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return exit_code(self.signum)


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def raise_on_termination() -> None:
    """Outside an event loop, SIGTERM and SIGHUP raise Interrupted (SIGINT raises KeyboardInterrupt)."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_interrupted)


def end_on_termination() -> None:
    """SIGTERM and SIGHUP end the process the default way: for an event loop run by code that does not
    install `on_termination` (the simulator's), where a raised Interrupted could be lost in a task."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


@dataclass
class Caught:
    """The first terminating signal that arrived, if any."""

    signum: int | None = None


@contextlib.contextmanager
def on_termination(stop: Callable[[int], None]) -> Iterator[Caught]:
    """Inside the running loop: the first terminating signal calls `stop(signum)` from the loop.
    Repeats are ignored while the command winds down: a closing terminal sends SIGHUP more than
    once, and the audit line of an interrupted action must still be written (SIGKILL still works)."""
    loop = asyncio.get_running_loop()
    caught = Caught()

    def handle(signum: int) -> None:
        if caught.signum is None:
            caught.signum = signum
            stop(signum)

    previous = {signum: signal.getsignal(signum) for signum in TERMINATING}
    for signum in TERMINATING:
        loop.add_signal_handler(signum, handle, signum)
    try:
        yield caught
    finally:
        for signum, handler in previous.items():
            loop.remove_signal_handler(signum)
            if handler is not None:  # the loop leaves the default behind, not what was there before
                signal.signal(signum, handler)


def run(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run(main), which a terminating signal cancels: its cleanups run, then Interrupted."""

    async def guarded() -> T:
        task = asyncio.current_task()
        assert task is not None

        def cancel(signum: int) -> None:
            task.cancel()

        with on_termination(cancel) as caught:
            try:
                result = await main
            except asyncio.CancelledError:
                if caught.signum is None:
                    raise
                raise Interrupted(caught.signum) from None
            if caught.signum is not None:  # the cancellation was swallowed on the way: the signal still ends it
                raise Interrupted(caught.signum)
            return result

    return asyncio.run(guarded())
