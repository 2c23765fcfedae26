"""The store's state and the few moves every source shares: a caller leaves, a room ends, a room
goes. The sources' own rules live beside it: polls.py, callbacks.py, outcomes.py, expiry.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from confmon.clock import Clock
from confmon.model import (
    Action,
    Call,
    Conference,
    ConferenceEvent,
    ConferenceStatus,
    EventKind,
    Participant,
    Recording,
    RoomKey,
)
from confmon.store.changes import ChangeSet, MemberKey, TargetKey
from confmon.store.notes import Left, RoomEnded
from confmon.views import FeedHealth, MemberView, RoomView

LEFT = "left"
KICKED = "kicked"
ROOM_ENDED = "room ended"
ENDED = "ended"
ENDED_BY_OPERATOR = "ended by operator"

# ReasonParticipantLeft, as a person would say it; any other word is shown as it came.
LEFT_REASONS: Mapping[str, str] = MappingProxyType(
    {
        "participant_hung_up": LEFT,
        "participant_updated_via_api": KICKED,
        "conference_ended_via_api": ROOM_ENDED,
        "moderator_ended_conference": ROOM_ENDED,
    }
)

# ReasonConferenceEnded, as a person would say it; any other word is shown as it came.
END_REASONS: Mapping[str, str] = MappingProxyType(
    {
        "conference-ended-via-api": "ended via API",
        "last-participant-left": "last participant left",
        "last-participant-kicked": "last participant kicked",
        "participant-with-end-conference-on-exit-left": "end-on-exit participant left",
        "participant-with-end-conference-on-exit-kicked": "end-on-exit participant kicked",
    }
)

# Seconds a room's callbacks are still refused after the room has left the screen: longer than the
# receiver accepts a callback's Timestamp (300 s), so no late or replayed one can bring it back.
RETIRED_FOR = 600.0

_SPEECH = (EventKind.PARTICIPANT_SPEECH_START, EventKind.PARTICIPANT_SPEECH_STOP)


# What the store knows of one caller is what a face sees of them: frozen, so a view shares the
# store's records instead of copying them, and only what is pending on a caller is laid over them.
Member = MemberView


@dataclass(slots=True)
class Numbering:
    """What one room's status callbacks have said, by SequenceNumber.

    A number is only ever compared with the last one applied to the same thing (the room's start
    and end, or one caller), so a callback that is older than what it would undo does nothing, and
    a repeat is simply not newer. Lives and dies with its Room.
    """

    room: int = 0  # the last conference-start/end applied
    members: dict[str, int] = field(default_factory=dict)  # call_sid -> the last callback applied to it
    # Callers a poll or a confirmed kick saw go: no number says when, so only a participant-join
    # from after that moment (by its Timestamp) brings them back. call_sid -> when it was seen.
    gone: dict[str, float] = field(default_factory=dict)
    announcements: set[int] = field(default_factory=set)
    # Whether this room's callbacks tell who comes and goes (a join, leave, mute, hold or modify was
    # seen): only then may polling its participants wait for the reconcile sweep.
    covered: bool = False

    def is_news(self, event: ConferenceEvent) -> bool:
        seq, kind = event.sequence_number, event.kind
        if kind is EventKind.CONFERENCE_START or kind is EventKind.CONFERENCE_END:
            return seq > self.room
        if kind.about_participant:
            return event.call_sid is not None and seq > self.members.get(event.call_sid, 0)
        return seq not in self.announcements

    def record(self, event: ConferenceEvent) -> None:
        seq, kind = event.sequence_number, event.kind
        if kind is EventKind.CONFERENCE_START or kind is EventKind.CONFERENCE_END:
            self.room = seq
        elif kind.about_participant and event.call_sid is not None:
            self.members[event.call_sid] = seq
            if kind not in _SPEECH:  # speech alone may be all a room subscribed to
                self.covered = True
        else:
            self.announcements.add(seq)


@dataclass(slots=True, eq=False)
class Room:
    """One conference and everyone seen in it. Owned by the store: read, never write."""

    key: RoomKey  # fixed when the room is first seen
    conference: Conference
    first_seen: float
    last_changed: float
    ended_at: float | None = None
    ended_reason: str | None = None
    recordings: tuple[Recording, ...] | None = None  # None until a sweep fetched them for this room
    # Records the listings dropped unread (`Snapshot.rooms_dropped`, `participants_dropped`) when they
    # last listed this room, and each caller where any were: one missing later may be among as many
    # dropped records only if more are dropped now.
    dropped_when_listed: int = 0
    _members_dropped_when_listed: dict[str, int] = field(default_factory=dict, repr=False)
    _members: dict[str, Member] = field(default_factory=dict, repr=False)
    _numbering: Numbering = field(default_factory=Numbering, repr=False)

    @property
    def members(self) -> Mapping[str, Member]:
        return MappingProxyType(self._members)

    @property
    def participant_count(self) -> int:
        return sum(1 for m in self._members.values() if m.left_at is None)

    @property
    def muted_count(self) -> int:
        return sum(1 for m in self._members.values() if m.left_at is None and m.participant.muted)

    @property
    def name(self) -> str:
        return self.conference.friendly_name or self.conference.sid


class State:
    """Everything the store knows, and the moves shared by polls, callbacks, outcomes and expiry."""

    def __init__(self, clock: Clock, *, departed_retention: float, ended_retention: float) -> None:
        self.clock = clock
        self.departed_retention = departed_retention
        self.ended_retention = ended_retention
        self.rooms: dict[RoomKey, Room] = {}
        self.pending: dict[TargetKey, Action] = {}
        self.health: dict[str, FeedHealth] = {}  # by account: each source fails and recovers on its own
        self.loaded: set[str] = set()  # the accounts whose first sweep was applied
        self.told_problems: set[str] = set()  # records read in part that the log already named
        # Only departed members and ended rooms, so expiry costs what it removes, not the store size.
        self.departed: dict[MemberKey, float] = {}
        self.ended: dict[RoomKey, float] = {}
        # When an operator action was confirmed or a callback applied: a sweep that began earlier
        # saw the world before that news and cannot undo it.
        self.settled: dict[TargetKey, float] = {}
        # Rooms whose callbacks are refused, and since when: ended and gone from the screen, or
        # ended before any poll or callback showed them. Oldest first, pruned by expiry.
        self.retired: dict[RoomKey, float] = {}
        # Who each caller is on the phone network (the Calls resource), by call SID, while they are kept.
        self.calls: dict[str, Call] = {}
        self.speaking: dict[MemberKey, float] = {}  # who is talking, since when (may hold stale keys)

    def health_of(self, account: str) -> FeedHealth:
        return self.health.get(account) or FeedHealth()

    def new_room(self, key: RoomKey, conference: Conference, now: float) -> Room:
        room = self.rooms[key] = Room(key, conference, first_seen=now, last_changed=now)
        return room

    def is_stale(self, key: TargetKey, started: float | None) -> bool:
        """Whether a sweep that began at `started` predates news about `key` (an action, a callback)."""
        settled = self.settled.get(key)
        if settled is None:
            return False
        if started is not None and started < settled:
            return True
        del self.settled[key]  # a sweep that began after the news has seen it: no guard needed
        return False

    def depart(self, room: Room, member: Member, reason: str, now: float, out: ChangeSet) -> None:
        key = (room.key, member.participant.call_sid)
        room._members[key[1]] = dataclasses.replace(
            member, left_at=now, left_reason=reason, last_changed=now, speaking=False
        )
        self.departed[key] = now
        out.members.update(key)

    def leave(self, room: Room, member: Member, reason: str, now: float, out: ChangeSet) -> None:
        """A present caller is gone, and the log says so."""
        self.depart(room, member, reason, now, out)
        out.log.append(Left(now, member.participant.display_name, room.name, None if reason == LEFT else reason))
        room.last_changed = now
        out.rooms.update(room.key)

    def end_room(self, room: Room, reason: str, conference: Conference | None, now: float, out: ChangeSet) -> None:
        if conference is None or conference.status is not ConferenceStatus.COMPLETED:
            conference = dataclasses.replace(conference or room.conference, status=ConferenceStatus.COMPLETED)
        room.conference, room.ended_at, room.ended_reason, room.last_changed = conference, now, reason, now
        self.ended[room.key] = now
        for member in list(room._members.values()):
            if member.left_at is None:
                self.depart(room, member, ROOM_ENDED, now, out)
        out.rooms.update(room.key)
        out.log.append(RoomEnded(now, room.name, None if reason == ENDED else reason))

    def remove_room(self, key: RoomKey, out: ChangeSet) -> None:
        room = self.rooms.pop(key)
        del self.ended[key]
        for call_sid in room._members:
            member_key = (key, call_sid)
            self.calls.pop(call_sid, None)
            self.departed.pop(member_key, None)
            self.forget(member_key)
            out.members.remove(member_key)
        self.forget((key, None))
        out.rooms.remove(key)
        self.retired[key] = self.clock.now()  # its numbering goes with it: refuse what comes late

    def forget(self, key: TargetKey) -> None:
        self.settled.pop(key, None)
        self.pending.pop(key, None)  # an outcome that never came (its call was cancelled) goes with the row

    def view(self, key: RoomKey) -> RoomView | None:
        """A frozen copy of the room as it is now, with what is pending on it; None if it is gone."""
        room = self.rooms.get(key)
        if room is None:
            return None
        members = dict(room._members)
        if self.calls:
            for sid, member in members.items():
                call = self.calls.get(sid)
                if call is not None:
                    members[sid] = dataclasses.replace(member, call=call)
        for (room_key, call_sid), action in self.pending.items():  # seldom more than one or two
            if room_key == key and call_sid is not None and call_sid in members:
                members[call_sid] = dataclasses.replace(members[call_sid], pending=action)
        return RoomView(
            key, room.conference, room.first_seen, room.last_changed, room.ended_at, room.ended_reason,
            room.recordings, MappingProxyType(members), self.pending.get((key, None)),
        )


def end_reason(conference: Conference, room: Room, ending_label: str | None = None) -> str:
    """Why a room ended, in words, naming the participant who ended it when known:
    'end-on-exit participant left: chair'."""
    word = conference.reason_conference_ended
    if not word:
        return ENDED
    reason = END_REASONS.get(word, word)
    who = ending_label
    if who is None and conference.call_sid_ending_conference:
        member = room.members.get(conference.call_sid_ending_conference)
        who = member.participant.display_name if member is not None else None
    return f"{reason}: {who}" if who and "participant" in word else reason


def heard(speaking: bool, participant: Participant) -> bool:
    """Whether to show someone as talking: a muted or held caller is not heard in the room."""
    return speaking and not participant.muted and not participant.hold
