"""`confmon ls` output: a plain table for people, JSON for scripts. Text is already sanitized."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from confmon.model import Conference, Participant


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def participant_record(p: Participant) -> dict:
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


def conference_record(c: Conference) -> dict:
    return {
        "sid": c.sid,
        "friendly_name": c.friendly_name,
        "status": str(c.status),
        "region": c.region,
        "date_created": _iso(c.date_created),
        "date_updated": _iso(c.date_updated),
        "reason_conference_ended": c.reason_conference_ended,
    }


def render_json(
    rooms: Sequence[Conference], participants: Mapping[str, Sequence[Participant]], with_participants: bool
) -> str:
    records = []
    for room in rooms:
        record = conference_record(room)
        if with_participants:
            record["participants"] = [participant_record(p) for p in participants.get(room.sid, ())]
        records.append(record)
    return json.dumps(records, indent=2)


def render_table(rooms: Sequence[Conference], participants: Mapping[str, Sequence[Participant]]) -> str:
    if not rooms:
        return "no rooms"
    name_width = min(40, max(len("NAME"), *(len(r.friendly_name) for r in rooms)))
    lines = [f"{'SID':34}  {'NAME':{name_width}}  {'STATUS':11}  {'REGION':6}  CREATED"]
    for room in rooms:
        created = room.date_created.strftime("%Y-%m-%d %H:%M:%S") if room.date_created else "-"
        name = room.friendly_name[:name_width]
        lines.append(f"{room.sid:34}  {name:{name_width}}  {room.status:11}  {room.region or '-':6}  {created}")
        for p in participants.get(room.sid, ()):
            flags = " ".join(
                word for word, on in (("muted", p.muted), ("hold", p.hold), ("coaching", p.coaching)) if on
            )
            lines.append(f"    {p.call_sid:34}  {p.display_name[:30]:30}  {p.status:10}  {flags}")
    return "\n".join(lines)
