"""Provider-neutral model: what every source produces and every face consumes.

Frozen dataclasses only. Text fields hold wire strings that already passed `sanitize.display_text`
at the dialect boundary, so faces may show them as plain text without further checks.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


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
class Conference:
    sid: str
    account_sid: str
    friendly_name: str
    status: ConferenceStatus
    region: str | None = None
    date_created: datetime | None = None
    date_updated: datetime | None = None
    reason_conference_ended: str | None = None
    call_sid_ending_conference: str | None = None


@dataclass(frozen=True, slots=True)
class Participant:
    call_sid: str
    conference_sid: str
    status: ParticipantStatus
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
        return self.label or self.call_sid


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one poll sweep saw.

    `participants` holds an entry for every conference whose participants were fetched in this
    sweep; a conference listed without an entry keeps the participants the store already knew.
    `complete` is False when the sweep could not list every room (a page failed), in which case
    rooms missing from it must not be taken as ended.
    """

    conferences: tuple[Conference, ...]
    participants: dict[str, tuple[Participant, ...]] = field(default_factory=dict)
    taken_at: float = 0.0  # clock time (seconds) when the sweep finished
    latency: float = 0.0  # seconds the sweep took
    complete: bool = True


class Action(enum.StrEnum):
    MUTE = "mute"
    UNMUTE = "unmute"
    HOLD = "hold"
    UNHOLD = "unhold"
    KICK = "kick"
    END = "end"

    @property
    def destructive(self) -> bool:
        return self in (Action.KICK, Action.END)


@dataclass(frozen=True, slots=True)
class Target:
    """What an action is aimed at: a room, or one participant of it."""

    conference_sid: str
    call_sid: str | None = None
    name: str = ""  # sanitized room name or participant label, for messages only


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
    """What a backend can do; the UI offers only these keys."""

    can_mute: bool = True
    can_hold: bool = True
    can_kick: bool = True
    can_end: bool = True
    has_callbacks: bool = True
