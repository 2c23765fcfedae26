"""What happened, as facts: the store records them; the narrator (confmon.narrator) words them.

Each note names the room and the caller as the screen names them (already sanitized), so a note
can be told long after its room is gone. Later readers (alert rules, a JSON event stream) read the
facts themselves, never parse a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from confmon.model import Action, OutcomeStatus


@dataclass(frozen=True, slots=True)
class Note:
    at: float  # clock time


@dataclass(frozen=True, slots=True)
class Loaded(Note):
    """The first sweep: what was there when the monitor started."""

    rooms: int
    people: int


@dataclass(frozen=True, slots=True)
class RoomStarted(Note):
    room: str


@dataclass(frozen=True, slots=True)
class RoomResumed(Note):
    room: str


@dataclass(frozen=True, slots=True)
class RoomEnded(Note):
    room: str
    reason: str | None  # None: the plain "ended", no reason known


@dataclass(frozen=True, slots=True)
class Joined(Note):
    who: str
    room: str
    again: bool = False  # seen gone before: back in the room


@dataclass(frozen=True, slots=True)
class Left(Note):
    who: str
    room: str
    reason: str | None  # None: hung up, or a poll saw them gone


@dataclass(frozen=True, slots=True)
class FlagChanged(Note):
    """Someone else muted or held a caller, as a poll or a callback saw it."""

    who: str
    room: str
    flag: str  # "muted" or "hold"
    on: bool


@dataclass(frozen=True, slots=True)
class Announced(Note):
    room: str
    failure: str | None  # None: it played to the end


@dataclass(frozen=True, slots=True)
class ActionNote(Note):
    """An operator action's progress: sent, confirmed (with a remark), or failed (with why)."""

    action: Action
    target: str
    state: OutcomeStatus
    remark: str | None = None
    room: str | None = None  # the room of a caller's action, so the line says where


@dataclass(frozen=True, slots=True)
class PollFailed(Note):
    message: str


@dataclass(frozen=True, slots=True)
class PollRecovered(Note):
    failures: int


@dataclass(frozen=True, slots=True)
class PartlyRead(Note):
    """A record a sweep dropped or read in part ("conference CF…: date_created is not a date"), told
    once however many sweeps meet it; `more`: how many other new ones this sweep met, left untold."""

    problem: str
    more: int = 0


@dataclass(frozen=True, slots=True)
class Problem(Note):
    """Anything else that went wrong and is already a sentence: a callback not applied, a loop that
    broke, a refused callback, callbacks that could not be switched on."""

    message: str
