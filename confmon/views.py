"""What faces see: immutable views of the session's state, and the updates that carry them.

A face (the TUI, `confmon ls`, later a recorder or a remote screen) never holds a live store object:
the session hands it frozen views, built once per update for the rooms that changed, so what a face
draws is exactly the state the update describes, however the store moves on meanwhile.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from confmon.model import Action, Call, Conference, ConferenceStatus, Participant, Recording, RoomKey, Unrecognized


class LogKind(enum.StrEnum):
    INFO = "info"
    ROOM = "room"  # started, ended, resumed
    JOIN = "join"
    LEAVE = "leave"
    UPDATE = "update"  # someone muted, held, ... seen by a poll
    ACTION = "action"  # an operator action's progress
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class LogEntry:
    at: float
    kind: str
    text: str  # plain text built from sanitized model strings; show it as Text, never markup


@dataclass(frozen=True, slots=True)
class FeedHealth:
    last_success_at: float | None = None
    last_latency: float | None = None
    last_error: str | None = None
    error_since: float | None = None
    failures: int = 0  # consecutive
    last_event_at: float | None = None  # when a status callback was last accepted; None: never
    # Records the last sweep dropped or read in part, and the first of them in words: the rest of
    # the page was read, so this is a warning beside fresh data, not a failed poll.
    partly_read: int = 0
    partly_read_first: str | None = None

    @property
    def partly_read_warning(self) -> str | None:
        return partly_read_warning(self.partly_read, self.partly_read_first)


def partly_read_warning(count: int, first: str | None) -> str | None:
    """'N records partly read: <the first reason>', in the words of every face (the status bar,
    `ls` on stderr), so a script's log and the screen say the same; None when all was read."""
    if not count:
        return None
    records = "1 record" if count == 1 else f"{count} records"
    return f"{records} partly read: {first}"


_ROOM_STATES = {
    ConferenceStatus.INIT: "waiting",
    ConferenceStatus.IN_PROGRESS: "live",
    ConferenceStatus.COMPLETED: "ended",
}


def room_state(status: ConferenceStatus | Unrecognized) -> str:
    """A room's state in the one vocabulary of every face (waiting, live, ended), so the screen,
    `ls` and its exports name a room alike. A status outside the documented set is shown as sent:
    never taken for a known one."""
    return _ROOM_STATES[status] if isinstance(status, ConferenceStatus) else str(status)


@dataclass(frozen=True, slots=True)
class FeedMode:
    """How the data is being kept fresh."""

    callbacks: bool = False  # the receiver is listening
    reconciling: bool = False  # callbacks are live: the rooms they cover wait for the reconcile sweep
    poll_interval: float = 2.0  # seconds between sweeps of what callbacks do not cover
    reconcile_interval: float | None = None
    last_reconcile_at: float | None = None
    polled_rooms: int = 0  # live rooms callbacks do not cover, polled every poll_interval meanwhile
    callback_error: str | None = None  # why callbacks are off although they were asked for
    refused: int = 0  # callbacks the receiver refused (bad signature, too big, ...)
    last_refusal: str | None = None


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """Where the data comes from, how fresh it is, and what is failing: the status bar's facts."""

    account: str
    host: str  # "" until the sources are open
    opened: bool  # the sources are open (the demo's simulator is up, the receiver listens or said why not)
    dialect: str  # the API's name, as the capabilities give it
    read_only: bool
    health: FeedHealth = FeedHealth()
    mode: FeedMode = FeedMode()
    note: str = ""  # a failure outside the poll: a worker that broke, an audit log that cannot be written


@dataclass(frozen=True, slots=True)
class MemberView:
    participant: Participant
    joined_at: float  # first seen
    last_changed: float
    left_at: float | None = None
    left_reason: str | None = None
    speaking: bool = False  # between participant-speech-start and -stop callbacks
    pending: Action | None = None  # an operator action on this caller still in flight
    call: Call | None = None  # who they are on the phone network, once the Calls resource said

    @property
    def call_sid(self) -> str:
        return self.participant.call_sid

    @property
    def present(self) -> bool:
        return self.left_at is None

    @property
    def name(self) -> str:
        """The label, else the caller-ID name or the number calling, and only then the call's id."""
        call = self.call
        if self.participant.label or call is None:
            return self.participant.display_name
        return call.caller_name or call.from_number or self.participant.display_name

    def hosts_among(self, others: Iterable[MemberView]) -> bool:
        """Whether this caller hosts the room: it ends the room on leaving, or it is one of those
        who start it on entering where not everyone does (Twilio's default is that everyone does)."""
        p = self.participant
        if p.end_conference_on_exit:
            return True
        return p.start_conference_on_enter and not all(o.participant.start_conference_on_enter for o in others)

    @property
    def joined(self) -> float:
        """When the caller joined: the server's word if it gave one, else when we first saw them."""
        created = self.participant.date_created
        return created.timestamp() if created is not None else self.joined_at


_NO_MEMBERS: Mapping[str, MemberView] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class RoomView:
    key: RoomKey
    conference: Conference
    first_seen: float
    last_changed: float
    ended_at: float | None = None
    ended_reason: str | None = None
    recordings: tuple[Recording, ...] | None = None  # None until a sweep fetched them for this room
    members: Mapping[str, MemberView] = field(default_factory=lambda: _NO_MEMBERS)  # call_sid -> member, in order
    pending: Action | None = None  # an operator action on the whole room still in flight

    @property
    def name(self) -> str:
        return self.conference.friendly_name or self.conference.sid

    @property
    def ended(self) -> bool:
        return self.ended_at is not None or self.conference.status is ConferenceStatus.COMPLETED

    @property
    def participant_count(self) -> int:
        return sum(1 for m in self.members.values() if m.left_at is None)

    @property
    def muted_count(self) -> int:
        return sum(1 for m in self.members.values() if m.left_at is None and m.participant.muted)

    def present(self) -> Iterable[MemberView]:
        return (m for m in self.members.values() if m.left_at is None)


@dataclass(frozen=True, slots=True)
class Update:
    """What changed since the face last took an update.

    `rooms` holds a fresh view of every room added or changed (new rooms in the order they came),
    `removed` the rooms that are gone. With `resync`, `rooms` is every room there is and the face
    drops whatever it held before. `ticked`: time moved on, so every age on screen moved too.
    """

    status: FeedStatus
    rooms: Mapping[RoomKey, RoomView] = field(default_factory=dict)
    removed: tuple[RoomKey, ...] = ()
    log: tuple[LogEntry, ...] = ()
    resync: bool = False
    ticked: bool = False
