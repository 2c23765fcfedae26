"""The single truth on screen: rooms and their members, reconciled from polls and action outcomes.

Sources hand the store plain model objects (a Snapshot, an error message, an Outcome); each call
returns the Changes it made so faces redraw only what moved. The store keeps what left visible for
a while (greyed by the UI), then `expire()` drops it. It does no I/O and reads time from the clock.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar, Generic, TypeVar

from confmon.clock import Clock
from confmon.views import FeedHealth, LogEntry, LogKind, MemberView, RoomKey, RoomView
from confmon.model import (
    Action,
    Conference,
    ConferenceEvent,
    ConferenceStatus,
    EventKind,
    Outcome,
    OutcomeStatus,
    Participant,
    ParticipantStatus,
    Recording,
    Snapshot,
)

MemberKey = tuple[str, str]  # (conference_sid, call_sid)
TargetKey = tuple[str, str | None]  # a member, or a whole room when call_sid is None

LEFT = "left"
KICKED = "kicked"
ROOM_ENDED = "room ended"
ENDED = "ended"
ENDED_BY_OPERATOR = "ended by operator"

# The participant flag each update action sets: what moderation asks the server for, and what a
# confirmed action shows when the server returned no participant to take the state from.
FLAG_UPDATES: Mapping[Action, tuple[str, bool]] = MappingProxyType(
    {
        Action.MUTE: ("muted", True),
        Action.UNMUTE: ("muted", False),
        Action.HOLD: ("hold", True),
        Action.UNHOLD: ("hold", False),
    }
)

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

# The participant flags a callback may carry (None: not carried, which is not False).
_EVENT_FLAGS = ("muted", "hold", "coaching", "end_conference_on_exit", "start_conference_on_enter")

# Seconds a room's callbacks are still refused after the room has left the screen: longer than the
# receiver accepts a callback's Timestamp (300 s), so no late or replayed one can bring it back.
RETIRED_FOR = 600.0
# A participant-join whose Timestamp is this much older than the moment a poll or a kick saw the
# caller gone is older news. Timestamps have whole seconds, and the provider's clock is not ours.
JOIN_GRACE = 2.0
# A speech-start with no speech-stop for this long is taken as a stop that was lost: no poll can
# tell who is talking, so nothing else would ever clear it.
SPEECH_TIMEOUT = 120.0

_SPEECH = (EventKind.PARTICIPANT_SPEECH_START, EventKind.PARTICIPANT_SPEECH_STOP)

K = TypeVar("K", bound=Hashable)


def internal_error(error: BaseException) -> str:
    """How an unexpected exception (a bug, not a network fault) is told in the log and the status bar.

    Raw text: whoever passes it on makes it safe to show, as with any other error message.
    """
    text = str(error)
    return f"internal error: {type(error).__name__}" + (f": {text}" if text else "")


@dataclass(frozen=True, slots=True)
class Member:
    participant: Participant
    joined_at: float  # first seen
    last_changed: float
    left_at: float | None = None
    left_reason: str | None = None
    speaking: bool = False  # between participant-speech-start and -stop callbacks


@dataclass(slots=True)
class _Numbering:
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
    _members: dict[str, Member] = field(default_factory=dict, repr=False)
    _numbering: _Numbering = field(default_factory=_Numbering, repr=False)

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


@dataclass(frozen=True, slots=True)
class Changes:
    """What one store call changed. Each key appears in at most one of added/updated/removed."""

    rooms_added: tuple[str, ...] = ()
    rooms_updated: tuple[str, ...] = ()
    rooms_removed: tuple[str, ...] = ()
    members_added: tuple[MemberKey, ...] = ()
    members_updated: tuple[MemberKey, ...] = ()
    members_removed: tuple[MemberKey, ...] = ()
    log: tuple[LogEntry, ...] = ()
    health_changed: bool = False

    empty: ClassVar[Changes]

    def __bool__(self) -> bool:
        return bool(
            self.rooms_added or self.rooms_updated or self.rooms_removed
            or self.members_added or self.members_updated or self.members_removed
            or self.log or self.health_changed
        )  # fmt: skip

    def __or__(self, later: Changes) -> Changes:
        """Both, as seen by a face that has applied neither: net effect per key, logs in order."""
        if not later:
            return self
        if not self:
            return later
        return Changes.join((self, later))

    @staticmethod
    def join(batch: Iterable[Changes]) -> Changes:
        """All of them, in order, as one: a burst costs one pass, not one `|` per item."""
        merged = _ChangeSet()
        for changes in batch:
            if changes:
                merged.replay(changes)
        return merged.freeze()


Changes.empty = Changes()


class _Op(enum.Enum):
    ADDED = "added"
    UPDATED = "updated"
    REMOVED = "removed"


class _KeyChanges(Generic[K]):
    """Net effect per key: added+updated is added, added+removed is nothing (the face never saw it),
    removed+added is updated (the face still shows the old row)."""

    __slots__ = ("_ops",)

    def __init__(self) -> None:
        self._ops: dict[K, _Op] = {}

    def add(self, key: K) -> None:
        self._ops[key] = _Op.UPDATED if self._ops.get(key) is _Op.REMOVED else _Op.ADDED

    def update(self, key: K) -> None:
        if self._ops.get(key) is not _Op.ADDED:
            self._ops[key] = _Op.UPDATED

    def remove(self, key: K) -> None:
        if self._ops.get(key) is _Op.ADDED:
            del self._ops[key]
        else:
            self._ops[key] = _Op.REMOVED

    def keys(self, op: _Op) -> tuple[K, ...]:
        return tuple(key for key, seen in self._ops.items() if seen is op)


class _ChangeSet:
    """The mutable builder behind one Changes."""

    def __init__(self) -> None:
        self.rooms = _KeyChanges[str]()
        self.members = _KeyChanges[MemberKey]()
        self.log: list[LogEntry] = []
        self.health_changed = False

    def replay(self, changes: Changes) -> None:
        for ops, added, updated, removed in (
            (self.rooms, changes.rooms_added, changes.rooms_updated, changes.rooms_removed),
            (self.members, changes.members_added, changes.members_updated, changes.members_removed),
        ):
            for key in removed:
                ops.remove(key)
            for key in added:
                ops.add(key)
            for key in updated:
                ops.update(key)
        self.log.extend(changes.log)
        self.health_changed |= changes.health_changed

    def freeze(self) -> Changes:
        return Changes(
            rooms_added=self.rooms.keys(_Op.ADDED),
            rooms_updated=self.rooms.keys(_Op.UPDATED),
            rooms_removed=self.rooms.keys(_Op.REMOVED),
            members_added=self.members.keys(_Op.ADDED),
            members_updated=self.members.keys(_Op.UPDATED),
            members_removed=self.members.keys(_Op.REMOVED),
            log=tuple(self.log),
            health_changed=self.health_changed,
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class Store:
    def __init__(self, clock: Clock, *, departed_retention: float = 20.0, ended_retention: float = 60.0) -> None:
        self._clock = clock
        self._departed_retention = departed_retention
        self._ended_retention = ended_retention
        self._rooms: dict[str, Room] = {}
        self._pending: dict[TargetKey, Action] = {}
        self._health = FeedHealth()
        self._loaded = False
        # Only departed members and ended rooms, so expire() costs what it removes, not the store size.
        self._departed: dict[MemberKey, float] = {}
        self._ended: dict[str, float] = {}
        # When an operator action was confirmed or a callback applied: a sweep that began earlier
        # saw the world before that news and cannot undo it.
        self._settled: dict[TargetKey, float] = {}
        # Rooms whose callbacks are refused, and since when: ended and gone from the screen, or
        # ended before any poll or callback showed them. Oldest first, pruned by expire().
        self._retired: dict[str, float] = {}
        self._retired_keys: dict[str, RoomKey] = {}  # their keys, for the faces that still show them
        self._speaking: dict[MemberKey, float] = {}  # who is talking, since when (may hold stale keys)

    # ---- reading ------------------------------------------------------------------------------

    @property
    def rooms(self) -> Mapping[str, Room]:
        return MappingProxyType(self._rooms)

    @property
    def health(self) -> FeedHealth:
        return self._health

    @property
    def pending(self) -> Mapping[TargetKey, Action]:
        return MappingProxyType(self._pending)

    def pending_for(self, conference_sid: str, call_sid: str | None = None) -> Action | None:
        return self._pending.get((conference_sid, call_sid))

    def key_of(self, sid: str) -> RoomKey | None:
        """A room's key, also for a while after it was removed (faces still show it until told)."""
        room = self._rooms.get(sid)
        return room.key if room is not None else self._retired_keys.get(sid)

    def callback_rooms(self) -> frozenset[str]:
        """Live rooms whose status callbacks report their participants (see _Numbering.covered)."""
        return frozenset(
            sid for sid, room in self._rooms.items() if room.ended_at is None and room._numbering.covered
        )

    def live_rooms(self) -> int:
        return len(self._rooms) - len(self._ended)  # an ended room is in _ended until it is removed

    def view(self, sid: str) -> RoomView | None:
        """A frozen copy of the room as it is now, with what is pending on it; None if it is gone."""
        room = self._rooms.get(sid)
        if room is None:
            return None
        pending = self._pending
        members = {
            call_sid: MemberView(
                m.participant, m.joined_at, m.last_changed, m.left_at, m.left_reason, m.speaking,
                pending.get((sid, call_sid)),
            )
            for call_sid, m in room._members.items()
        }
        return RoomView(
            room.key, room.conference, room.first_seen, room.last_changed, room.ended_at, room.ended_reason,
            room.recordings, MappingProxyType(members), pending.get((sid, None)),
        )

    # ---- polls --------------------------------------------------------------------------------

    def apply_snapshot(self, snapshot: Snapshot) -> Changes:
        now = self._clock.now()
        out = _ChangeSet()
        narrate = self._loaded  # the first load is summed up in one line, not one per person
        # A sweep's own timing, when it reports one, decides whether it predates an action.
        started = snapshot.taken_at - snapshot.latency if snapshot.taken_at else None

        listed: set[str] = set()
        for conference in snapshot.conferences:
            listed.add(conference.sid)
            if self._is_stale((conference.sid, None), started):
                continue
            room = self._upsert_room(conference, now, out, narrate)
            if room is None or room.ended_at is not None:
                continue
            participants = snapshot.participants.get(conference.sid)
            if participants is not None:
                self._reconcile_members(room, participants, started, now, out, narrate)
            recordings = snapshot.recordings.get(conference.sid)
            if recordings is not None and recordings != room.recordings:
                room.recordings = recordings
                out.rooms.update(conference.sid)

        if snapshot.complete:
            for sid, room in self._rooms.items():
                if sid not in listed and room.ended_at is None and not self._is_stale((sid, None), started):
                    self._end_room(room, ENDED, None, now, out)

        if not narrate:
            self._loaded = True
            people = sum(room.participant_count for room in self._rooms.values())
            text = f"{_plural(len(self._rooms), 'room')}, {_plural(people, 'participant')} loaded"
            out.log.append(LogEntry(now, LogKind.INFO, text))
        old = self._health
        if old.failures:
            out.log.append(LogEntry(now, LogKind.INFO, f"poll recovered after {_plural(old.failures, 'failure')}"))
        self._health = FeedHealth(
            last_success_at=snapshot.taken_at or now, last_latency=snapshot.latency, last_event_at=old.last_event_at
        )
        # Age and latency move on every poll and faces show them on their own tick; only a change
        # of state (first data, an error cleared) is news, so an unchanged poll stays empty.
        out.health_changed = old.last_success_at is None or old.failures > 0
        return out.freeze()

    def record_error(self, message: str) -> Changes:
        now = self._clock.now()
        old = self._health
        out = _ChangeSet()
        if message != old.last_error:  # a repeated failure is counted on the status bar, not logged again
            out.log.append(LogEntry(now, LogKind.ERROR, f"poll failed: {message}"))
        self._health = dataclasses.replace(
            old,
            last_error=message,
            error_since=old.error_since if old.error_since is not None else now,
            failures=old.failures + 1,
        )
        out.health_changed = True
        return out.freeze()

    def report_error(self, message: str) -> Changes:
        """A failure that is not the poll's (a callback that could not be applied): logged, and the
        poll's health and backoff are left alone."""
        return Changes(log=(LogEntry(self._clock.now(), LogKind.ERROR, message),))

    def _is_stale(self, key: TargetKey, started: float | None) -> bool:
        settled = self._settled.get(key)
        if settled is None:
            return False
        if started is not None and started < settled:
            return True
        del self._settled[key]  # a sweep that began after the action has seen it: no guard needed
        return False

    def _upsert_room(self, conference: Conference, now: float, out: _ChangeSet, narrate: bool) -> Room | None:
        sid = conference.sid
        room = self._rooms.get(sid)
        finished = conference.status is ConferenceStatus.COMPLETED
        if room is None:
            if finished:
                return None  # never shown live; listing it would only add a row to expire
            room = self._rooms[sid] = _new_room(conference, now)
            out.rooms.add(sid)
            if narrate:
                out.log.append(LogEntry(now, LogKind.ROOM, f"{room.name} started"))
            return room
        if room.ended_at is not None:
            if finished:
                return room
            room.ended_at = room.ended_reason = None  # the same sid is live again
            del self._ended[sid]
            room.conference, room.last_changed = conference, now
            out.rooms.update(sid)
            out.log.append(LogEntry(now, LogKind.ROOM, f"{room.name} resumed"))
            return room
        if finished:
            self._end_room(room, _end_reason(conference, room), conference, now, out)
        elif conference != room.conference:
            room.conference, room.last_changed = conference, now
            out.rooms.update(sid)
        return room

    def _reconcile_members(
        self,
        room: Room,
        participants: Iterable[Participant],
        started: float | None,
        now: float,
        out: _ChangeSet,
        narrate: bool,
    ) -> None:
        sid = room.conference.sid
        members = room._members
        seen: set[str] = set()
        changed = False
        for participant in participants:
            call_sid = participant.call_sid
            seen.add(call_sid)
            member = members.get(call_sid)
            if member is not None and member.left_at is None and member.participant == participant:
                continue  # the common case: nothing moved
            if self._is_stale((sid, call_sid), started):
                continue
            key = (sid, call_sid)
            if member is None:
                members[call_sid] = Member(participant, joined_at=now, last_changed=now)
                out.members.add(key)
                if narrate:
                    out.log.append(LogEntry(now, LogKind.JOIN, f"{participant.display_name} joined {room.name}"))
            elif member.left_at is not None:
                members[call_sid] = Member(participant, member.joined_at, last_changed=now)
                self._departed.pop(key, None)
                room._numbering.gone.pop(call_sid, None)
                out.members.update(key)
                out.log.append(LogEntry(now, LogKind.JOIN, f"{participant.display_name} is back in {room.name}"))
            else:
                members[call_sid] = dataclasses.replace(
                    member, participant=participant, last_changed=now, speaking=_heard(member.speaking, participant)
                )
                out.members.update(key)
                if narrate:
                    out.log.extend(_flag_changes(member.participant, participant, room.name, now))
            changed = True

        gone = room._numbering.gone
        for call_sid, member in members.items():
            if call_sid in seen or self._is_stale((sid, call_sid), started):
                continue
            # Absent from this listing: whatever callback comes late from before it is older news.
            gone[call_sid] = now if started is None else started
            if member.left_at is not None:
                continue
            self._depart(room, member, LEFT, now, out)
            out.log.append(LogEntry(now, LogKind.LEAVE, f"{member.participant.display_name} left {room.name}"))
            changed = True

        if changed:
            room.last_changed = now
            out.rooms.update(sid)  # its counts moved

    def _depart(self, room: Room, member: Member, reason: str, now: float, out: _ChangeSet) -> None:
        key = (room.conference.sid, member.participant.call_sid)
        room._members[key[1]] = dataclasses.replace(
            member, left_at=now, left_reason=reason, last_changed=now, speaking=False
        )
        self._departed[key] = now
        out.members.update(key)

    def _end_room(self, room: Room, reason: str, conference: Conference | None, now: float, out: _ChangeSet) -> None:
        sid = room.conference.sid
        if conference is None or conference.status is not ConferenceStatus.COMPLETED:
            conference = dataclasses.replace(conference or room.conference, status=ConferenceStatus.COMPLETED)
        room.conference, room.ended_at, room.ended_reason, room.last_changed = conference, now, reason, now
        self._ended[sid] = now
        for member in list(room._members.values()):
            if member.left_at is None:
                self._depart(room, member, ROOM_ENDED, now, out)
        out.rooms.update(sid)
        out.log.append(LogEntry(now, LogKind.ROOM, f"{room.name} ended" + ("" if reason == ENDED else f" ({reason})")))

    # ---- status callbacks ---------------------------------------------------------------------

    def apply_event(self, event: ConferenceEvent) -> Changes:
        """Apply one status callback; repeats and callbacks older than what they would undo do nothing.

        Twilio numbers a conference's callbacks (SequenceNumber) but delivers them unordered, twice or
        never. Each caller keeps the number of the last callback applied to them, the room that of its
        last start or end: an older or equal one is ignored. So:
        - a late mute never brings back someone whose leave was applied; a callback numbered after
          that leave means they came back;
        - someone a poll or a kick saw go (no number says when) comes back only by a participant-join
          stamped after that moment: a late mute or speech-stop about them is news of a call that has
          gone;
        - a room that ended stays ended (Twilio never reuses a conference SID); only a poll can show it
          live again, and for RETIRED_FOR seconds after it leaves the screen its callbacks are refused.
        A lost callback is repaired by the next poll.
        """
        sid = event.conference_sid
        if sid in self._retired:
            return Changes.empty
        room = self._rooms.get(sid)
        if room is not None and not room._numbering.is_news(event):
            return Changes.empty
        now = self._clock.now()
        out = _ChangeSet()
        kind = event.kind
        if room is not None and room.ended_at is not None:
            applied = self._event_after_end(room, event, out)
        elif kind is EventKind.CONFERENCE_START:
            applied = self._event_start(event, now, out)
        elif kind is EventKind.CONFERENCE_END:
            applied = self._event_end(event, now, out)
        elif kind is EventKind.PARTICIPANT_LEAVE:
            applied = self._event_leave(event, now, out)
        elif kind.about_participant:
            applied = self._event_presence(event, now, out)
        else:
            applied = self._event_announcement(event, now, out)
        if not applied:
            return Changes.empty

        room = self._rooms.get(sid)  # the event may have opened it, or retired it
        if room is not None:
            room._numbering.record(event)
            # A sweep that began before this callback read older news and cannot undo it.
            self._settled[(sid, event.call_sid if kind.about_participant else None)] = now
        old = self._health
        self._health = dataclasses.replace(old, last_event_at=now)  # only news counts, not a repeat
        out.health_changed = old.last_event_at is None  # first callback: the data source changed
        return out.freeze()

    def _event_conference(
        self, event: ConferenceEvent, status: ConferenceStatus, base: Conference | None
    ) -> Conference:
        fields = {
            "friendly_name": event.friendly_name or (base.friendly_name if base else ""),
            "status": status,
        }
        if base is None:
            return Conference(event.conference_sid, event.account_sid, **fields)
        return dataclasses.replace(base, **fields)

    def _event_room(self, event: ConferenceEvent, now: float, out: _ChangeSet) -> Room:
        """The event's room, created in progress when no poll or callback has shown it yet."""
        sid = event.conference_sid
        room = self._rooms.get(sid)
        if room is None:
            conference = self._event_conference(event, ConferenceStatus.IN_PROGRESS, None)
            room = self._rooms[sid] = _new_room(conference, now)
            self._settled[(sid, None)] = now  # a sweep already under way has not listed it yet
            out.rooms.add(sid)
            out.log.append(LogEntry(now, LogKind.ROOM, f"{room.name} started"))
        return room

    def _event_start(self, event: ConferenceEvent, now: float, out: _ChangeSet) -> bool:
        room = self._rooms.get(event.conference_sid)
        if room is None:
            self._event_room(event, now, out)
            return True
        conference = self._event_conference(event, ConferenceStatus.IN_PROGRESS, room.conference)
        if conference != room.conference:
            room.conference, room.last_changed = conference, now
            out.rooms.update(room.conference.sid)
        return True

    def _event_end(self, event: ConferenceEvent, now: float, out: _ChangeSet) -> bool:
        room = self._rooms.get(event.conference_sid)
        if room is None:
            # Never shown live: nothing to grey, but its late callbacks must not open it.
            self._retired[event.conference_sid] = now
            return True
        conference = dataclasses.replace(
            self._event_conference(event, ConferenceStatus.COMPLETED, room.conference),
            reason_conference_ended=event.reason_conference_ended,
            call_sid_ending_conference=event.call_sid_ending_conference,
        )
        self._end_room(room, _end_reason(conference, room, event.label_ending_conference), conference, now, out)
        return True

    def _event_after_end(self, room: Room, event: ConferenceEvent, out: _ChangeSet) -> bool:
        """A room already ended (a poll or an operator got there first) takes only the why of it:
        the reason it ended, and why each caller left. Nothing else about it is news any more."""
        if event.kind is EventKind.CONFERENCE_END:
            if room.ended_reason != ENDED or not event.reason_conference_ended:
                return False
            room.conference = dataclasses.replace(
                room.conference,
                reason_conference_ended=event.reason_conference_ended,
                call_sid_ending_conference=event.call_sid_ending_conference,
            )
            room.ended_reason = _end_reason(room.conference, room, event.label_ending_conference)
            out.rooms.update(room.conference.sid)
            return True
        if event.kind is EventKind.PARTICIPANT_LEAVE:
            return self._leave_reason(room, event, out)
        return False

    def _event_leave(self, event: ConferenceEvent, now: float, out: _ChangeSet) -> bool:
        room = self._event_room(event, now, out)
        call_sid = event.call_sid
        assert call_sid is not None  # the parser requires CallSid for every participant event
        member = room._members.get(call_sid)
        gone = room._numbering.gone
        if call_sid in gone and event.timestamp.timestamp() >= gone[call_sid] - JOIN_GRACE:
            # A leave from after a poll or kick saw them go has a number: a later join means a return.
            # One from before it is older news than that sighting, which keeps guarding them.
            del gone[call_sid]
        if member is None:
            return True  # nothing on screen to grey; the number now keeps older callbacks out
        if member.left_at is not None:
            self._leave_reason(room, event, out)
            return True
        reason = _left_reason(event)
        self._depart(room, member, reason, now, out)
        name = member.participant.display_name
        text = f"{name} left {room.name}" + ("" if reason == LEFT else f" ({reason})")
        out.log.append(LogEntry(now, LogKind.LEAVE, text))
        room.last_changed = now
        out.rooms.update(room.conference.sid)
        return True

    def _leave_reason(self, room: Room, event: ConferenceEvent, out: _ChangeSet) -> bool:
        """Someone seen gone by a poll or by the room's end: their leave callback says why."""
        member = room._members.get(event.call_sid or "")
        if member is None or member.left_at is None or not event.reason_participant_left:
            return False
        reason = _left_reason(event)
        if reason == member.left_reason:
            return False
        room._members[member.participant.call_sid] = dataclasses.replace(member, left_reason=reason)
        out.members.update((room.conference.sid, member.participant.call_sid))
        return True

    def _event_presence(self, event: ConferenceEvent, now: float, out: _ChangeSet) -> bool:
        """join, mute/unmute, hold/unhold, modify, speech-start/stop: each says the caller is in the room."""
        call_sid = event.call_sid
        assert call_sid is not None  # the parser requires CallSid for every participant event
        room = self._event_room(event, now, out)
        numbering = room._numbering
        gone_at = numbering.gone.get(call_sid)
        if gone_at is not None:
            if event.kind is not EventKind.PARTICIPANT_JOIN or event.timestamp.timestamp() < gone_at - JOIN_GRACE:
                return False  # older news of a call a poll or a kick saw go
            del numbering.gone[call_sid]
        sid = room.conference.sid
        key = (sid, call_sid)
        member = room._members.get(call_sid)
        base = member.participant if member is not None else Participant(
            call_sid, sid, ParticipantStatus.CONNECTED
        )
        carried = {flag: getattr(event, flag) for flag in _EVENT_FLAGS if getattr(event, flag) is not None}
        if event.label is not None:
            carried["label"] = event.label
        participant = dataclasses.replace(base, status=ParticipantStatus.CONNECTED, **carried)
        speaking = member.speaking if member is not None and member.left_at is None else False
        if event.kind is EventKind.PARTICIPANT_SPEECH_START:
            speaking = True
            self._speaking[key] = now
        elif event.kind is EventKind.PARTICIPANT_SPEECH_STOP:
            speaking = False
        speaking = _heard(speaking, participant)

        if member is None:
            room._members[call_sid] = Member(participant, joined_at=now, last_changed=now, speaking=speaking)
            out.members.add(key)
            out.log.append(LogEntry(now, LogKind.JOIN, f"{participant.display_name} joined {room.name}"))
        elif member.left_at is not None:
            room._members[call_sid] = Member(participant, member.joined_at, last_changed=now, speaking=speaking)
            self._departed.pop(key, None)
            out.members.update(key)
            out.log.append(LogEntry(now, LogKind.JOIN, f"{participant.display_name} is back in {room.name}"))
        elif participant != member.participant:
            room._members[call_sid] = dataclasses.replace(
                member, participant=participant, last_changed=now, speaking=speaking
            )
            out.members.update(key)
            out.log.extend(_flag_changes(member.participant, participant, room.name, now))
        elif speaking != member.speaking:
            # Talk is the busiest callback and says nothing about the room itself: only the
            # participant's row moves, so the rooms table is not redrawn for every word said.
            room._members[call_sid] = dataclasses.replace(member, speaking=speaking)
            out.members.update(key)
            return True
        else:
            return True  # accepted, nothing moved
        room.last_changed = now
        out.rooms.update(sid)
        return True

    def _event_announcement(self, event: ConferenceEvent, now: float, out: _ChangeSet) -> bool:
        room = self._rooms.get(event.conference_sid)
        where = room.name if room is not None else (event.friendly_name or event.conference_sid)
        if event.kind is EventKind.ANNOUNCEMENT_FAIL:
            why = event.reason_announcement_failed or "unknown error"
            out.log.append(LogEntry(now, LogKind.ERROR, f"announcement in {where} failed: {why}"))
        else:
            out.log.append(LogEntry(now, LogKind.INFO, f"announcement in {where} finished"))
        return True

    # ---- actions ------------------------------------------------------------------------------

    def apply_outcome(self, outcome: Outcome) -> Changes:
        now = self._clock.now()
        out = _ChangeSet()
        target = outcome.target
        key: TargetKey = (target.conference_sid, target.call_sid)
        room = self._rooms.get(target.conference_sid)
        member = room._members.get(target.call_sid) if room and target.call_sid else None
        name = target.name or (member.participant.display_name if member else room.name if room else None)
        headline = f"{outcome.action} {name or target.call_sid or target.conference_sid}"

        if outcome.status is OutcomeStatus.PENDING:
            self._pending[key] = outcome.action
            out.log.append(LogEntry(now, LogKind.ACTION, f"{headline}…"))
        else:
            self._pending.pop(key, None)
            if outcome.status is OutcomeStatus.FAILED:
                out.log.append(LogEntry(now, LogKind.ERROR, f"{headline}: failed: {outcome.error or 'unknown error'}"))
            else:
                note = f" ({outcome.error})" if outcome.error else ""
                out.log.append(LogEntry(now, LogKind.ACTION, f"{headline}: confirmed{note}"))
                if self._confirm(outcome, room, member, now, out):
                    self._settled[key] = now

        # The row shows the pending word, or loses it.
        if member is not None:
            out.members.update((target.conference_sid, member.participant.call_sid))
        if room is not None:
            out.rooms.update(target.conference_sid)
        return out.freeze()

    def _confirm(
        self, outcome: Outcome, room: Room | None, member: Member | None, now: float, out: _ChangeSet
    ) -> bool:
        """Apply a confirmed action to what is on screen; False when its target is no longer there."""
        action = outcome.action
        if action is Action.ANNOUNCE:
            return room is not None  # something was played; nothing on screen changes
        if action is Action.END:
            if room is None or room.ended_at is not None:
                return False
            self._end_room(room, ENDED_BY_OPERATOR, outcome.conference, now, out)
        elif room is None or member is None or member.left_at is not None:
            return False
        elif action is Action.KICK:
            self._depart(room, member, KICKED, now, out)
            room._numbering.gone[member.participant.call_sid] = now
        else:
            participant = outcome.participant
            if participant is None:
                flag, value = FLAG_UPDATES[action]
                participant = dataclasses.replace(member.participant, **{flag: value})
            room._members[member.participant.call_sid] = dataclasses.replace(
                member, participant=participant, last_changed=now, speaking=_heard(member.speaking, participant)
            )
        room.last_changed = now
        return True

    # ---- time ---------------------------------------------------------------------------------

    def expire(self) -> Changes:
        now = self._clock.now()
        out = _ChangeSet()
        for sid, ended_at in list(self._ended.items()):
            if now - ended_at >= self._ended_retention:
                self._remove_room(sid, out)
        for key, left_at in list(self._departed.items()):
            room = self._rooms[key[0]]
            # An ended room keeps its last members until the room itself goes.
            if room.ended_at is None and now - left_at >= self._departed_retention:
                del room._members[key[1]]
                del self._departed[key]
                self._forget(key)
                out.members.remove(key)
                out.rooms.update(key[0])
        self._end_lost_speech(now, out)
        while self._retired:  # oldest first: stop at the first still in force
            sid, since = next(iter(self._retired.items()))
            if now - since < RETIRED_FOR:
                break
            del self._retired[sid]
            self._retired_keys.pop(sid, None)
        return out.freeze()

    def _end_lost_speech(self, now: float, out: _ChangeSet) -> None:
        for key, since in list(self._speaking.items()):
            room = self._rooms.get(key[0])
            member = room._members.get(key[1]) if room is not None else None
            if member is None or not member.speaking:
                del self._speaking[key]  # stopped, left or gone since: nothing to time out
            elif now - since >= SPEECH_TIMEOUT:
                room._members[key[1]] = dataclasses.replace(member, speaking=False)
                del self._speaking[key]
                out.members.update(key)

    def _remove_room(self, sid: str, out: _ChangeSet) -> None:
        room = self._rooms.pop(sid)
        del self._ended[sid]
        self._settled.pop((sid, None), None)
        for call_sid in room._members:
            key = (sid, call_sid)
            self._departed.pop(key, None)
            self._forget(key)
            out.members.remove(key)
        self._forget((sid, None))
        out.rooms.remove(sid)
        self._retired[sid] = self._clock.now()  # its numbering goes with it: refuse what comes late
        self._retired_keys[sid] = room.key

    def _forget(self, key: TargetKey) -> None:
        self._settled.pop(key, None)
        self._pending.pop(key, None)  # an outcome that never came (its call was cancelled) goes with the row


def _new_room(conference: Conference, now: float) -> Room:
    return Room(RoomKey(conference.account_sid, conference.sid), conference, first_seen=now, last_changed=now)


def _end_reason(conference: Conference, room: Room, ending_label: str | None = None) -> str:
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


def _left_reason(event: ConferenceEvent) -> str:
    word = event.reason_participant_left
    return LEFT_REASONS.get(word, word) if word else LEFT


def _heard(speaking: bool, participant: Participant) -> bool:
    """Whether to show someone as talking: a muted or held caller is not heard in the room."""
    return speaking and not participant.muted and not participant.hold


def _flag_changes(old: Participant, new: Participant, room: str, now: float) -> list[LogEntry]:
    """Mute and hold changes someone else made, as the poll saw them."""
    entries = []
    for flag, on, off in (("muted", "muted", "unmuted"), ("hold", "put on hold", "taken off hold")):
        before, after = getattr(old, flag), getattr(new, flag)
        if before != after:
            entries.append(LogEntry(now, LogKind.UPDATE, f"{new.display_name} {on if after else off} in {room}"))
    return entries
