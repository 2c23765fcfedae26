"""`confmon ls`: one sweep through a session, printed as a plain table for people or JSON for
scripts. A face like the screen: it reads the session's views and imports no source."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.cells import cell_len, set_cell_size

from confmon.model import ConferenceStatus, Participant, Unrecognized
from confmon.session import Session
from confmon.views import RoomView, partly_read_warning

# `--status` words -> whether a room's status is listed. "live" is every room not ended: a status
# outside the documented set is no evidence that the room ended, so it is listed with the live ones.
STATUSES: dict[str, Callable[[ConferenceStatus | Unrecognized], bool]] = {
    "live": lambda status: status is not ConferenceStatus.COMPLETED,
    "init": lambda status: status is ConferenceStatus.INIT,
    "in-progress": lambda status: status is ConferenceStatus.IN_PROGRESS,
    "completed": lambda status: status is ConferenceStatus.COMPLETED,
}


@dataclass(frozen=True)
class Listed:
    """What one listing read: the rooms, and what it read only in part (records dropped, or with a
    field unread) in the status bar's words. Odd records are a warning, not a failure."""

    rooms: list[RoomView]
    warning: str | None = None


async def rooms(session: Session, status: str) -> Listed:
    """The rooms of one status word; raises whatever the API answered, for the CLI to report."""
    await session.open()
    if status == "completed":  # ended rooms leave the live state; the API still lists them
        ended = await session.ended_rooms()
        return Listed(ended, partly_read_warning(len(ended.problems), next(iter(ended.problems), None)))
    await session.sweep_once()  # every live listing, and each room's participants
    wanted = STATUSES[status]
    health = session.status().health
    listed = [room for room in session.rooms().values() if wanted(room.conference.status)]
    return Listed(listed, health.partly_read_warning)


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


NAME_WIDTH, PARTICIPANT_WIDTH, STATUS_WIDTH = 40, 30, 24  # terminal cells, at most


def fit(text: str, width: int) -> str:
    """`text` in exactly `width` terminal cells: padded, or cut with an ellipsis. Measured in cells,
    not characters, so CJK and emoji (two cells) and combining marks (none) keep the columns after
    them straight; a wide character that would straddle the edge is dropped whole, never halved."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(set_cell_size(text, width - 1).rstrip() + "…", width)


def _width(texts: Iterable[str], least: int, most: int) -> int:
    """The cells a column needs for `texts`, within [least, most]."""
    return min(most, max([least, *map(cell_len, texts)]))


def render_table(rooms: Sequence[RoomView], with_participants: bool) -> str:
    if not rooms:
        return "no rooms"
    name_width = _width((r.conference.friendly_name for r in rooms), len("NAME"), NAME_WIDTH)
    # A status outside the documented set is shown as sent, so its column grows to fit it (to a point).
    status_width = _width((str(r.conference.status) for r in rooms), len("in-progress"), STATUS_WIDTH)
    people = [(room, _present(room) if with_participants else []) for room in rooms]
    member_status_width = _width((str(p.status) for _, present in people for p in present), 10, STATUS_WIDTH)
    lines = [f"{'SID':34}  {fit('NAME', name_width)}  {fit('STATUS', status_width)}  {'REGION':6}  CREATED"]
    for room, present in people:
        c = room.conference
        created = c.date_created.strftime("%Y-%m-%d %H:%M:%S") if c.date_created else "-"
        name, status = fit(c.friendly_name, name_width), fit(str(c.status), status_width)
        lines.append(f"{c.sid:34}  {name}  {status}  {c.region or '-':6}  {created}")
        for p in present:
            flags = " ".join(
                word for word, on in (("muted", p.muted), ("hold", p.hold), ("coaching", p.coaching)) if on
            )
            who = fit(p.display_name, PARTICIPANT_WIDTH)
            lines.append(f"    {p.call_sid:34}  {who}  {fit(str(p.status), member_status_width)}  {flags}".rstrip())
    return "\n".join(lines)
