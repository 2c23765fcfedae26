"""The three live panes: rooms, the selected room's participants, and the event log.

Each pane turns the session's frozen views into plain rows and hands them to its table; wire text
arrives already sanitized and is only ever wrapped in `Text`, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.widgets import RichLog

from confmon.model import Action, Capabilities, ConferenceStatus, RoomKey, Unrecognized
from confmon.ui import format as fmt
from confmon.ui.keyed_table import KeyedTable, Row
from confmon.views import LogEntry, RoomView

_ROOM_STATUS: dict[ConferenceStatus | Unrecognized, str] = {  # an unrecognized one shows as sent
    ConferenceStatus.INIT: "waiting",
    ConferenceStatus.IN_PROGRESS: "live",
    ConferenceStatus.COMPLETED: "ended",
}
_PENDING_WORDS = {
    Action.MUTE: "muting…",
    Action.UNMUTE: "unmuting…",
    Action.HOLD: "holding…",
    Action.UNHOLD: "unholding…",
    Action.KICK: "kicking…",
    Action.END: "ending…",
    Action.ANNOUNCE: "announcing…",
}


class RoomsTable(KeyedTable[RoomKey]):
    COLUMNS = (
        ("name", "Room", 40),
        ("status", "Status", 8),
        ("moderator", "Mod", 3),
        ("people", "Ppl", 4),
        ("muted", "Muted", 5),
        ("recordings", "Rec", 4),
        ("age", "Age", 7),
        ("region", "Region", 6),
        ("updated", "Updated", 8),
    )

    def __init__(self, capabilities: Capabilities, **kwargs: Any) -> None:
        hidden = set()
        if not capabilities.reports_moderator:
            hidden.add("moderator")
        if not capabilities.has_recordings:
            hidden.add("recordings")
        super().__init__(hidden=hidden, **kwargs)

    def show(
        self,
        rooms: Mapping[RoomKey, RoomView],
        now: float,
        name_filter: str = "",
        only: Collection[RoomKey] | None = None,
    ) -> bool:
        """The rooms matching the filter; `only`: just these rooms changed (None: look at every room,
        as the clock's tick must, since every row's ages move)."""
        needle = name_filter.casefold()
        if only is None:
            return self.sync({key: row for key, room in rooms.items() if (row := self._row(room, now, needle))})
        return self.patch({key: self._row(rooms[key], now, needle) if key in rooms else None for key in only})

    def _row(self, room: RoomView, now: float, needle: str) -> Row | None:
        conference = room.conference
        if needle and needle not in conference.friendly_name.casefold():
            return None
        pending = room.pending
        status = _PENDING_WORDS[pending] if pending else _ROOM_STATUS.get(conference.status, str(conference.status))
        created = conference.date_created.timestamp() if conference.date_created else room.first_seen
        return self.row(
            {
                "name": room.name,
                "status": status,
                "moderator": "–" if conference.moderator_present is None else fmt.flag(conference.moderator_present),
                "people": str(room.participant_count),
                "muted": str(room.muted_count),
                "recordings": _recordings(room),
                "age": fmt.duration((room.ended_at or now) - created),  # an ended room's age stops
                "region": conference.region or "–",
                "updated": fmt.duration(now - room.last_changed),
            },
            style="dim" if room.ended else "",
        )


def _recordings(room: RoomView) -> str:
    """'●2' while one of two recordings is running, '2' when done, '–' when not fetched yet."""
    if room.recordings is None:
        return "–"
    live = any(r.status in ("in-progress", "paused") for r in room.recordings)
    return f"{'●' if live else ''}{len(room.recordings)}" if room.recordings else "0"


def room_detail(room: RoomView) -> tuple[list[tuple[str, str]], list[tuple[str, ...]] | None]:
    """The facts and the recordings rows of the room detail screen, as plain strings."""
    c = room.conference

    def when(value: datetime | None) -> str:
        return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "–"

    facts = [
        ("Room", room.name),
        ("SID", c.sid),
        ("Status", str(c.status) + (f" ({room.ended_reason})" if room.ended_reason else "")),
        ("Region", c.region or "–"),
        ("Created", when(c.date_created)),
        ("Updated", when(c.date_updated)),
        ("Participants", f"{room.participant_count} present, {room.muted_count} muted"),
    ]
    if c.moderator_present is not None:
        facts.append(("Moderator", "present" if c.moderator_present else "absent"))
    if c.reason_conference_ended:
        facts.append(("Ended because", c.reason_conference_ended))
    if room.recordings is None:
        return facts, None
    rows: list[tuple[str, ...]] = [
        (r.sid, r.status, fmt.duration(r.duration) if r.duration is not None else "recording", when(r.start_time))
        for r in room.recordings
    ]
    return facts, rows


_NAME_WIDTH = 26


class ParticipantsTable(KeyedTable[str]):
    COLUMNS = (
        ("name", "Participant", _NAME_WIDTH),
        ("talk", "Talk", 4),
        ("status", "Status", 10),
        ("muted", "Muted", 5),
        ("hold", "Hold", 4),
        ("coach", "Coach", 5),
        ("eoe", "EoE", 3),
        ("time", "In room", 7),
    )

    def __init__(self, capabilities: Capabilities, *, speaking: bool = False, **kwargs: Any) -> None:
        """`speaking`: status callbacks are on, the only source that tells who is talking."""
        hidden = set()
        if not speaking:
            hidden.add("talk")
        if not capabilities.can_hold:
            hidden.add("hold")
        if not capabilities.has_coaching:
            hidden.add("coach")
        super().__init__(hidden=hidden, **kwargs)
        self.room_key: RoomKey | None = None

    def show(self, room: RoomView | None, now: float) -> bool:
        key = room.key if room else None
        if key != self.room_key:
            self.reset()
            self.room_key = key
        rows: dict[str, Row] = {}
        for call_sid, member in (room.members.items() if room else ()):
            p = member.participant
            pending = member.pending
            if pending:
                status = _PENDING_WORDS[pending]
            elif member.left_at is not None:
                status = member.left_reason or "left"
            else:
                status = str(p.status)
            rows[call_sid] = self.row(
                {
                    "name": p.label or fmt.short_id(p.call_sid, _NAME_WIDTH),
                    "talk": _TALKING if member.speaking else "",
                    "status": status,
                    "muted": fmt.flag(p.muted),
                    "hold": fmt.flag(p.hold),
                    "coach": fmt.flag(p.coaching),
                    "eoe": fmt.flag(p.end_conference_on_exit),
                    "time": fmt.duration((member.left_at or now) - member.joined),
                },
                style="dim" if member.left_at is not None else "bold" if member.speaking else "",
            )
        return self.sync(rows)


_TALKING = "◀))"


_LOG_STYLES = {"error": "bold red", "action": "cyan", "room": "bold", "join": "green", "leave": "yellow"}


class EventLog(RichLog):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_lines=1000, markup=False, wrap=False, min_width=20, **kwargs)

    def add(self, entries: Iterable[LogEntry]) -> None:
        for entry in entries:
            stamp = fmt.clock_time(entry.at)
            self.write(Text.assemble((stamp, "dim"), " ", (entry.text, _LOG_STYLES.get(entry.kind, ""))))
