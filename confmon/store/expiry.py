"""Time, on the injected clock: what has stayed on screen long enough goes, and a speech-stop that
never came is taken as given."""

from __future__ import annotations

import dataclasses

from confmon.store.changes import Changes, ChangeSet
from confmon.store.state import RETIRED_FOR, State

# A speech-start with no speech-stop for this long is taken as a stop that was lost: no poll can
# tell who is talking, so nothing else would ever clear it.
SPEECH_TIMEOUT = 120.0


def expire(state: State) -> Changes:
    now = state.clock.now()
    out = ChangeSet()
    for key, ended_at in list(state.ended.items()):
        if now - ended_at >= state.ended_retention:
            state.remove_room(key, out)
    for member_key, left_at in list(state.departed.items()):
        room_key, call_sid = member_key
        room = state.rooms[room_key]
        # An ended room keeps its last members until the room itself goes.
        if room.ended_at is None and now - left_at >= state.departed_retention:
            del room._members[call_sid]
            del state.departed[member_key]
            state.calls.pop(call_sid, None)
            state.forget(member_key)
            out.members.remove(member_key)
            out.rooms.update(room_key)
    _end_lost_speech(state, now, out)
    while state.retired:  # oldest first: stop at the first still in force
        key, since = next(iter(state.retired.items()))
        if now - since < RETIRED_FOR:
            break
        del state.retired[key]
    return out.freeze()


def _end_lost_speech(state: State, now: float, out: ChangeSet) -> None:
    for member_key, since in list(state.speaking.items()):
        room_key, call_sid = member_key
        room = state.rooms.get(room_key)
        member = room._members.get(call_sid) if room is not None else None
        if room is None or member is None or not member.speaking:
            del state.speaking[member_key]  # stopped, left or gone since: nothing to time out
        elif now - since >= SPEECH_TIMEOUT:
            room._members[call_sid] = dataclasses.replace(member, speaking=False)
            del state.speaking[member_key]
            out.members.update(member_key)
