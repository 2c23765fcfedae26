"""Provider-neutral model: what every source produces and every face consumes.

Frozen dataclasses only. Text fields hold wire strings that already passed `sanitize.display_text`
at the dialect boundary, so faces may show them as plain text without further checks.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import NamedTuple


class RoomKey(NamedTuple):
    """A room's identity: its account (the source that reports it) and its conference SID, so that
    several accounts can feed one session without their rooms ever being taken for one another."""

    account: str
    sid: str


class ConferenceStatus(enum.StrEnum):
    INIT = "init"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"


class ParticipantStatus(enum.StrEnum):
    QUEUED = "queued"
    CONNECTING = "connecting"
    RINGING = "ringing"
    CONNECTED = "connected"
    COMPLETE = "complete"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Unrecognized:
    """A status word outside the documented set, kept as the server sent it (already made safe) and
    shown as such: never taken for a known one (Telnyx's participant "completed" is not "connected")."""

    text: str

    def __str__(self) -> str:
        return self.text or "?"

    def __format__(self, spec: str) -> str:  # a column of statuses pads it as it pads a known one
        return format(str(self), spec)


@dataclass(frozen=True, slots=True)
class Conference:
    sid: str
    account_sid: str
    friendly_name: str
    status: ConferenceStatus | Unrecognized
    region: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    reason_conference_ended: str | None = None
    call_sid_ending_conference: str | None = None
    # RestComm says whether a moderator (a start-on-enter participant) is in the room; None: not said.
    moderator_present: bool | None = None


@dataclass(frozen=True, slots=True)
class Participant:
    call_sid: str
    conference_sid: str
    status: ParticipantStatus | Unrecognized
    label: str | None = None
    muted: bool = False
    hold: bool = False
    coaching: bool = False
    end_conference_on_exit: bool = False
    start_conference_on_enter: bool = True
    call_sid_to_coach: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None

    @property
    def display_name(self) -> str:
        """The label, else the call id; an id longer than a Twilio SID (RestComm's carry a shared
        instance prefix) is shown by its tail, which is where such ids differ."""
        if self.label:
            return self.label
        return self.call_sid if len(self.call_sid) <= 34 else "…" + self.call_sid[-33:]


@dataclass(frozen=True, slots=True)
class Call:
    """Who a participant is on the phone network: their call as the Calls resource describes it.

    Every field but the sid is None where the API did not say (or said something unreadable).
    """

    sid: str  # the participant's call_sid, as that dialect spells it
    from_number: str | None = None  # From (2008: Caller): a phone number, or a SIP or `client:` address
    to_number: str | None = None  # To (2008: Called): for a caller who dialled in, the room's number
    caller_name: str | None = None  # CallerName: the caller-ID lookup's name, where the API gives one
    direction: str | None = None  # inbound, outbound-api, outbound-dial, … as sent (2008: from its Flags)


@dataclass(frozen=True, slots=True)
class Recording:
    sid: str
    conference_sid: str
    status: str  # in-progress, paused, stopped, processing, completed, absent, failed (2010 wire words)
    duration: int | None = None  # seconds; None while recording
    channels: int | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    start_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one poll sweep saw.

    `participants` holds an entry for every conference whose participants were fetched in this
    sweep; a conference listed without an entry keeps the participants the store already knew.
    `rooms_dropped` counts the room records the listing dropped that may be rooms already known (they
    sent no readable sid): a room missing from the sweep may be one of them, unless as many were
    dropped when it was last listed (then they were others). `participants_dropped` says the same of
    each room's callers.
    """

    conferences: tuple[Conference, ...]
    participants: dict[str, tuple[Participant, ...]] = field(default_factory=dict)  # by conference SID
    # Recordings per conference, for the rooms whose recordings were fetched in this sweep only.
    recordings: dict[str, tuple[Recording, ...]] = field(default_factory=dict)
    taken_at: float = 0.0  # clock time (seconds) when the sweep finished
    latency: float = 0.0  # seconds the sweep took
    rooms_dropped: int = 0
    account: str = field(kw_only=True)  # whose rooms these are: the account the sweep listed
    problems: tuple[str, ...] = ()  # records the sweep dropped or read in part, one line each
    participants_dropped: dict[str, int] = field(default_factory=dict)  # by conference SID, where any were

    @property
    def complete(self) -> bool:
        """Every room record was read: a room missing from the sweep has ended."""
        return not self.rooms_dropped


class Action(enum.StrEnum):
    MUTE = "mute"
    UNMUTE = "unmute"
    HOLD = "hold"
    UNHOLD = "unhold"
    KICK = "kick"
    END = "end"
    ANNOUNCE = "announce"  # play a URL (MP3, WAV or TwiML) to a room, or to one participant

    @property
    def destructive(self) -> bool:
        return self in (Action.KICK, Action.END)


@dataclass(frozen=True, slots=True)
class FlagUpdate:
    """What a mute or hold action asks the server to set (None: leave as it is)."""

    muted: bool | None = None
    hold: bool | None = None

    def applied_to(self, participant: Participant) -> Participant:
        """The participant as the action leaves them, when the server did not say."""
        return dataclasses.replace(
            participant,
            muted=participant.muted if self.muted is None else self.muted,
            hold=participant.hold if self.hold is None else self.hold,
        )


# The participant flag each update action sets.
FLAG_UPDATES: Mapping[Action, FlagUpdate] = MappingProxyType(
    {
        Action.MUTE: FlagUpdate(muted=True),
        Action.UNMUTE: FlagUpdate(muted=False),
        Action.HOLD: FlagUpdate(hold=True),
        Action.UNHOLD: FlagUpdate(hold=False),
    }
)


@dataclass(frozen=True, slots=True)
class Target:
    """What an action is aimed at: a room, or one participant of it."""

    room: RoomKey
    call_sid: str | None = None
    name: str = ""  # sanitized room name or participant label, for messages only
    url: str | None = None  # what ANNOUNCE plays; unused by the other actions
    # For an END done by kicking everyone: exactly the callers the operator confirmed.
    call_sids: tuple[str, ...] = ()

    @property
    def conference_sid(self) -> str:
        return self.room.sid


class OutcomeStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one moderation action, as the UI and the audit log see it."""

    action: Action
    target: Target
    status: OutcomeStatus
    error: str | None = None
    participant: Participant | None = None  # state the server returned, when it returned one
    conference: Conference | None = None


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend can do; the UI offers only these keys, and says why when it cannot."""

    name: str = "Twilio 2010-04-01"  # shown on the status bar
    can_mute: bool = True
    can_hold: bool = True
    can_kick: bool = True
    can_end: bool = True  # an API call ends the room for everyone
    end_by_kicking_all: bool = False  # no such call (RestComm): "end" honestly means kick everyone
    can_announce_room: bool = True
    can_announce_participant: bool = True
    has_recordings: bool = True  # a Recordings subresource per conference
    has_labels: bool = True  # participants may carry a label
    has_coaching: bool = True
    reports_moderator: bool = False  # conference status tells whether a moderator is present
    has_callbacks: bool = True


class EventKind(enum.StrEnum):
    """A conference status callback's `StatusCallbackEvent`, as Twilio words it."""

    CONFERENCE_START = "conference-start"
    CONFERENCE_END = "conference-end"
    PARTICIPANT_JOIN = "participant-join"
    PARTICIPANT_LEAVE = "participant-leave"
    PARTICIPANT_MUTE = "participant-mute"
    PARTICIPANT_UNMUTE = "participant-unmute"
    PARTICIPANT_HOLD = "participant-hold"
    PARTICIPANT_UNHOLD = "participant-unhold"
    PARTICIPANT_MODIFY = "participant-modify"
    PARTICIPANT_SPEECH_START = "participant-speech-start"
    PARTICIPANT_SPEECH_STOP = "participant-speech-stop"
    ANNOUNCEMENT_END = "announcement-end"
    ANNOUNCEMENT_FAIL = "announcement-fail"

    @property
    def about_participant(self) -> bool:
        """Whether the event always names a participant (announcements name one only sometimes)."""
        return self.value.startswith("participant-")


@dataclass(frozen=True, slots=True)
class ConferenceEvent:
    """One conference status callback, with every documented parameter.

    Twilio sends them unordered, sometimes twice, sometimes never: `(conference_sid, sequence_number)`
    orders and de-duplicates them. Participant fields are None when the callback did not carry them
    (conference events, room announcements), which is not the same as False.
    """

    kind: EventKind
    conference_sid: str
    account_sid: str
    friendly_name: str
    sequence_number: int
    timestamp: datetime  # aware, UTC when the wire said -0000; 1 s resolution
    call_sid: str | None = None
    muted: bool | None = None
    hold: bool | None = None
    coaching: bool | None = None
    end_conference_on_exit: bool | None = None
    start_conference_on_enter: bool | None = None
    label: str | None = None  # ParticipantLabel
    # conference-end
    reason_conference_ended: str | None = None
    call_sid_ending_conference: str | None = None
    label_ending_conference: str | None = None  # ParticipantLabelEndingConference
    reason: str | None = None  # free text: why the conference ended
    # participant-leave
    reason_participant_left: str | None = None
    participant_call_status: str | None = None
    # announcement-end / announcement-fail
    announce_url: str | None = None
    reason_announcement_failed: str | None = None
