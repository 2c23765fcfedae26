"""Find and sort, as an operator asks for them: what `/` matches and what Shift+letter orders by.

Pure functions of the session's frozen views, so the screen and any other face read the same rows.
A find is a case-insensitive regular expression; a leading `!` inverts it; a pattern that does not
compile is matched as plain text, and says so. A room matches by its name and SID and by each
present caller's label and call SID, so part of a caller's number finds the rooms they are in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from confmon.model import ConferenceStatus, Unrecognized
from confmon.views import MemberView, RoomView


@dataclass(frozen=True)
class Find:
    text: str = ""  # as typed, `!` included
    pattern: re.Pattern[str] | None = None  # None: everything matches
    inverted: bool = False
    note: str | None = None  # why the pattern is matched as plain text

    def __bool__(self) -> bool:
        return self.pattern is not None

    def room(self, room: RoomView) -> bool:
        """Whether the room is shown: it, or one of its callers, matches (none does, inverted)."""
        if self.pattern is None:
            return True
        search = self.pattern.search
        hit = bool(search(room.name) or search(room.conference.sid)) or any(
            self._caller(search, member) for member in room.present()
        )
        return hit != self.inverted

    def member(self, member: MemberView) -> bool:
        """Whether a caller matches by itself: the callers a find is about (none, when inverted)."""
        return self.pattern is not None and not self.inverted and self._caller(self.pattern.search, member)

    @staticmethod
    def _caller(search: Callable[[str], Any], member: MemberView) -> bool:
        """By label or call SID, and by number and caller-ID name once the Calls resource said."""
        p, call = member.participant, member.call
        if search(p.display_name) or search(p.call_sid):
            return True
        if call is None:
            return False
        return any(search(text) for text in (call.from_number, call.to_number, call.caller_name) if text)


def compile_find(text: str) -> Find:
    """The find an operator typed: `!` first inverts it; an invalid pattern is taken as plain text."""
    body = text.strip()
    inverted = body.startswith("!")
    if inverted:
        body = body[1:]
    if not body:
        return Find(text)
    if _NUMBER.fullmatch(body):  # "+1212": part of a phone number, not a pattern with nothing to repeat
        return Find(text, re.compile(re.escape(body)), inverted)
    try:
        re.compile(body)  # alone first: wrapped below, "a)|(b" would compile
        if _explosive(body):
            raise ValueError("a repeat inside a repeat can take minutes")
        # As a pattern, or as the text it is: a room named "dial-in (3)" is found by its name.
        return Find(text, re.compile(f"(?:{body})|{re.escape(body)}", re.IGNORECASE), inverted)
    except (re.error, OverflowError, RecursionError, ValueError) as error:  # "a{9999999999}" overflows
        why = error.msg if isinstance(error, re.error) else str(error)
        note = f"not a valid pattern ({why}): matching it as plain text"
        return Find(text, re.compile(re.escape(body), re.IGNORECASE), inverted, note)


_NUMBER = re.compile(r"\+[\d ().-]*")


def _explosive(body: str) -> bool:
    r"""Whether the pattern nests an unbounded repeat inside another, as `(a+)+$` or `(\w+\s?)+$`
    do: Python's re backtracks through such a pattern in exponential time, and a find runs on the
    screen's loop against names anyone chose. Refused, as plain text, rather than freeze the screen."""
    import re._constants as constants  # type: ignore[import-not-found]  # private, stable since 3.11
    import re._parser as parser  # type: ignore[import-not-found]

    def walk(items: Any, inside_repeat: bool) -> bool:
        for op, arg in items:
            if op in (constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT):
                _, high, sub = arg
                if inside_repeat and (high is constants.MAXREPEAT or high > 100):
                    return True
                nested = [(sub, inside_repeat or high > 1)]  # `?` repeats nothing
            elif op is constants.SUBPATTERN:
                nested = [(arg[-1], inside_repeat)]
            elif op is constants.BRANCH:
                nested = [(branch, inside_repeat) for branch in arg[1]]
            elif op in (constants.ASSERT, constants.ASSERT_NOT):
                nested = [(arg[1], inside_repeat)]
            else:
                continue
            if any(walk(*each) for each in nested):
                return True
        return False

    return walk(parser.parse(body), False)


# ---- sort ---------------------------------------------------------------------------------------

# Live rooms first, then waiting, then one whose status is unknown, then ended.
_STATE_RANK: dict[ConferenceStatus | Unrecognized, int] = {ConferenceStatus.IN_PROGRESS: 0, ConferenceStatus.INIT: 1}


def _created(room: RoomView) -> float:
    c = room.conference
    return c.date_created.timestamp() if c.date_created else room.first_seen


def _state(room: RoomView) -> int:
    return 3 if room.ended else _STATE_RANK.get(room.conference.status, 2)


# Each sortable column of the rooms table: its sort key. Ages sort oldest first, as "Age" counts up.
ROOM_SORTS: dict[str, Callable[[RoomView], Any]] = {
    "name": lambda room: room.name.casefold(),
    "status": _state,
    "people": lambda room: room.participant_count,
    "muted": lambda room: room.muted_count,
    "age": _created,
    "updated": lambda room: -room.last_changed,
}

PARTICIPANT_SORTS: dict[str, Callable[[MemberView], Any]] = {
    "name": lambda member: member.name.casefold(),
    "status": lambda member: (member.left_at is not None, str(member.participant.status)),
    "muted": lambda member: member.participant.muted,
    "time": lambda member: member.joined,
}


@dataclass(frozen=True)
class Sort:
    """A column and a direction; no column: the default order."""

    column: str | None = None
    reverse: bool = False

    def toggled(self, column: str) -> Sort:
        """Shift+letter: sort by `column`; again reverses it."""
        return Sort(column, not self.reverse) if column == self.column else Sort(column)


def sorted_rooms(rooms: Iterable[RoomView], sort: Sort) -> list[RoomView]:
    """Rooms in `sort`'s order; ties, and the default, by state (live first) then age (oldest first)."""
    ordered = sorted(rooms, key=lambda room: (_state(room), _created(room), room.key.sid))
    if sort.column is not None:  # sorted is stable: the default order breaks the column's ties
        ordered.sort(key=ROOM_SORTS[sort.column], reverse=sort.reverse)
    return ordered


def sorted_members(members: Iterable[MemberView], sort: Sort) -> list[MemberView]:
    """Callers in `sort`'s order; the default is the order they joined in."""
    ordered = list(members)
    if sort.column is not None:
        ordered.sort(key=PARTICIPANT_SORTS[sort.column], reverse=sort.reverse)
    return ordered
