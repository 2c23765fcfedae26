"""The one way tests wait: until a condition holds, on the event loop, with a deadline that fails
the test loudly. Never a sleep followed by an assertion that something did not happen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.pilot import Pilot

DEADLINE = 10.0  # seconds: generous, since a loaded CI machine is slow; a pass returns at once


async def wait_until(condition: Callable[[], bool], pilot: Pilot[None] | None = None, within: float = DEADLINE) -> None:
    """Return as soon as `condition()` is true; AssertionError after `within` seconds of real time.

    With a `pilot`, waiting lets the app process its messages and paint between checks."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within:g} s")
        if pilot is not None:
            await pilot.pause(0.01)
        else:
            await asyncio.sleep(0.001)
