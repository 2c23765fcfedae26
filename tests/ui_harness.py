"""One way to build the app for Pilot and snapshot tests: the real app over the real simulator,
seeded, with a frozen clock and no background traffic, so only our keys change the world."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from confmon.audit import AuditLog
from confmon.backend import open_demo_backend
from confmon.clock import FrozenClock
from confmon.launch import make_app as launch_app
from confmon.sim.server import SimServer
from confmon.sim.world import World
from confmon.ui.app import ConfmonApp
from confmon.views import RoomView
from tests.waiting import wait_until

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
    sources = open_demo_backend(
        seed=seed, rooms=rooms, clock=clock, audit=audit, read_only=read_only, traffic=False, dialect=dialect,
        callbacks=callbacks, auth_token=DEMO_TOKEN,
    )
    return launch_app(
        sources, clock=clock, interval=interval, reconcile_interval=reconcile_interval,
        export_dir=audit_path.parent / "exports",
    )


def clock_of(app: ConfmonApp) -> FrozenClock:
    clock = app.clock
    assert isinstance(clock, FrozenClock)
    return clock


def simulator(app: ConfmonApp) -> SimServer:
    """The embedded simulator: the truth the keys are checked against (never what the screen shows)."""
    backend = app.session.backend
    assert backend is not None and backend.simulator is not None
    return backend.simulator


def world_of(app: ConfmonApp) -> World:
    return simulator(app).world


def room(app: ConfmonApp, conference_sid: str) -> RoomView:
    """What the screen was last told about a room, by its conference SID."""
    return next(view for key, view in app.rooms_seen.items() if key.sid == conference_sid)


async def wait_loaded(pilot: Pilot[None]) -> None:
    """Until the first poll is on screen and, where the backend has them, the recordings of the rooms
    on screen too (they come with the sweep after the screen told the session what it shows)."""
    app = pilot.app
    assert isinstance(app, ConfmonApp)
    await wait_until(lambda: app.status.health.last_success_at is not None and app.rooms.row_count > 0, pilot)
    if app.capabilities.has_recordings:
        await wait_until(lambda: all(view.recordings is not None for view in app.rooms_seen.values()), pilot)
    await pilot.pause()
