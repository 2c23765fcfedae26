"""Operator actions into the store: pending while in flight, then confirmed on screen at once (a
sweep that began before the confirmation cannot undo it) or failed with why."""

from __future__ import annotations

import dataclasses

from confmon.model import FLAG_UPDATES, Action, Outcome, OutcomeStatus
from confmon.store.changes import Changes, ChangeSet, TargetKey
from confmon.store.notes import ActionNote
from confmon.store.state import ENDED_BY_OPERATOR, KICKED, Member, Room, State, heard


def apply_outcome(state: State, outcome: Outcome) -> Changes:
    now = state.clock.now()
    out = ChangeSet()
    target = outcome.target
    key: TargetKey = (target.room, target.call_sid)
    room = state.rooms.get(target.room)
    member = room._members.get(target.call_sid) if room and target.call_sid else None
    name = target.name or (member.participant.display_name if member else room.name if room else None)
    headline = name or target.call_sid or target.conference_sid
    where = room.name if room is not None and target.call_sid else None  # a room's own action names it already

    if outcome.status is OutcomeStatus.PENDING:
        state.pending[key] = outcome.action
        out.log.append(ActionNote(now, outcome.action, headline, outcome.status, room=where))
    else:
        state.pending.pop(key, None)
        out.log.append(ActionNote(now, outcome.action, headline, outcome.status, outcome.error, room=where))
        if outcome.status is OutcomeStatus.CONFIRMED and _confirm(state, outcome, room, member, now, out):
            state.settled[key] = now

    # The row shows the pending word, or loses it.
    if room is not None:
        if member is not None:
            out.members.update((room.key, member.participant.call_sid))
        out.rooms.update(room.key)
    return out.freeze()


def _confirm(
    state: State, outcome: Outcome, room: Room | None, member: Member | None, now: float, out: ChangeSet
) -> bool:
    """Apply a confirmed action to what is on screen; False when its target is no longer there."""
    action = outcome.action
    if action is Action.ANNOUNCE:
        return room is not None  # something was played; nothing on screen changes
    if action is Action.END:
        if room is None or room.ended_at is not None:
            return False
        state.end_room(room, ENDED_BY_OPERATOR, outcome.conference, now, out)
    elif room is None or member is None or member.left_at is not None:
        return False
    elif action is Action.KICK:
        state.depart(room, member, KICKED, now, out)
        room._numbering.gone[member.participant.call_sid] = now
    else:
        participant = outcome.participant or FLAG_UPDATES[action].applied_to(member.participant)
        room._members[member.participant.call_sid] = dataclasses.replace(
            member, participant=participant, last_changed=now, speaking=heard(member.speaking, participant)
        )
    room.last_changed = now
    return True
