"""Regenerate the README's screenshots from the seeded demo with a frozen clock.

    python scripts/screenshots.py          # writes screenshots/*.svg
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from textual.pilot import Pilot

from confmon.audit import AuditLog
from confmon.backend import open_demo_backend
from confmon.clock import FrozenClock
from confmon.launch import make_app
from confmon.ui.app import ConfmonApp

OUT = Path(__file__).resolve().parents[1] / "screenshots"
SIZE = (160, 45)

# (file name, dialect, keys pressed after the first poll). Like `confmon demo`, the screens run with
# status callbacks on where the dialect has them; someone in the first rooms is talking.
SHOTS = [
    ("main", "twilio2010", ()),
    ("participants", "twilio2010", ("down", "down", "tab", "down")),
    ("confirm", "twilio2010", ("tab", "k")),
    ("help", "twilio2010", ("question_mark",)),
    ("restcomm", "restcomm", ()),
    ("restcomm-end", "restcomm", ("e",)),
]


async def shoot(name: str, dialect: str, keys: tuple[str, ...], audit_dir: Path) -> None:
    clock = FrozenClock()
    audit = AuditLog(audit_dir / f"{name}.jsonl", clock=clock)
    sources = open_demo_backend(
        seed=7, rooms=12, clock=clock, audit=audit, traffic=False, dialect=dialect, callbacks=True
    )
    app = make_app(sources, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        rooms = app.rooms_seen
        while app.status.health.last_success_at is None or (
            app.capabilities.has_recordings and not all(r.recordings is not None for r in rooms.values())
        ):
            await pilot.pause(0.05)  # the first poll, then the one that brings the recordings on screen
        await pilot.pause()
        if app.status.mode.callbacks:
            await someone_talks(app, pilot)
        await pilot.press(*keys)
        await pilot.pause(0.2)
        app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
    print(f"wrote {OUT / name}.svg")


async def someone_talks(app: ConfmonApp, pilot: Pilot[None]) -> None:
    """In each of the first three rooms the first caller who can be heard starts talking."""
    backend = app.session.backend
    assert backend is not None and backend.world is not None
    talking = []
    for room in list(app.rooms_seen.values())[:3]:
        heard = [m.call_sid for m in room.present() if not m.participant.muted and not m.participant.hold]
        if heard and room.conference.status == "in-progress":
            backend.world.speak(room.conference.sid, heard[0])
            talking.append((room.key, heard[0]))
    while not all(app.rooms_seen[key].members[sid].speaking for key, sid in talking):
        await pilot.pause(0.05)


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as audit_dir:
        for name, dialect, keys in SHOTS:
            await shoot(name, dialect, keys, Path(audit_dir))


if __name__ == "__main__":
    asyncio.run(main())
