"""Seeded background life for the world: the afternoon so far, then rooms that come, change and go.

Determinism: every happening is a scheduled event at an absolute time, and events run in
(time, scheduling order). Each room draws from its own RNG, seeded from (seed, room number),
and the spawner from another, so what happens at time t depends only on the seed, t and the
API actions made before t, never on how often `run_until` is called. An API action changes the
future of the room it touches (and, through the live count, when new rooms open), never the
draws of another room.

A gap too long to replay cheaply (a laptop resumed after hours) is not replayed: `refind` closes
traffic's rooms and finds the account afresh, as `populate` would, from streams seeded by
(seed, the time it resumes at). What is live after such a gap is a function of (seed, t) alone.

Whether a room records is drawn from a stream of its own, seeded by the room's SID, so recording
changes no other draw: the same seed gives the same rooms with or without this feature.

Talk (participant-speech-start/-stop) is the same: who speaks, when and for how long is drawn from
each room's own speech stream, so the joins, leaves, mutes and holds are those of a world without
speech; only the rooms' sequence numbers count the speech events too. A room's talk is one chain of
scheduled turns, not a poll of every caller: one speaker after another with pauses between, now and
then someone cutting in, never more than MAX_SPEAKERS at once. Nobody is speaking when traffic finds
a room, so `populate` tells no speech; rooms opened through the API have no script, so no talk.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random

from confmon.model import ConferenceStatus
from confmon.sim import names
from confmon.sim.rooms import Caller, EndReason, Room, Rooms

TICK_MEAN = 12.0  # seconds between happenings in one room: ~1/s across a dozen rooms
CLOSING_TICK_MEAN = 4.0  # a room that is winding down empties quickly
INITIAL_REMAINING_MEAN = 600.0  # how long the rooms found at start still last, on average
NEW_ROOM_LIFE = (240.0, 1500.0)  # seconds, for rooms opened later
MAX_AGE = 5400.0  # the oldest room found at start is 90 minutes old
HISTORY_SPAN = 3 * 86400.0  # completed rooms from the last three days, for Status=completed

MUTED_SHARE = 0.3
HOLD_SHARE = 0.06
END_ON_EXIT_SHARE = 0.35  # rooms whose host ends the call for everyone on leaving
COACHED_SHARE = 0.1
RECORDED_SHARE = 0.25  # rooms recorded from their start
WAITING_SHARE = 0.08  # rooms still in `init`: callers waiting for their host

SPURT = (1.0, 12.0)  # seconds one caller talks before falling silent
SPEECH_PAUSE_MEAN = 3.0  # seconds of quiet before the next caller talks
CUT_IN_SHARE = 0.15  # turns where the next caller starts before the last has finished
MAX_SPEAKERS = 2  # at once in one room

_HISTORY_REASONS: tuple[tuple[EndReason, int], ...] = (
    (EndReason.LAST_LEFT, 6),
    (EndReason.END_ON_EXIT_LEFT, 3),
    (EndReason.VIA_API, 1),
    (EndReason.LAST_KICKED, 1),
    (EndReason.END_ON_EXIT_KICKED, 1),
)


@dataclass(slots=True)
class _Script:
    """What traffic knows of one of its rooms; rooms opened through the API have none."""

    rng: Random
    closes_at: float  # from then on people only leave
    voices: Random  # the room's speech stream, apart from `rng` so talk changes no other draw
    # Callers in a talk spurt, until its scheduled end. One cut short (muted, held, gone) stays
    # until then: no caller has two spurts pending, and this bounds the room's speakers.
    talking: set[str] = field(default_factory=set)


class Traffic:
    def __init__(self, seed: int, rooms: Rooms, *, target_rooms: int, participants_per_room: tuple[int, int]) -> None:
        self._seed = seed
        self._streams = str(seed)  # what every RNG is seeded from; a `refind` starts new streams
        self._rooms = rooms
        self._target = target_rooms
        self._fewest, self._most = participants_per_room
        self._scripts: dict[str, _Script] = {}
        # (time, scheduling order, what happens then, the room and caller SIDs it happens to)
        self._queue: list[tuple[float, int, Callable[..., None], tuple[str, ...]]] = []
        self._order = 0
        self._opened = 0  # rooms traffic has opened: numbers each room's RNG
        self._spawner = Random(f"{self._streams}/spawn")
        # Spawn often enough to refill ended rooms, so the live count hovers near the target.
        mean_life = sum(NEW_ROOM_LIFE) / 2
        self._spawn_mean = mean_life / (4 * target_rooms) if target_rooms else 0.0

    def populate(self, now: float) -> None:
        """The account as found at `now`: completed rooms from recent days, then live rooms of varied age."""
        history = Random(f"{self._streams}/history")
        for _ in range(self._target // 2):
            self._past_room(history, now)
        for _ in range(self._target):
            self._found_room(now)
        if self._target:
            self._schedule(now + self._spawner.expovariate(1 / self._spawn_mean), self._spawn)

    def run_until(self, now: float) -> None:
        while self._queue and self._queue[0][0] <= now:
            at, _, happen, sids = heapq.heappop(self._queue)
            happen(at, *sids)

    def refind(self, since: float, now: float) -> None:
        """Skip the traffic of (since, now]: a cost in rooms, not in seconds of world time.

        Each room traffic runs ends at its scheduled closing time (held within the gap), as if
        its callers had left then; rooms opened through the API are left alone. Then the account
        is found at `now` as at the start (live rooms of varied age, no new archive), from
        streams seeded by (seed, now), and traffic goes on from there.
        """
        closing = sorted(
            (min(max(script.closes_at, since), now), order, sid)
            for order, (sid, script) in enumerate(self._scripts.items())
        )
        for at, _, sid in closing:
            room = self._rooms.find_sid(sid)
            if room is not None and room.live:
                last = next(reversed(room.callers), None)
                self._rooms.end(room, at, EndReason.LAST_LEFT, last)
        self._scripts.clear()
        self._queue.clear()
        self._streams = f"{self._seed}/refound/{now!r}"
        self._opened = 0
        self._spawner = Random(f"{self._streams}/spawn")
        for _ in range(self._target):
            self._found_room(now)
        if self._target:
            self._schedule(now + self._spawner.expovariate(1 / self._spawn_mean), self._spawn)

    # -- building the afternoon

    def _past_room(self, rng: Random, now: float) -> None:
        created = now - rng.uniform(3600.0, HISTORY_SPAN)
        duration = rng.uniform(300.0, 3600.0)
        room = self._open(rng, created)
        reasons = [r for r, _ in _HISTORY_REASONS]
        weights = [w for _, w in _HISTORY_REASONS]
        reason = rng.choices(reasons, weights)[0]
        ending = None if reason is EndReason.VIA_API else names.new_sid(rng, "CA")
        if room.records:  # the archive has no callers: the recording is credited to a call of its own
            self._rooms.record(room, names.new_sid(Random(f"{room.sid}/recording"), "CA"), created)
        # The archive is bounded (target/2 rooms) and is what Status=completed and date filters
        # show, so it stays; rooms that end later are pruned an hour after (rooms.COMPLETED_RETENTION).
        self._rooms.end(room, created + duration, reason, ending, keep_for=math.inf)

    def _found_room(self, now: float) -> None:
        rng = self._next_rng()
        created = now - rng.uniform(60.0, MAX_AGE)
        room = self._open(rng, created)
        waiting = rng.random() < WAITING_SHARE
        count = rng.randint(self._fewest, self._most)
        joins = [created, *sorted(rng.uniform(created, now) for _ in range(count - 1))]
        if waiting:
            for at in joins:
                self._rooms.join(room, self._guest(rng, room, start=False), at)
        else:
            self._rooms.join(room, self._host(rng, room), joins[0])
            coached = count >= 3 and rng.random() < COACHED_SHARE
            for at in joins[1:-1] if coached else joins[1:]:
                self._rooms.join(room, self._guest(rng, room), at)
            if coached:
                self._rooms.join(room, self._coach(rng, room), joins[-1])
            self._settle(rng, room, now)
        self._adopt(room, rng, closes_at=now + rng.expovariate(1 / INITIAL_REMAINING_MEAN), now=now)

    def _settle(self, rng: Random, room: Room, now: float) -> None:
        """Mutes and holds that happened since people joined."""
        for caller in list(room.callers.values()):
            muted, hold = rng.random() < MUTED_SHARE, rng.random() < HOLD_SHARE
            if muted or hold:
                at = rng.uniform(caller.joined, now)
                self._rooms.update(room, caller, at, muted=muted or None, hold=hold or None)

    # -- what happens later

    def _spawn(self, at: float) -> None:
        if self._rooms.live_count < self._target:
            rng = self._next_rng()
            room = self._open(rng, at)
            if rng.random() < WAITING_SHARE:
                self._rooms.join(room, self._guest(rng, room, start=False), at)
            else:
                self._rooms.join(room, self._host(rng, room), at)
            self._adopt(room, rng, closes_at=at + rng.uniform(*NEW_ROOM_LIFE), now=at)
        self._schedule(at + self._spawner.expovariate(1 / self._spawn_mean), self._spawn)

    def _tick(self, at: float, sid: str) -> None:
        script = self._scripts[sid]
        room = self._rooms.find_sid(sid)
        if room is None or not room.live:  # ended through the API (and perhaps pruned since): its script stops
            del self._scripts[sid]
            return
        rng, callers = script.rng, list(room.callers.values())
        closing = at >= script.closes_at
        if room.status is ConferenceStatus.INIT:
            self._rooms.join(room, self._host(rng, room), at)
        elif closing:
            self._wind_down(rng, room, callers, at)
        else:
            self._happen(rng, room, callers, at)
        if room.live:
            self._schedule(at + rng.expovariate(1 / (CLOSING_TICK_MEAN if closing else TICK_MEAN)), self._tick, sid)
        else:
            del self._scripts[room.sid]

    def _wind_down(self, rng: Random, room: Room, callers: list[Caller], at: float) -> None:
        hosts = [c for c in callers if c.end_conference_on_exit]
        leaver = hosts[0] if hosts and rng.random() < 0.3 else rng.choice(callers)
        self._rooms.leave(room, leaver, at, kicked=rng.random() < 0.1)

    def _happen(self, rng: Random, room: Room, callers: list[Caller], at: float) -> None:
        count = len(callers)
        join = 0 if count >= self._most else 3 if count < self._fewest else 1
        leave = 1 if count > 1 and count >= self._fewest else 0
        choice = rng.choices(("join", "leave", "mute", "hold"), (join, leave, 4, 1))[0]
        if choice == "join":
            self._rooms.join(room, self._guest(rng, room), at)
            return
        # A host with end-on-exit stays until the room winds down, or the room would end early.
        subject = rng.choice(callers)
        if choice == "leave":
            if not subject.end_conference_on_exit:
                self._rooms.leave(room, subject, at, kicked=rng.random() < 0.05)
        elif choice == "mute":
            # Unmute whoever is picked muted; mute the unmuted less eagerly: about 30% stay muted.
            if subject.muted or rng.random() < MUTED_SHARE / (1 - MUTED_SHARE):
                self._rooms.update(room, subject, at, muted=not subject.muted)
        elif subject.hold or rng.random() < 0.1:
            self._rooms.update(room, subject, at, hold=not subject.hold)

    # -- talk

    def _turn(self, at: float, sid: str) -> None:
        """A pause is over: someone the room hears, and not already talking, takes a turn."""
        script, room = self._scripts.get(sid), self._rooms.find_sid(sid)
        if script is None or room is None or not room.live:  # the room has ended, and its talk with it
            return
        voices = script.voices
        ready = (
            [c for c in room.callers.values() if not (c.muted or c.hold or c.call_sid in script.talking)]
            if room.status is ConferenceStatus.IN_PROGRESS and len(script.talking) < MAX_SPEAKERS
            else []
        )
        if not ready:  # not started yet, everyone muted or held, or MAX_SPEAKERS talking: wait a while
            self._schedule(at + voices.expovariate(1 / SPEECH_PAUSE_MEAN), self._turn, sid)
            return
        speaker = voices.choice(ready)
        ends = at + voices.uniform(*SPURT)
        script.talking.add(speaker.call_sid)
        self._rooms.start_speaking(room, speaker, at)
        self._schedule(ends, self._end_spurt, sid, speaker.call_sid)
        # Mostly the next turn comes after a pause once this one is over; now and then someone cuts in.
        cut_in = voices.random() < CUT_IN_SHARE
        next_turn = voices.uniform(at, ends) if cut_in else ends + voices.expovariate(1 / SPEECH_PAUSE_MEAN)
        self._schedule(next_turn, self._turn, sid)

    def _end_spurt(self, at: float, sid: str, call_sid: str) -> None:
        script = self._scripts.get(sid)
        if script is None:  # the room has ended, and everyone in it fell silent then
            return
        script.talking.discard(call_sid)
        room = self._rooms.find_sid(sid)
        if room is None:  # pruned
            return
        caller = room.callers.get(call_sid)
        if caller is not None:  # still there; perhaps already silenced by a mute or hold
            self._rooms.stop_speaking(room, caller, at)

    # -- helpers

    def _open(self, rng: Random, at: float) -> Room:
        sid = names.new_sid(rng, "CF")
        records = Random(f"{sid}/records").random() < RECORDED_SHARE
        return self._rooms.open(sid, self._free_name(rng), names.region(rng), at, records=records)

    def _adopt(self, room: Room, rng: Random, *, closes_at: float, now: float) -> None:
        voices = Random(f"{self._streams}/speech/{room.sid}")
        self._scripts[room.sid] = _Script(rng, closes_at, voices)
        self._schedule(now + rng.expovariate(1 / TICK_MEAN), self._tick, room.sid)
        self._schedule(now + voices.expovariate(1 / SPEECH_PAUSE_MEAN), self._turn, room.sid)

    def _schedule(self, at: float, happen: Callable[..., None], *sids: str) -> None:
        heapq.heappush(self._queue, (at, self._order, happen, sids))
        self._order += 1

    def _next_rng(self) -> Random:
        self._opened += 1
        return Random(f"{self._streams}/room/{self._opened}")

    def _free_name(self, rng: Random) -> str:
        name = names.room_name(rng)
        while self._rooms.live_named(name) is not None:
            name = f"{names.room_name(rng)} ({rng.randint(2, 9)})"
        return name

    # Everyone traffic brings in dialled the room's number, and the caller-ID lookup names some of them.
    # The draws are made in the order they always were, so a seed gives the callers it always gave.

    def _host(self, rng: Random, room: Room) -> Caller:
        label = self._free_label(rng, room, rng.choice(names.HOST_LABELS))
        call_sid, from_ = names.new_sid(rng, "CA"), names.phone_number(rng)
        return Caller(
            call_sid=call_sid,
            from_=from_,
            to=names.dial_in_number(room.sid),
            caller_name=names.caller_name(call_sid, from_),
            label=label,
            end_conference_on_exit=rng.random() < END_ON_EXIT_SHARE,
        )

    def _guest(self, rng: Random, room: Room, *, start: bool = True) -> Caller:
        label, from_ = names.caller(rng)
        call_sid = names.new_sid(rng, "CA")
        return Caller(
            call_sid=call_sid,
            from_=from_,
            to=names.dial_in_number(room.sid),
            caller_name=names.caller_name(call_sid, from_, label),
            label=self._free_label(rng, room, label),
            muted=rng.random() < MUTED_SHARE * 0.5,  # some join muted (listeners), more mute later
            start_conference_on_enter=start,
        )

    def _coach(self, rng: Random, room: Room) -> Caller:
        """A supervisor who whispers to one of the guests, heard by nobody else."""
        coached = rng.choice([c for c in room.callers.values() if not c.end_conference_on_exit])
        call_sid, from_ = names.new_sid(rng, "CA"), names.phone_number(rng)
        return Caller(
            call_sid=call_sid,
            from_=from_,
            to=names.dial_in_number(room.sid),
            caller_name=names.caller_name(call_sid, from_),
            label=self._free_label(rng, room, rng.choice(names.COACH_LABELS)),
            coaching=True,
            call_sid_to_coach=coached.call_sid,
        )

    @staticmethod
    def _free_label(rng: Random, room: Room, label: str) -> str:
        while room.find(label) is not None:
            label = f"{label}-{rng.randint(2, 99)}"
        return label
