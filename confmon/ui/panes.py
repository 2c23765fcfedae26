"""The three live panes: rooms, the selected room's participants, and the event log.

Each pane turns store state into plain rows and hands them to its table; wire text arrives already
sanitized and is only ever wrapped in `Text`, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import RichLog

from confmon.model import Action, ConferenceStatus
from confmon.store import LogEntry, Member, Room, Store
from confmon.ui import format as fmt
from confmon.ui.keyed_table import KeyedTable, Row

_ROOM_STATUS = {
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
}


class RoomsTable(KeyedTable):
    COLUMNS = (
        ("name", "Room", 40),
        ("status", "Status", 8),
        ("people", "Ppl", 4),
        ("muted", "Muted", 5),
        ("age", "Age", 7),
        ("region", "Region", 6),
        ("updated", "Updated", 8),
    )

    def show(self, store: Store, now: float, name_filter: str = "") -> bool:
        needle = name_filter.casefold()
        rows: dict[str, Row] = {}
        for sid, room in store.rooms.items():
            conference = room.conference
            if needle and needle not in conference.friendly_name.casefold():
                continue
            pending = store.pending_for(sid)
            ended = room.ended_at is not None or conference.status is ConferenceStatus.COMPLETED
            status = _PENDING_WORDS[pending] if pending else _ROOM_STATUS.get(conference.status, str(conference.status))
            created = conference.date_created.timestamp() if conference.date_created else room.first_seen
            rows[sid] = Row(
                (
                    room.name,
                    status,
                    str(room.participant_count),
                    str(room.muted_count),
                    fmt.duration((room.ended_at or now) - created),  # an ended room's age stops
                    conference.region or "–",
                    fmt.duration(now - room.last_changed),
                ),
                style="dim" if ended else "",
            )
        return self.sync(rows)


class ParticipantsTable(KeyedTable):
    COLUMNS = (
        ("name", "Participant", 26),
        ("status", "Status", 10),
        ("muted", "Muted", 5),
        ("hold", "Hold", 4),
        ("coach", "Coach", 5),
        ("eoe", "EoE", 3),
        ("time", "In room", 7),
    )

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.room_sid: str | None = None

    def show(self, store: Store, room: Room | None, now: float) -> bool:
        sid = room.conference.sid if room else None
        if sid != self.room_sid:
            self.reset()
            self.room_sid = sid
        rows: dict[str, Row] = {}
        for call_sid, member in (room.members.items() if room else ()):
            p = member.participant
            pending = store.pending_for(sid, call_sid)
            if pending:
                status = _PENDING_WORDS[pending]
            elif member.left_at is not None:
                status = member.left_reason or "left"
            else:
                status = str(p.status)
            rows[call_sid] = Row(
                (
                    p.display_name,
                    status,
                    fmt.flag(p.muted),
                    fmt.flag(p.hold),
                    fmt.flag(p.coaching),
                    fmt.flag(p.end_conference_on_exit),
                    fmt.duration((member.left_at or now) - _joined(member)),
                ),
                style="dim" if member.left_at is not None else "",
            )
        return self.sync(rows)


def _joined(member: Member) -> float:
    """When the caller joined: the server's word if it gave one, else when we first saw them."""
    created = member.participant.date_created
    return created.timestamp() if created is not None else member.joined_at


_LOG_STYLES = {"error": "bold red", "action": "cyan", "room": "bold", "join": "green", "leave": "yellow"}


class EventLog(RichLog):
    def __init__(self, **kwargs) -> None:
        super().__init__(max_lines=1000, markup=False, wrap=False, min_width=20, **kwargs)

    def add(self, entries: Iterable[LogEntry]) -> None:
        for entry in entries:
            stamp = fmt.clock_time(entry.at)
            self.write(Text.assemble((stamp, "dim"), " ", (entry.text, _LOG_STYLES.get(entry.kind, ""))))
