"""Shared fixtures: a frozen clock, a seeded world on it, and the simulator serving that world on a
loopback port. A module that needs another world (another seed, more rooms) overrides `world`, and
`simulator` then serves that one."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from confmon.clock import FrozenClock
from confmon.secret import _KNOWN
from confmon.sim.server import SimServer
from confmon.sim.world import World
from tests.simulated import ACCOUNT, TOKEN

# Textual's animations would make screens depend on timing.
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture(autouse=True)
def _no_twilio_region(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK rewrites hosts when these are set, which would send the oracle away from loopback.
    monkeypatch.delenv("TWILIO_REGION", raising=False)
    monkeypatch.delenv("TWILIO_EDGE", raising=False)


@pytest.fixture(autouse=True)
def _secrets_of_this_test_only() -> Iterator[None]:
    # Every Secret registers itself for redaction for the life of the process: without this, one
    # test's Secret("token") would redact the word "token" from every later test's messages.
    known = _KNOWN.snapshot()
    yield
    _KNOWN.restore(known)


@pytest.fixture
def clock() -> FrozenClock:
    """Time that moves only when the test moves it."""
    return FrozenClock()


@pytest.fixture
def world(clock: FrozenClock) -> World:
    """A seeded account with no life of its own: only the test changes it."""
    return World(11, clock, ACCOUNT, target_rooms=12, traffic=False)


@pytest_asyncio.fixture
async def simulator(world: World) -> AsyncIterator[SimServer]:
    """The world served over HTTP on a free loopback port, in Twilio 2010 JSON, with TOKEN."""
    server = SimServer(world, auth_token=TOKEN)
    await server.start()
    yield server
    await server.stop()
