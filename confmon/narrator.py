"""The event log's sentences: every store note (confmon.store.notes) told as a person would say it."""

from __future__ import annotations

from confmon.model import OutcomeStatus
from confmon.store.notes import (
    ActionNote,
    Announced,
    FlagChanged,
    Joined,
    Left,
    Loaded,
    Note,
    PartlyRead,
    PollFailed,
    PollRecovered,
    Problem,
    RoomEnded,
    RoomResumed,
    RoomStarted,
)
from confmon.views import LogEntry, LogKind

_FLAG_WORDS = {("muted", True): "muted", ("muted", False): "unmuted", ("hold", True): "put on hold",
               ("hold", False): "taken off hold"}  # fmt: skip


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _because(reason: str | None) -> str:
    return f" ({reason})" if reason else ""


def _in(room: str | None) -> str:
    return f" in {room}" if room else ""


def tell(note: Note) -> LogEntry:
    """The note as one line of the event log."""
    kind, text = _words(note)
    return LogEntry(note.at, kind, text)


def _words(note: Note) -> tuple[LogKind, str]:
    match note:
        case Loaded(rooms=rooms, people=people):
            return LogKind.INFO, f"{_plural(rooms, 'room')}, {_plural(people, 'participant')} loaded"
        case RoomStarted(room=room):
            return LogKind.ROOM, f"{room} started"
        case RoomResumed(room=room):
            return LogKind.ROOM, f"{room} resumed"
        case RoomEnded(room=room, reason=reason):
            return LogKind.ROOM, f"{room} ended{_because(reason)}"
        case Joined(who=who, room=room, again=again):
            return LogKind.JOIN, f"{who} is back in {room}" if again else f"{who} joined {room}"
        case Left(who=who, room=room, reason=reason):
            return LogKind.LEAVE, f"{who} left {room}{_because(reason)}"
        case FlagChanged(who=who, room=room, flag=flag, on=on):
            return LogKind.UPDATE, f"{who} {_FLAG_WORDS[flag, on]} in {room}"
        case Announced(room=room, failure=None):
            return LogKind.INFO, f"announcement in {room} finished"
        case Announced(room=room, failure=failure):
            return LogKind.ERROR, f"announcement in {room} failed: {failure}"
        case ActionNote(action=action, target=target, state=OutcomeStatus.PENDING, room=room):
            return LogKind.ACTION, f"{action} {target}{_in(room)}…"
        case ActionNote(action=action, target=target, state=OutcomeStatus.FAILED, remark=remark, room=room):
            return LogKind.ERROR, f"{action} {target}{_in(room)}: failed: {remark or 'unknown error'}"
        case ActionNote(action=action, target=target, remark=remark, room=room):
            return LogKind.ACTION, f"{action} {target}{_in(room)}: confirmed{_because(remark)}"
        case PollFailed(message=message):
            return LogKind.ERROR, f"poll failed: {message}"
        case PollRecovered(failures=failures):
            return LogKind.INFO, f"poll recovered after {_plural(failures, 'failure')}"
        case PartlyRead(problem=problem, more=more):
            return LogKind.ERROR, f"read in part: {problem}" + (f" (and {_plural(more, 'other')})" if more else "")
        case Problem(message=message):
            return LogKind.ERROR, message
    raise TypeError(f"no words for {type(note).__name__}")  # a note kind added without its sentence
