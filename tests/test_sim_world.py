"""The simulated world on its own: Twilio's conference rules, seeded traffic, determinism, scale."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections import Counter

import pytest

from confmon.clock import FrozenClock
from confmon.model import ConferenceStatus, ParticipantStatus
from confmon.sim import names
from confmon.sim.rooms import COMPLETED_RETENTION, Rooms
from confmon.sim.world import MAX_REPLAY, Invalid, NotFound, World, WorldEvent

AC = "AC" + "0123456789abcdef" * 2
FROM, TO = "+15005550006", "+15005550001"


@pytest.fixture
def world(clock: FrozenClock) -> World:
    return World(5, clock, AC, traffic=False)


def state(world: World) -> list[tuple]:
    """Everything observable, for comparing two worlds."""
    return [
        (dataclasses.astuple(c), [dataclasses.astuple(p) for p in world.participants(c.sid)])
        for c in world.conferences()
    ]


def live_rooms(world: World) -> list:
    return [c for c in world.conferences() if c.status != ConferenceStatus.COMPLETED]


# -- Twilio's rules


def test_a_friendly_name_has_one_live_room_and_may_be_reused_once_it_ends(world: World) -> None:
    first = world.create_participant("Launch review", from_=FROM, to=TO, label="ann")
    second = world.create_participant("Launch review", from_=FROM, to=TO, label="ben")
    assert second.conference_sid == first.conference_sid
    world.end_conference(first.conference_sid)
    again = world.create_participant("Launch review", from_=FROM, to=TO)
    assert again.conference_sid != first.conference_sid
    named = [c for c in world.conferences() if c.friendly_name == "Launch review"]
    assert sorted(c.status for c in named) == [ConferenceStatus.COMPLETED, ConferenceStatus.IN_PROGRESS]


def test_a_room_waits_in_init_until_someone_who_starts_it_joins(world: World) -> None:
    waiting = world.create_participant("Webinar", from_=FROM, to=TO, start_conference_on_enter=False)
    assert world.conference(waiting.conference_sid).status == ConferenceStatus.INIT
    world.create_participant(waiting.conference_sid, from_=FROM, to=TO, label="presenter")
    assert world.conference(waiting.conference_sid).status == ConferenceStatus.IN_PROGRESS


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("left", "participant-with-end-conference-on-exit-left"),
        ("kicked", "participant-with-end-conference-on-exit-kicked"),
    ],
)
def test_an_end_on_exit_participant_leaving_ends_the_room(world: World, how: str, reason: str) -> None:
    host = world.create_participant("Standup", from_=FROM, to=TO, label="host", end_conference_on_exit=True)
    world.create_participant("Standup", from_=FROM, to=TO, label="guest")
    world.remove_participant(host.conference_sid, "host", reason=how)
    room = world.conference(host.conference_sid)
    assert room.status == ConferenceStatus.COMPLETED
    assert room.reason_conference_ended == reason
    assert room.call_sid_ending_conference == host.call_sid
    assert world.participants(host.conference_sid) == []  # the guest went with the room


@pytest.mark.parametrize(("how", "reason"), [("left", "last-participant-left"), ("kicked", "last-participant-kicked")])
def test_the_last_participant_leaving_ends_the_room(world: World, how: str, reason: str) -> None:
    a = world.create_participant("Pair", from_=FROM, to=TO, label="a")
    b = world.create_participant("Pair", from_=FROM, to=TO, label="b")
    world.remove_participant(a.conference_sid, a.call_sid, reason=how)
    assert world.conference(a.conference_sid).status == ConferenceStatus.IN_PROGRESS
    world.remove_participant(a.conference_sid, "b", reason=how)
    room = world.conference(a.conference_sid)
    assert (room.status, room.reason_conference_ended, room.call_sid_ending_conference) == (
        ConferenceStatus.COMPLETED,
        reason,
        b.call_sid,
    )


def test_ending_through_the_api_keeps_the_room_and_drops_everyone(world: World, clock: FrozenClock) -> None:
    room = live_rooms(world)[0]
    someone = world.participants(room.sid)[0]
    clock.advance(30)
    ended = world.end_conference(room.sid)
    assert ended.status == ConferenceStatus.COMPLETED
    assert ended.reason_conference_ended == "conference-ended-via-api"
    assert ended.call_sid_ending_conference is None
    assert ended.date_updated.timestamp() == clock.now()
    assert world.conference(room.sid) == ended
    assert world.participants(room.sid) == []
    with pytest.raises(NotFound):
        world.participant(room.sid, someone.call_sid)
    assert world.end_conference(room.sid) == ended  # ending again changes nothing
    with pytest.raises(Invalid):
        world.create_participant(room.sid, from_=FROM, to=TO)


def test_a_kicked_participant_is_gone(world: World) -> None:
    room = live_rooms(world)[0]
    gone = world.participants(room.sid)[-1]
    world.remove_participant(room.sid, gone.call_sid)
    with pytest.raises(NotFound):
        world.participant(room.sid, gone.call_sid)
    with pytest.raises(NotFound):
        world.update_participant(room.sid, gone.call_sid, muted=True)
    with pytest.raises(NotFound):
        world.remove_participant(room.sid, gone.call_sid)


def test_labels_are_unique_per_room_and_address_participants(world: World) -> None:
    p = world.create_participant("Sales weekly sync (x)", from_=FROM, to=TO, label="night shift lead")
    with pytest.raises(Invalid) as duplicate:
        world.create_participant(p.conference_sid, from_=FROM, to=TO, label="night shift lead")
    assert duplicate.value.code == 16025
    assert world.participant(p.conference_sid, "night shift lead").call_sid == p.call_sid
    assert world.update_participant(p.conference_sid, "night shift lead", muted=True).muted
    other = world.create_participant("Another room", from_=FROM, to=TO, label="night shift lead")
    assert other.conference_sid != p.conference_sid


def test_create_needs_from_and_to_and_a_real_call_to_coach(world: World) -> None:
    with pytest.raises(Invalid) as no_to:
        world.create_participant("Room", from_=FROM, to="")
    assert no_to.value.code == 21201
    with pytest.raises(Invalid) as no_from:
        world.create_participant("Room", from_="", to=TO)
    assert no_from.value.code == 21213
    with pytest.raises(Invalid):
        world.create_participant("Room", from_=FROM, to=TO, coaching=True)
    with pytest.raises(NotFound):
        world.create_participant("CF" + "0" * 32, from_=FROM, to=TO)
    assert all(c.friendly_name != "Room" for c in world.conferences())  # nothing half-made

    agent = world.create_participant("Room", from_=FROM, to=TO, label="agent")
    coach = world.create_participant("Room", from_=FROM, to=TO, call_sid_to_coach=agent.call_sid)
    assert (coach.coaching, coach.call_sid_to_coach) == (True, agent.call_sid)  # coaching implied
    stopped = world.update_participant(agent.conference_sid, coach.call_sid, coaching=False)
    assert (stopped.coaching, stopped.call_sid_to_coach) == (False, None)


def test_every_change_is_an_event_numbered_per_room(world: World, clock: FrozenClock) -> None:
    events: list[WorldEvent] = []
    world.listeners.append(events.append)
    clock.advance(10)
    p = world.create_participant("Events", from_=FROM, to=TO, label="solo")
    world.update_participant(p.conference_sid, "solo", muted=True, hold=True)
    world.update_participant(p.conference_sid, "solo", muted=True)  # no change, no event
    world.update_participant(p.conference_sid, "solo", end_conference_on_exit=True)
    world.remove_participant(p.conference_sid, "solo", reason="left")
    assert [e.kind for e in events] == [
        "participant-join",
        "conference-start",
        "participant-mute",
        "participant-hold",
        "participant-modify",
        "participant-leave",
        "conference-end",
    ]
    assert [e.sequence_number for e in events] == list(range(1, 8))
    assert {e.timestamp for e in events} == {clock.now()}
    assert events[-2].participant.status == ParticipantStatus.COMPLETE
    assert events[-1].conference.reason_conference_ended == "participant-with-end-conference-on-exit-left"


@pytest.mark.parametrize("check", [names.is_conference_sid, names.is_call_sid])
def test_a_sid_is_the_whole_string(check) -> None:
    prefix = "CF" if check is names.is_conference_sid else "CA"
    sid = prefix + "0123456789abcdef" * 2
    assert check(sid)
    assert not check(sid + "\n") and not check(sid + "0") and not check(" " + sid)


# -- the seeded world


def test_the_same_seed_and_clock_give_the_same_world() -> None:
    a, b = World(42, FrozenClock(), AC), World(42, FrozenClock(), AC)
    assert state(a) == state(b)
    assert state(World(43, FrozenClock(), AC)) != state(a)


def test_traffic_does_not_depend_on_how_often_the_world_is_advanced() -> None:
    one_step, many_steps = FrozenClock(), FrozenClock()
    a, b = World(9, one_step, AC), World(9, many_steps, AC)
    for _ in range(100):
        many_steps.advance(9.0)
        b.advance(many_steps.now())
    one_step.advance(900.0)
    a.advance(one_step.now())
    assert state(a) == state(b)
    assert state(a) != state(World(9, FrozenClock(), AC))  # and something did happen


def test_api_actions_replay_identically_at_the_same_times() -> None:
    def run(steps: int) -> World:
        clock = FrozenClock()
        world = World(21, clock, AC)
        for minute in range(1, 6):
            for _ in range(steps):
                clock.advance(60 / steps)
                world.advance(clock.now())
            room = live_rooms(world)[0]
            world.update_participant(room.sid, world.participants(room.sid)[0].call_sid, hold=True)
            world.create_participant(f"Ad hoc {minute}", from_=FROM, to=TO)
        return world

    assert state(run(1)) == state(run(12))


def test_an_api_action_leaves_other_rooms_scripts_alone() -> None:
    quiet, touched = World(3, FrozenClock(), AC), World(3, FrozenClock(), AC)
    target = live_rooms(touched)[0]
    touched.update_participant(target.sid, touched.participants(target.sid)[0].call_sid, muted=True, hold=True)
    for world in (quiet, touched):
        world.advance(world.clock.now() + 300)
    others = [c.sid for c in live_rooms(World(3, FrozenClock(), AC)) if c.sid != target.sid]
    for sid in others:
        assert quiet.conference(sid) == touched.conference(sid)
        assert quiet.participants(sid) == touched.participants(sid)


def test_without_traffic_only_the_api_changes_the_world(clock: FrozenClock) -> None:
    static, moving = World(8, clock, AC, traffic=False), World(8, FrozenClock(), AC)
    assert state(static) == state(moving)  # the same afternoon either way
    before = state(static)
    clock.advance(3600)
    static.advance(clock.now())
    assert state(static) == before


def test_the_afternoon_looks_like_a_noc(clock: FrozenClock) -> None:
    world = World(7, clock, AC)
    live = live_rooms(world)
    people = [p for c in live for p in world.participants(c.sid)]
    assert len(live) == 12
    assert 2 * 12 <= len(people) <= 9 * 12
    assert 0.15 <= sum(p.muted for p in people) / len(people) <= 0.45
    assert any(p.hold for p in people)
    assert any(p.end_conference_on_exit for p in people)
    ages = [clock.now() - c.date_created.timestamp() for c in live]
    assert min(ages) < 1800 < max(ages)  # rooms of varied age
    completed = [c for c in world.conferences() if c.status == ConferenceStatus.COMPLETED]
    assert len({c.reason_conference_ended for c in completed}) >= 2
    assert len({c.region for c in world.conferences()}) >= 3


def test_with_a_live_clock_something_happens_every_second_or_two(clock: FrozenClock) -> None:
    world = World(7, clock, AC)
    events: list[WorldEvent] = []
    world.listeners.append(events.append)
    live_counts = []
    for _ in range(1800):
        clock.advance(1)
        world.advance(clock.now())
        live_counts.append(len(live_rooms(world)))
    kinds = Counter(e.kind for e in events)
    assert len(events) >= 1800 / 2  # one every two seconds at least, on average
    assert {"conference-start", "conference-end", "participant-join", "participant-leave"} <= set(kinds)
    assert {"participant-mute", "participant-unmute", "participant-hold", "participant-unhold"} <= set(kinds)
    gaps = [b.timestamp - a.timestamp for a, b in itertools.pairwise(events)]
    assert max(gaps) < 30
    # The room count hovers at its target, dipping a little when several rooms end close together.
    assert max(live_counts) == 12 and sorted(live_counts)[len(live_counts) // 2] >= 11
    assert min(live_counts) >= 6


def test_completed_rooms_are_pruned_an_hour_after_they_end_and_nothing_else_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def run(*, prune: bool) -> World:
        clock = FrozenClock()
        world = World(7, clock, AC)
        with monkeypatch.context() as patch:
            if not prune:
                patch.setattr(Rooms, "prune", lambda self, now: None)
            for minute in range(3 * 60):
                clock.advance(60)
                world.advance(clock.now())
                if minute == 90:  # an API action on the way: its room is pruned like any other
                    world.end_conference(live_rooms(world)[0].sid)
        return world

    started = FrozenClock().now()
    pruned, kept = run(prune=True), run(prune=False)
    cutoff = pruned.clock.now() - COMPLETED_RETENTION

    def listed(c) -> bool:  # live, in the archive found at the start, or ended within the hour
        ended_while_running = c.status == ConferenceStatus.COMPLETED and c.date_updated.timestamp() > started
        return not ended_while_running or c.date_updated.timestamp() > cutoff

    everything = kept.conferences()
    assert sum(not listed(c) for c in everything) > 50  # three hours of a dozen rooms turning over
    assert pruned.conferences() == [c for c in everything if listed(c)]
    assert state(pruned) == [entry for entry, c in zip(state(kept), everything, strict=True) if listed(c)]
    assert len(pruned.conferences()) < len(everything) / 2


def test_a_gap_too_long_to_replay_is_skipped_and_the_world_found_afresh() -> None:
    """Six hours missed (a laptop resumed): a cost in rooms, not hours; what is live depends on (seed, t) only."""

    def resumed(after: float) -> tuple[World, list[WorldEvent]]:
        clock = FrozenClock()
        world = World(7, clock, AC)
        clock.advance(after)  # some ordinary life first, or none
        world.advance(clock.now())
        events: list[WorldEvent] = []
        world.listeners.append(events.append)
        clock.advance(6 * 3600 - after)
        world.advance(clock.now())
        return world, events

    (a, events), (b, _) = resumed(0), resumed(600)
    assert MAX_REPLAY < 6 * 3600 - 600
    assert len(events) < 1000  # replaying six hours of a dozen rooms is ~20,000 events
    assert len(live_rooms(a)) == 12
    assert [(c, a.participants(c.sid)) for c in live_rooms(a)] == [(c, b.participants(c.sid)) for c in live_rooms(b)]
    now = a.clock.now()
    assert all(now - c.date_created.timestamp() <= 5400 for c in live_rooms(a))  # rooms of varied age, as at start
    ended = [e for e in events if e.kind == "conference-end"]
    assert len(ended) == 12 and all(e.conference.reason_conference_ended == "last-participant-left" for e in ended)

    skipped = len(events)
    for _ in range(300):  # and life goes on from there
        a.clock.advance(1)
        a.advance(a.clock.now())
    later = events[skipped:]
    assert len(later) >= 100 and all(e.timestamp > now for e in later)


def test_a_thousand_rooms_of_ten_build_quickly() -> None:
    started = time.perf_counter()
    world = World(1, FrozenClock(), AC, target_rooms=1000, participants_per_room=(10, 10), traffic=False)
    elapsed = time.perf_counter() - started
    live = live_rooms(world)
    assert len(live) == 1000
    assert sum(len(world.participants(c.sid)) for c in live) == 10_000
    print(f"\n1,000 rooms x 10 participants built in {elapsed * 1000:.0f} ms")
