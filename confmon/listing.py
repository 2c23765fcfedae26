"""`confmon ls`: one sweep through a session, printed as a plain table for people or JSON for
scripts. A face like the screen: it reads the session's views and imports no source."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.cells import cell_len, set_cell_size

from confmon.model import ConferenceStatus, Participant
from confmon.session import Session
from confmon.views import RoomView

# `--status` words -> the conference statuses they list.
STATUSES: dict[str, frozenset[ConferenceStatus]] = {
    "live": frozenset({ConferenceStatus.INIT, ConferenceStatus.IN_PROGRESS}),
    "init": frozenset({ConferenceStatus.INIT}),
    "in-progress": frozenset({ConferenceStatus.IN_PROGRESS}),
    "completed": frozenset({ConferenceStatus.COMPLETED}),
}


async def rooms(session: Session, status: str) -> list[RoomView]:
    """The rooms of one status word; raises whatever the API answered, for the CLI to report."""
    await session.open()
    if status == "completed":  # ended rooms leave the live state; the API still lists them
        return await session.ended_rooms()
    await session.sweep_once()
    wanted = STATUSES[status]
    return [room for room in session.rooms().values() if room.conference.status in wanted]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _present(room: RoomView) -> list[Participant]:
    return [member.participant for member in room.present()]


def participant_record(p: Participant) -> dict[str, Any]:
    return {
        "call_sid": p.call_sid,
        "label": p.label,
        "status": str(p.status),
        "muted": p.muted,
        "hold": p.hold,
        "coaching": p.coaching,
        "end_conference_on_exit": p.end_conference_on_exit,
        "date_created": _iso(p.date_created),
    }


def conference_record(room: RoomView) -> dict[str, Any]:
    c = room.conference
    return {
        "sid": c.sid,
        "friendly_name": c.friendly_name,
        "status": str(c.status),
        "region": c.region,
        "date_created": _iso(c.date_created),
        "date_updated": _iso(c.date_updated),
        "reason_conference_ended": c.reason_conference_ended,
    }


def render_json(rooms: Sequence[RoomView], with_participants: bool) -> str:
    records = []
    for room in rooms:
        record = conference_record(room)
        if with_participants:
            record["participants"] = [participant_record(p) for p in _present(room)]
        records.append(record)
    return json.dumps(records, indent=2)


NAME_WIDTH, PARTICIPANT_WIDTH = 40, 30  # terminal cells, at most


def fit(text: str, width: int) -> str:
    """`text` in exactly `width` terminal cells: padded, or cut with an ellipsis. Measured in cells,
    not characters, so CJK and emoji (two cells) and combining marks (none) keep the columns after
    them straight; a wide character that would straddle the edge is dropped whole, never halved."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(set_cell_size(text, width - 1).rstrip() + "…", width)


def render_table(rooms: Sequence[RoomView], with_participants: bool) -> str:
    if not rooms:
        return "no rooms"
    name_width = min(NAME_WIDTH, max(len("NAME"), *(cell_len(r.conference.friendly_name) for r in rooms)))
    lines = [f"{'SID':34}  {fit('NAME', name_width)}  {'STATUS':11}  {'REGION':6}  CREATED"]
    for room in rooms:
        c = room.conference
        created = c.date_created.strftime("%Y-%m-%d %H:%M:%S") if c.date_created else "-"
        name = fit(c.friendly_name, name_width)
        lines.append(f"{c.sid:34}  {name}  {c.status:11}  {c.region or '-':6}  {created}")
        for p in _present(room) if with_participants else ():
            flags = " ".join(
                word for word, on in (("muted", p.muted), ("hold", p.hold), ("coaching", p.coaching)) if on
            )
            who = fit(p.display_name, PARTICIPANT_WIDTH)
            lines.append(f"    {p.call_sid:34}  {who}  {p.status:10}  {flags}")
    return "\n".join(lines)
