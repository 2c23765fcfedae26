"""The single truth on screen: rooms and their members, reconciled from polls, status callbacks and
operator actions, for every account that feeds the session (a room's key is its account and SID).

Sources hand the store plain model objects (a Snapshot, an error message, a ConferenceEvent, an
Outcome); each call returns the Changes it made, with notes of what happened (worded by
confmon.narrator), so faces redraw only what moved. The store keeps what left visible for a while
(greyed), then `expire()` drops it. It does no I/O and reads time from the clock. The rules of each
source live in a module of their own: polls, callbacks, outcomes, expiry; the shared state in state.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from confmon.clock import Clock
from confmon.model import Action, Call, ConferenceEvent, Outcome, RoomKey, Snapshot
from confmon.store import callbacks, expiry, outcomes, polls
from confmon.store.changes import Changes, ChangeSet, MemberKey, TargetKey
from confmon.store.expiry import SPEECH_TIMEOUT
from confmon.store.notes import Note, Problem
from confmon.store.state import RETIRED_FOR, Member, Room, State
from confmon.views import FeedHealth, RoomView

__all__ = [
    "RETIRED_FOR",
    "SPEECH_TIMEOUT",
    "Changes",
    "Member",
    "MemberKey",
    "Note",
    "Room",
    "Store",
    "TargetKey",
    "internal_error",
]


def internal_error(error: BaseException) -> str:
    """How an unexpected exception (a bug, not a network fault) is told in the log and the status bar.

    Raw text: whoever passes it on makes it safe to show, as with any other error message.
    """
    text = str(error)
    return f"internal error: {type(error).__name__}" + (f": {text}" if text else "")


class Store:
    def __init__(self, clock: Clock, *, departed_retention: float = 20.0, ended_retention: float = 60.0) -> None:
        self._state = State(clock, departed_retention=departed_retention, ended_retention=ended_retention)

    # ---- reading ------------------------------------------------------------------------------

    @property
    def rooms(self) -> Mapping[RoomKey, Room]:
        return MappingProxyType(self._state.rooms)

    def health_of(self, account: str) -> FeedHealth:
        """How the account's sources fare: its last good poll, its failures, its last callback."""
        return self._state.health_of(account)

    @property
    def pending(self) -> Mapping[TargetKey, Action]:
        return MappingProxyType(self._state.pending)

    def pending_for(self, room: RoomKey, call_sid: str | None = None) -> Action | None:
        return self._state.pending.get((room, call_sid))

    def view(self, key: RoomKey) -> RoomView | None:
        """A frozen copy of the room as it is now; None once it is gone."""
        return self._state.view(key)

    def callback_rooms(self, account: str) -> frozenset[str]:
        """The SIDs of the account's live rooms whose status callbacks report their participants."""
        return frozenset(
            key.sid
            for key, room in self._state.rooms.items()
            if key.account == account and room.ended_at is None and room._numbering.covered
        )

    def live_rooms(self, account: str) -> int:
        return sum(1 for key, room in self._state.rooms.items() if key.account == account and room.ended_at is None)

    # ---- writing ------------------------------------------------------------------------------

    def apply_snapshot(self, snapshot: Snapshot) -> Changes:
        return polls.apply_snapshot(self._state, snapshot)

    def record_error(self, account: str, message: str) -> Changes:
        """The account's poll failed: on the status bar, counted, and in the log when the reason changes."""
        return polls.record_error(self._state, account, message)

    def report_error(self, message: str) -> Changes:
        """A failure that is not the poll's (a callback that could not be applied): logged, and the
        poll's health and backoff are left alone."""
        return Changes(log=(Problem(self._state.clock.now(), message),))

    def apply_event(self, event: ConferenceEvent) -> Changes:
        return callbacks.apply_event(self._state, event)

    def apply_outcome(self, outcome: Outcome) -> Changes:
        return outcomes.apply_outcome(self._state, outcome)

    def apply_calls(self, calls: Mapping[MemberKey, Call]) -> Changes:
        """Who callers are, as the Calls resource said: their rows show it from now on."""
        out = ChangeSet()
        state = self._state
        for (room_key, call_sid), call in calls.items():
            room = state.rooms.get(room_key)
            if room is None or call_sid not in room._members:
                continue  # gone meanwhile
            state.calls[call_sid] = call
            out.members.update((room_key, call_sid))
            out.rooms.update(room_key)
        return out.freeze()

    def has_call(self, call_sid: str) -> bool:
        return call_sid in self._state.calls

    def expire(self) -> Changes:
        return expiry.expire(self._state)
