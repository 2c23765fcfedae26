"""A sweep's snapshot against what is on screen: rooms and callers come, change and go by diff.

A sweep that began before news it could not have seen (an operator's confirmed action, a callback)
does not undo that news; a room missing from the listing has ended, and a caller missing from a
participant listing has left, unless the listing dropped more records unread than when it last listed
them (one of those may be theirs). A record that stays unreadable thus holds back no one else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from confmon.model import Conference, ConferenceStatus, Participant, RoomKey, Snapshot
from confmon.store.changes import Changes, ChangeSet
from confmon.store.notes import (
    FlagChanged,
    Joined,
    Loaded,
    PartlyRead,
    PollFailed,
    PollRecovered,
    RoomResumed,
    RoomStarted,
)
from confmon.store.state import ENDED, LEFT, Member, Room, State, end_reason, heard
from confmon.views import FeedHealth


def apply_snapshot(state: State, snapshot: Snapshot) -> Changes:
    now = state.clock.now()
    out = ChangeSet()
    account = snapshot.account
    narrate = account in state.loaded  # the first load is summed up in one line, not one per person
    # A sweep's own timing, when it reports one, decides whether it predates an action.
    started = snapshot.taken_at - snapshot.latency if snapshot.taken_at else None

    listed: set[RoomKey] = set()
    for conference in snapshot.conferences:
        key = RoomKey(account, conference.sid)
        listed.add(key)
        if state.is_stale((key, None), started):
            continue
        room = _upsert_room(state, key, conference, now, out, narrate)
        if room is None or room.ended_at is not None:
            continue
        room.dropped_when_listed = snapshot.rooms_dropped
        participants = snapshot.participants.get(conference.sid)
        if participants is not None:
            dropped = snapshot.participants_dropped.get(conference.sid, 0)
            _reconcile_members(state, room, participants, started, now, out, narrate, dropped=dropped)
        recordings = snapshot.recordings.get(conference.sid)
        if recordings is not None and recordings != room.recordings:
            room.recordings = recordings
            out.rooms.update(key)

    # What this account no longer lists has ended, unless it may be one of the records dropped since.
    for key, room in state.rooms.items():
        unlisted = key.account == account and key not in listed and room.ended_at is None
        maybe_dropped = snapshot.rooms_dropped > room.dropped_when_listed
        if unlisted and not maybe_dropped and not state.is_stale((key, None), started):
            state.end_room(room, ENDED, None, now, out)

    if not narrate:
        state.loaded.add(account)
        rooms = [room for key, room in state.rooms.items() if key.account == account]
        out.log.append(Loaded(now, len(rooms), sum(room.participant_count for room in rooms)))
    old = state.health_of(account)
    if old.failures:
        out.log.append(PollRecovered(now, old.failures))
    state.health[account] = FeedHealth(
        last_success_at=snapshot.taken_at or now,
        last_latency=snapshot.latency,
        last_event_at=old.last_event_at,
        partly_read=len(snapshot.problems),
        partly_read_first=snapshot.problems[0] if snapshot.problems else None,
    )
    _tell_new_problems(state, snapshot.problems, now, out)
    # Age and latency move on every poll and faces read them with the status; only a change of
    # state (first data, an error cleared) is news here.
    out.health_changed = old.last_success_at is None or old.failures > 0
    return out.freeze()


# New partly read records named one by one per sweep, at most; the rest are counted in the last line.
TOLD_PER_SWEEP = 5
_TOLD_MEMORY = 10_000  # then forgotten all at once: a server inventing new odd records must not grow us


def _tell_new_problems(state: State, problems: tuple[str, ...], now: float, out: ChangeSet) -> None:
    """Name each odd record in the log once, however many sweeps meet it."""
    told = state.told_problems
    new = [problem for problem in dict.fromkeys(problems) if problem not in told]
    if not new:
        return
    if len(told) + len(new) > _TOLD_MEMORY:
        told.clear()
    told.update(new)
    shown = new[:TOLD_PER_SWEEP]
    for problem in shown[:-1]:
        out.log.append(PartlyRead(now, problem))
    out.log.append(PartlyRead(now, shown[-1], more=len(new) - len(shown)))


def record_error(state: State, account: str, message: str) -> Changes:
    now = state.clock.now()
    old = state.health_of(account)
    out = ChangeSet()
    if message != old.last_error:  # a repeated failure is counted on the status bar, not logged again
        out.log.append(PollFailed(now, message))
    state.health[account] = dataclasses.replace(
        old,
        last_error=message,
        error_since=old.error_since if old.error_since is not None else now,
        failures=old.failures + 1,
    )
    out.health_changed = True
    return out.freeze()


def _upsert_room(
    state: State, key: RoomKey, conference: Conference, now: float, out: ChangeSet, narrate: bool
) -> Room | None:
    room = state.rooms.get(key)
    finished = conference.status is ConferenceStatus.COMPLETED
    if room is None:
        if finished:
            return None  # never shown live; listing it would only add a row to expire
        room = state.new_room(key, conference, now)
        out.rooms.add(key)
        if narrate:
            out.log.append(RoomStarted(now, room.name))
        return room
    if room.ended_at is not None:
        if finished:
            return room
        room.ended_at = room.ended_reason = None  # the same sid is live again
        del state.ended[key]
        room.conference, room.last_changed = conference, now
        out.rooms.update(key)
        out.log.append(RoomResumed(now, room.name))
        return room
    if finished:
        state.end_room(room, end_reason(conference, room), conference, now, out)
    elif conference != room.conference:
        room.conference, room.last_changed = conference, now
        out.rooms.update(key)
    return room


def _reconcile_members(
    state: State,
    room: Room,
    participants: Iterable[Participant],
    started: float | None,
    now: float,
    out: ChangeSet,
    narrate: bool,
    *,
    dropped: int,
) -> None:
    """Add and update the listed callers; those missing from the listing have left, unless the
    listing `dropped` more records unread than it did when it last listed them."""
    key = room.key
    members = room._members
    seen: set[str] = set()
    changed = False
    dropped_when_listed = room._members_dropped_when_listed
    for participant in participants:
        call_sid = participant.call_sid
        seen.add(call_sid)
        if dropped:
            dropped_when_listed[call_sid] = dropped
        elif dropped_when_listed:  # the hot path: a whole listing, and none remembered
            dropped_when_listed.pop(call_sid, None)
        member = members.get(call_sid)
        if member is not None and member.left_at is None and member.participant == participant:
            continue  # the common case: nothing moved
        member_key = (key, call_sid)
        if state.is_stale(member_key, started):
            continue
        if member is None:
            members[call_sid] = Member(participant, joined_at=now, last_changed=now)
            out.members.add(member_key)
            if narrate:
                out.log.append(Joined(now, participant.display_name, room.name))
        elif member.left_at is not None:
            members[call_sid] = Member(participant, member.joined_at, last_changed=now)
            state.departed.pop(member_key, None)
            room._numbering.gone.pop(call_sid, None)
            out.members.update(member_key)
            out.log.append(Joined(now, participant.display_name, room.name, again=True))
        else:
            members[call_sid] = dataclasses.replace(
                member, participant=participant, last_changed=now, speaking=heard(member.speaking, participant)
            )
            out.members.update(member_key)
            if narrate:
                out.log.extend(flag_changes(member.participant, participant, room.name, now))
        changed = True

    gone = room._numbering.gone
    for call_sid, member in members.items():
        if call_sid in seen or state.is_stale((key, call_sid), started):
            continue
        if dropped > dropped_when_listed.get(call_sid, 0):  # it may be one of the records dropped since
            continue
        # Absent from this listing: whatever callback comes late from before it is older news.
        dropped_when_listed.pop(call_sid, None)
        gone[call_sid] = now if started is None else started
        if member.left_at is None:
            state.leave(room, member, LEFT, now, out)
            changed = True

    if changed:
        room.last_changed = now
        out.rooms.update(key)  # its counts moved


def flag_changes(old: Participant, new: Participant, room: str, now: float) -> list[FlagChanged]:
    """Mute and hold changes someone else made."""
    changes = []
    if old.muted != new.muted:
        changes.append(FlagChanged(now, new.display_name, room, "muted", new.muted))
    if old.hold != new.hold:
        changes.append(FlagChanged(now, new.display_name, room, "hold", new.hold))
    return changes
