"""One way to build the app for Pilot and snapshot tests: the real app over the real simulator,
seeded, with a frozen clock and no background traffic, so only our keys change the world."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from confmon.api import dialects
from confmon.audit import AuditLog
from confmon.backend import DEMO_ACCOUNT_SID, open_demo_backend
from confmon.clock import FrozenClock
from confmon.ui.app import ConfmonApp

SIZE = (160, 45)


DEMO_TOKEN = "0123456789abcdef0123456789abcdef"  # the simulated account's, to sign callbacks by hand


def make_app(
    audit_path: Path,
    *,
    read_only: bool = False,
    rooms: int = 8,
    seed: int = 3,
    dialect: str = "twilio2010",
    callbacks: bool = False,
    interval: float = 0.25,
    reconcile_interval: float = 30.0,
) -> ConfmonApp:
    clock = FrozenClock()
    audit = AuditLog(audit_path, clock=clock)
    factory = open_demo_backend(
        seed=seed, rooms=rooms, clock=clock, audit=audit, read_only=read_only, traffic=False, dialect=dialect,
        callbacks=callbacks, auth_token=DEMO_TOKEN,
    )
    return ConfmonApp(
        factory,
        account_label=DEMO_ACCOUNT_SID,
        capabilities=dialects.get(dialect).CAPABILITIES,
        clock=clock,
        interval=interval,
        read_only=read_only,
        callbacks=callbacks,
        reconcile_interval=reconcile_interval,
    )


async def wait_until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


async def wait_loaded(pilot: Pilot) -> None:
    """Until the first poll is on screen and, where the backend has them, the recordings of the rooms
    on screen too (they come with the sweep after the screen told the poller what it shows)."""
    app = pilot.app
    await wait_until(pilot, lambda: app.store.health.last_success_at is not None and app.rooms.row_count > 0)
    if app.capabilities.has_recordings:
        await wait_until(pilot, lambda: all(room.recordings is not None for room in app.store.rooms.values()))
    await pilot.pause()
