"""The three live panes: rooms, the selected room's participants, and the event log.

Each pane turns the session's frozen views into plain rows and hands them to its table; wire text
arrives already sanitized and is only ever wrapped in `Text`, never parsed as markup.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.widgets import RichLog

from confmon.find import Find, Sort, sorted_members, sorted_rooms
from confmon.model import Action, Capabilities, RoomKey
from confmon.ui import format as fmt
from confmon.ui.keyed_table import KeyedTable, Row
from confmon.views import LogEntry, MemberView, RoomView, room_state

NO_FIND, DEFAULT_SORT = Find(), Sort()
# Seconds a row that appeared, changed or ended keeps its colour, as in k9s and htop: one change
# among 200 rows draws the eye. (Rows are redrawn on the clock's tick, so the colour then goes.)
FLASH = 3.0


@dataclass(frozen=True)
class Flash:
    """The colours of news, from the theme; nothing before `since` (the first load) is news."""

    since: float = math.inf
    new: str = "green"
    changed: str = "yellow"
    ended: str = "red"

    def style(self, now: float, appeared: float, changed: float, ended: float | None) -> str:
        def recent(at: float) -> bool:
            return self.since < at and now - at < FLASH

        if ended is not None:
            return f"dim {self.ended}" if recent(ended) else "dim"
        if recent(appeared):
            return self.new
        return self.changed if recent(changed) else ""


NO_FLASH = Flash()

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
        find: Find = NO_FIND,
        sort: Sort = DEFAULT_SORT,
        only: Collection[RoomKey] | None = None,
        flash: Flash = NO_FLASH,
    ) -> bool:
        """The rooms `find` matches, in `sort`'s order, news in `flash`'s colours; `only`: just these
        rooms changed (None: look at every room, as the clock's tick must, since every row's ages move)."""
        if only is None:
            rows = {key: row for key, room in rooms.items() if (row := self._row(room, now, find, flash))}
            changed = self.sync(rows)
        else:
            changed = self.patch(
                {key: self._row(rooms[key], now, find, flash) if key in rooms else None for key in only}
            )
        self.mark_sorted(sort.column, sort.reverse)
        shown = (rooms[key] for key in self.keys_shown())
        return self.put_in_order([room.key for room in sorted_rooms(shown, sort)]) or changed

    def _row(self, room: RoomView, now: float, find: Find, flash: Flash) -> Row | None:
        conference = room.conference
        if not find.room(room):
            return None
        pending = room.pending
        status = _PENDING_WORDS[pending] if pending else room_state(conference.status)
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
            style=flash.style(now, room.first_seen, room.last_changed, room.ended_at),
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
        ("number", "Number", 16),
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

    def show(
        self,
        room: RoomView | None,
        now: float,
        find: Find = NO_FIND,
        sort: Sort = DEFAULT_SORT,
        marked: Collection[str] = (),
        flash: Flash = NO_FLASH,
    ) -> bool:
        """The room's callers in `sort`'s order, news in `flash`'s colours; those `find` is about
        stand out, `marked` ones (by call SID) carry a check mark."""
        key = room.key if room else None
        if key != self.room_key:
            self.reset()
            self.room_key = key
        rows: dict[str, Row] = {}
        members = sorted_members(room.members.values(), sort) if room else []
        for member in members:
            call_sid, p = member.call_sid, member.participant
            pending = member.pending
            if pending:
                status = _PENDING_WORDS[pending]
            elif member.left_at is not None:
                status = member.left_reason or "left"
            else:
                status = str(p.status)
            rows[call_sid] = self.row(
                {
                    "name": ("✓ " if call_sid in marked else "") + _member_name(member),
                    "number": (member.call.from_number or "–") if member.call is not None else "",  # "": not asked yet
                    "talk": _TALKING if member.speaking else "",
                    "status": status,
                    "muted": fmt.flag(p.muted),
                    "hold": fmt.flag(p.hold),
                    "coach": fmt.flag(p.coaching),
                    "eoe": fmt.flag(p.end_conference_on_exit),
                    "time": fmt.duration((member.left_at or now) - member.joined),
                },
                style=_member_style(member, find, flash, now),
            )
        changed = self.sync(rows)
        self.mark_sorted(sort.column, sort.reverse)
        return self.put_in_order(list(rows)) or changed


def _member_name(member: MemberView) -> str:
    """The label, the caller-ID name or the number; a hex call id only while nothing else is known."""
    name, p = member.name, member.participant
    if name == p.display_name and not p.label:  # the call's id, shortened to where such ids differ
        return fmt.short_id(p.call_sid, _NAME_WIDTH)
    return name


def _member_style(member: MemberView, find: Find, flash: Flash, now: float) -> str:
    news = flash.style(now, member.joined_at, member.last_changed, member.left_at)
    if member.left_at is not None:
        return news
    found = "underline" if find.member(member) else ""  # a caller the find is about stands out in the room
    return " ".join(word for word in (news, "bold" if member.speaking else "", found) if word)


_TALKING = "◀))"


_LOG_STYLES = {"error": "bold red", "action": "cyan", "room": "bold", "join": "green", "leave": "yellow"}


class EventLog(RichLog):
    """The log follows new lines while it is scrolled to the bottom; scrolled up, it stays where the
    operator is reading (the border says so) until End brings it back down."""

    MAX_LINES = 10_000
    NOT_FOLLOWING = "not following · End resumes"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_lines=self.MAX_LINES, markup=False, wrap=True, min_width=20, **kwargs)
        # The entries shown, as entries: a wrapped line is several strips, and a filter reads entries.
        self.entries: deque[LogEntry] = deque(maxlen=self.MAX_LINES)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        following = new_value >= self.max_scroll_y
        if following != self.auto_scroll:
            self.auto_scroll = following
            self.border_subtitle = "" if following else self.NOT_FOLLOWING

    def add(self, entries: Iterable[LogEntry]) -> None:
        for entry in entries:
            self.entries.append(entry)
            stamp = fmt.clock_time(entry.at)
            self.write(Text.assemble((stamp, "dim"), " ", (entry.text, _LOG_STYLES.get(entry.kind, ""))))
