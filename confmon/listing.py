"""`confmon ls`: one sweep through a session, printed as a plain table for people, or as JSON or
CSV for scripts and spreadsheets. A face like the screen: it reads the session's views and imports
no source."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.cells import cell_len, set_cell_size

from confmon.model import ConferenceStatus, Participant, Unrecognized
from confmon.session import Session
from confmon.views import RoomView, partly_read_warning, room_state

Wanted = Callable[[ConferenceStatus | Unrecognized], bool]


def _is(known: ConferenceStatus) -> Wanted:
    return lambda status: status is known


# `--status` words, confmon's (views.room_state) and the API's, -> whether a room's status is listed.
# "live" is every room not ended: a status outside the documented set is no evidence that the room
# ended, so it is listed with the live ones (and waiting ones too). "in-progress" keeps the API's
# exact meaning: the rooms known to be in progress, those the table shows as live.
STATUSES: dict[str, Wanted] = {
    "live": lambda status: status is not ConferenceStatus.COMPLETED,
    "waiting": _is(ConferenceStatus.INIT),
    "ended": _is(ConferenceStatus.COMPLETED),
    "in-progress": _is(ConferenceStatus.IN_PROGRESS),
    "init": _is(ConferenceStatus.INIT),
    "completed": _is(ConferenceStatus.COMPLETED),
}
# The words for ended rooms: those have left the live state, and only the API still lists them.
ENDED = frozenset({"ended", "completed"})


@dataclass(frozen=True)
class Listed:
    """What one listing read: the rooms, and what it read only in part (records dropped, or with a
    field unread) in the status bar's words. Odd records are a warning, not a failure."""

    rooms: list[RoomView]
    warning: str | None = None


async def rooms(session: Session, status: str) -> Listed:
    """The rooms of one status word; raises whatever the API answered, for the CLI to report."""
    await session.open()
    if status in ENDED:
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
        "status": str(c.status),  # the API's word, which scripts already read
        "state": room_state(c.status),
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
    status_width = _width((room_state(r.conference.status) for r in rooms), len("waiting"), STATUS_WIDTH)
    people = [(room, _present(room) if with_participants else []) for room in rooms]
    member_status_width = _width((str(p.status) for _, present in people for p in present), 10, STATUS_WIDTH)
    # PPL and MUTED hold up to 999 and 99999: Twilio lets 250 callers into a room.
    lines = [f"{'SID':34}  {fit('NAME', name_width)}  {fit('STATUS', status_width)}  PPL  MUTED  {'REGION':6}  CREATED"]
    for room, present in people:
        c = room.conference
        created = c.date_created.strftime("%Y-%m-%d %H:%M:%S") if c.date_created else "-"
        name, status = fit(c.friendly_name, name_width), fit(room_state(c.status), status_width)
        counts = f"{room.participant_count:>3}  {room.muted_count:>5}"
        lines.append(f"{c.sid:34}  {name}  {status}  {counts}  {c.region or '-':6}  {created}")
        for p in present:
            flags = " ".join(
                word for word, on in (("muted", p.muted), ("hold", p.hold), ("coaching", p.coaching)) if on
            )
            who = fit(p.display_name, PARTICIPANT_WIDTH)
            lines.append(f"    {p.call_sid:34}  {who}  {fit(str(p.status), member_status_width)}  {flags}".rstrip())
    return "\n".join(lines)


# CSV columns: the JSON's keys, so a script finds a field under one name in either format. A room
# row's `participants` and `muted` are counts; a participant row starts with its room's sid and name.
ROOM_COLUMNS = ("sid", "friendly_name", "state", "status", "region", "date_created", "participants", "muted")
PARTICIPANT_COLUMNS = ("conference_sid", "conference_name", "call_sid", "label", "status", "muted", "hold", "coaching")
# CSV injection (OWASP): a spreadsheet runs a cell starting with one of these as a formula, and a
# room's name or a caller's label is anyone's to choose (=HYPERLINK(...), a DDE call). A leading '
# makes such a cell text. Every such cell gets it, a label like "+1 212 555 0181" too, shown then as
# "'+1 212 555 0181": telling a phone number from a formula would be a guess, and a script that
# wants the text as the API gave it reads --format json.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"  # as the JSON says it
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value  # None is written as an empty cell


def _room_row(room: RoomView) -> dict[str, Any]:
    return {**conference_record(room), "participants": room.participant_count, "muted": room.muted_count}


def _participant_rows(room: RoomView) -> list[dict[str, Any]]:
    where = {"conference_sid": room.conference.sid, "conference_name": room.conference.friendly_name}
    return [{**where, **participant_record(p)} for p in _present(room)]


def render_csv(rooms: Sequence[RoomView], with_participants: bool) -> str:
    """A header, then a row per room, or with participants a row per caller present (a room with
    nobody in it then has no row)."""
    if with_participants:
        columns, rows = PARTICIPANT_COLUMNS, [row for room in rooms for row in _participant_rows(room)]
    else:
        columns, rows = ROOM_COLUMNS, [_room_row(room) for room in rooms]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: _cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue().removesuffix("\n")  # as the other formats: the caller ends the last line


# `--format` words -> the one renderer of each.
RENDERERS: dict[str, Callable[[Sequence[RoomView], bool], str]] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
}
