"""Status callbacks into the store: ordered per room by SequenceNumber, repeats dropped, and no
late callback ever brings back a caller who left or reopens a room that ended.

Twilio numbers a conference's callbacks (SequenceNumber) but delivers them unordered, twice or
never. Each caller keeps the number of the last callback applied to them, the room that of its last
start or end: an older or equal one is ignored. So:
- a late mute never brings back someone whose leave was applied; a callback numbered after that
  leave means they came back;
- someone a poll or a kick saw go (no number says when) comes back only by a participant-join
  stamped after that moment: a late mute or speech-stop about them is news of a call that has gone;
- a room that ended stays ended (Twilio never reuses a conference SID); only a poll can show it live
  again, and for RETIRED_FOR seconds after it leaves the screen its callbacks are refused.
A lost callback is repaired by the next poll.
"""

from __future__ import annotations

import dataclasses

from confmon.model import (
    Conference,
    ConferenceEvent,
    ConferenceStatus,
    EventKind,
    Participant,
    ParticipantStatus,
    RoomKey,
)
from confmon.store.changes import Changes, ChangeSet
from confmon.store.notes import Announced, Joined, RoomStarted
from confmon.store.polls import flag_changes
from confmon.store.state import ENDED, LEFT, LEFT_REASONS, Member, Room, State, end_reason, heard

# A participant-join whose Timestamp is this much older than the moment a poll or a kick saw the
# caller gone is older news. Timestamps have whole seconds, and the provider's clock is not ours.
JOIN_GRACE = 2.0


def apply_event(state: State, event: ConferenceEvent) -> Changes:
    """Apply one status callback; repeats and callbacks older than what they would undo do nothing."""
    key = RoomKey(event.account_sid, event.conference_sid)
    if key in state.retired:
        return Changes.empty
    room = state.rooms.get(key)
    if room is not None and not room._numbering.is_news(event):
        return Changes.empty
    now = state.clock.now()
    out = ChangeSet()
    kind = event.kind
    if room is not None and room.ended_at is not None:
        applied = _after_end(state, room, event, out)
    elif kind is EventKind.CONFERENCE_START:
        applied = _start(state, key, event, now, out)
    elif kind is EventKind.CONFERENCE_END:
        applied = _end(state, key, event, now, out)
    elif kind is EventKind.PARTICIPANT_LEAVE:
        applied = _leave(state, key, event, now, out)
    elif kind.about_participant:
        applied = _presence(state, key, event, now, out)
    else:
        applied = _announcement(state, key, event, now, out)
    if not applied:
        return Changes.empty

    room = state.rooms.get(key)  # the event may have opened it, or retired it
    if room is not None:
        room._numbering.record(event)
        # A sweep that began before this callback read older news and cannot undo it.
        state.settled[(key, event.call_sid if kind.about_participant else None)] = now
    old = state.health_of(key.account)
    state.health[key.account] = dataclasses.replace(old, last_event_at=now)  # only news counts, not a repeat
    out.health_changed = old.last_event_at is None  # first callback: the data source changed
    return out.freeze()


def _conference(event: ConferenceEvent, status: ConferenceStatus, base: Conference | None) -> Conference:
    name = event.friendly_name or (base.friendly_name if base else "")
    if base is None:
        return Conference(event.conference_sid, event.account_sid, name, status)
    return dataclasses.replace(base, friendly_name=name, status=status)


def _room(state: State, key: RoomKey, event: ConferenceEvent, now: float, out: ChangeSet) -> Room:
    """The event's room, created in progress when no poll or callback has shown it yet."""
    room = state.rooms.get(key)
    if room is None:
        room = state.new_room(key, _conference(event, ConferenceStatus.IN_PROGRESS, None), now)
        state.settled[(key, None)] = now  # a sweep already under way has not listed it yet
        out.rooms.add(key)
        out.log.append(RoomStarted(now, room.name))
    return room


def _start(state: State, key: RoomKey, event: ConferenceEvent, now: float, out: ChangeSet) -> bool:
    room = state.rooms.get(key)
    if room is None:
        _room(state, key, event, now, out)
        return True
    conference = _conference(event, ConferenceStatus.IN_PROGRESS, room.conference)
    if conference != room.conference:
        room.conference, room.last_changed = conference, now
        out.rooms.update(key)
    return True


def _end(state: State, key: RoomKey, event: ConferenceEvent, now: float, out: ChangeSet) -> bool:
    room = state.rooms.get(key)
    if room is None:
        # Never shown live: nothing to grey, but its late callbacks must not open it.
        state.retired[key] = now
        return True
    conference = dataclasses.replace(
        _conference(event, ConferenceStatus.COMPLETED, room.conference),
        reason_conference_ended=event.reason_conference_ended,
        call_sid_ending_conference=event.call_sid_ending_conference,
    )
    state.end_room(room, end_reason(conference, room, event.label_ending_conference), conference, now, out)
    return True


def _after_end(state: State, room: Room, event: ConferenceEvent, out: ChangeSet) -> bool:
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
        room.ended_reason = end_reason(room.conference, room, event.label_ending_conference)
        out.rooms.update(room.key)
        return True
    if event.kind is EventKind.PARTICIPANT_LEAVE:
        return _leave_reason(room, event, out)
    return False


def _leave(state: State, key: RoomKey, event: ConferenceEvent, now: float, out: ChangeSet) -> bool:
    room = _room(state, key, event, now, out)
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
        _leave_reason(room, event, out)
        return True
    state.leave(room, member, _left_reason(event), now, out)
    return True


def _leave_reason(room: Room, event: ConferenceEvent, out: ChangeSet) -> bool:
    """Someone seen gone by a poll or by the room's end: their leave callback says why."""
    member = room._members.get(event.call_sid or "")
    if member is None or member.left_at is None or not event.reason_participant_left:
        return False
    reason = _left_reason(event)
    if reason == member.left_reason:
        return False
    room._members[member.participant.call_sid] = dataclasses.replace(member, left_reason=reason)
    out.members.update((room.key, member.participant.call_sid))
    return True


def _presence(state: State, key: RoomKey, event: ConferenceEvent, now: float, out: ChangeSet) -> bool:
    """join, mute/unmute, hold/unhold, modify, speech-start/stop: each says the caller is in the room."""
    call_sid = event.call_sid
    assert call_sid is not None  # the parser requires CallSid for every participant event
    room = _room(state, key, event, now, out)
    numbering = room._numbering
    gone_at = numbering.gone.get(call_sid)
    if gone_at is not None:
        if event.kind is not EventKind.PARTICIPANT_JOIN or event.timestamp.timestamp() < gone_at - JOIN_GRACE:
            return False  # older news of a call a poll or a kick saw go
        del numbering.gone[call_sid]
    member_key = (key, call_sid)
    member = room._members.get(call_sid)
    participant = _participant(event, member.participant if member is not None else None, event.conference_sid)
    speaking = member.speaking if member is not None and member.left_at is None else False
    if event.kind is EventKind.PARTICIPANT_SPEECH_START:
        speaking = True
        state.speaking[member_key] = now
    elif event.kind is EventKind.PARTICIPANT_SPEECH_STOP:
        speaking = False
    speaking = heard(speaking, participant)

    if member is None:
        room._members[call_sid] = Member(participant, joined_at=now, last_changed=now, speaking=speaking)
        out.members.add(member_key)
        out.log.append(Joined(now, participant.display_name, room.name))
    elif member.left_at is not None:
        room._members[call_sid] = Member(participant, member.joined_at, last_changed=now, speaking=speaking)
        state.departed.pop(member_key, None)
        out.members.update(member_key)
        out.log.append(Joined(now, participant.display_name, room.name, again=True))
    elif participant != member.participant:
        room._members[call_sid] = dataclasses.replace(
            member, participant=participant, last_changed=now, speaking=speaking
        )
        out.members.update(member_key)
        out.log.extend(flag_changes(member.participant, participant, room.name, now))
    elif speaking != member.speaking:
        # Talk is the busiest callback and says nothing about the room itself: only the
        # participant's row moves, so the rooms table is not redrawn for every word said.
        room._members[call_sid] = dataclasses.replace(member, speaking=speaking)
        out.members.update(member_key)
        return True
    else:
        return True  # accepted, nothing moved
    room.last_changed = now
    out.rooms.update(key)
    return True


def _participant(event: ConferenceEvent, base: Participant | None, conference_sid: str) -> Participant:
    """The caller as the callback describes them: every flag it carries (None: not carried, which is
    not False) over what was known."""
    participant = base or Participant(event.call_sid or "", conference_sid, ParticipantStatus.CONNECTED)
    return dataclasses.replace(
        participant,
        status=ParticipantStatus.CONNECTED,
        muted=participant.muted if event.muted is None else event.muted,
        hold=participant.hold if event.hold is None else event.hold,
        coaching=participant.coaching if event.coaching is None else event.coaching,
        end_conference_on_exit=(
            participant.end_conference_on_exit if event.end_conference_on_exit is None else event.end_conference_on_exit
        ),
        start_conference_on_enter=(
            participant.start_conference_on_enter
            if event.start_conference_on_enter is None
            else event.start_conference_on_enter
        ),
        label=participant.label if event.label is None else event.label,
    )


def _announcement(state: State, key: RoomKey, event: ConferenceEvent, now: float, out: ChangeSet) -> bool:
    room = state.rooms.get(key)
    where = room.name if room is not None else (event.friendly_name or event.conference_sid)
    failure = None
    if event.kind is EventKind.ANNOUNCEMENT_FAIL:
        failure = event.reason_announcement_failed or "unknown error"
    out.log.append(Announced(now, where, failure))
    return True


def _left_reason(event: ConferenceEvent) -> str:
    word = event.reason_participant_left
    return LEFT_REASONS.get(word, word) if word else LEFT
