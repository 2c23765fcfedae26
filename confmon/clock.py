"""Injected time: the world, the store, the session's waits and the screens read it here, so tests
can freeze it and move it by hand, with no real sleeps."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    async def sleep_until(self, when: float) -> None:
        """Return once this clock reads `when` or later (at once if it already does)."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def sleep_until(self, when: float) -> None:
        await asyncio.sleep(max(0.0, when - time.time()))


class FrozenClock:
    """A clock that moves only when told to; for tests and reproducible screenshots.

    A sleep ends when `advance` moves the time to its end, never on its own: what a test does not
    advance to does not happen, and what it does happens without waiting for real time."""

    def __init__(self, start: float = 1_764_000_000.0) -> None:  # 2025-11-24 16:00:00 UTC
        self._now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()  # ties wake in the order they slept

    def now(self) -> float:
        return self._now

    async def sleep_until(self, when: float) -> None:
        if when <= self._now:
            await asyncio.sleep(0)
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (when, next(self._order), woken))
        await woken

    def advance(self, seconds: float) -> None:
        self._now += seconds
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, woken = heapq.heappop(self._sleepers)
            if not woken.done():  # a cancelled sleeper has nothing left to wake
                woken.set_result(None)

    @property
    def sleepers(self) -> int:
        """How many sleeps are waiting on this clock: a test waits for the count it expects
        instead of sleeping for real and hoping the code under test got there."""
        return sum(1 for _, _, woken in self._sleepers if not woken.done())


def to_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
