"""Who is talking in the simulated world: participant-speech-start/-stop, made by traffic only."""

from __future__ import annotations

import dataclasses
import itertools
import statistics
from collections import defaultdict

import pytest

from confmon.clock import FrozenClock
from confmon.model import ConferenceStatus
from confmon.sim.callbacks import callback_params
from confmon.sim.traffic import MAX_SPEAKERS, SPURT, Traffic
from confmon.sim.world import World, WorldEvent

AC = "AC" + "0123456789abcdef" * 2
START = 1_764_000_000.0
SPEECH = ("participant-speech-start", "participant-speech-stop")


def listened(world: World) -> list[WorldEvent]:
    events: list[WorldEvent] = []
    world.listeners.append(events.append)
    return events


def run(world: World, clock: FrozenClock, seconds: float, step: float = 1.0) -> None:
    for _ in range(round(seconds / step)):
        clock.advance(step)
        world.advance(clock.now())


def live_rooms(world: World) -> list[str]:
    return [c.sid for c in world.conferences() if c.status != ConferenceStatus.COMPLETED]


def speech(events: list[WorldEvent]) -> list[WorldEvent]:
    return [e for e in events if e.kind in SPEECH]


@pytest.fixture(scope="module")
def afternoon() -> tuple[World, list[WorldEvent]]:
    """Half an hour of a dozen rooms, advanced second by second, every event heard."""
    clock = FrozenClock(START)
    world = World(7, clock, AC)
    events = listened(world)
    run(world, clock, 1800)
    return world, events


def talking_from_events(events: list[WorldEvent]) -> dict[str, set[str]]:
    """Replay the events, checking each caller's speech is start, stop, start, ... and over before
    they are muted, held or leave, or their room ends; returns who is still talking in each room."""
    talking: dict[str, set[str]] = defaultdict(set)
    for event in events:
        room = talking[event.conference.sid]
        call_sid = event.participant.call_sid if event.participant else None
        if event.kind == "participant-speech-start":
            assert call_sid not in room, "a second start without a stop"
            room.add(call_sid)
            assert len(room) <= MAX_SPEAKERS
        elif event.kind == "participant-speech-stop":
            assert call_sid in room, "a stop without a start"
            room.remove(call_sid)
        elif event.kind in ("participant-mute", "participant-hold", "participant-leave"):
            assert call_sid not in room, f"{event.kind} while still speaking"
        elif event.kind == "conference-end":
            assert not room, "the room ended while someone was speaking"
    return talking


# -- under traffic


def test_traffic_makes_people_take_turns_talking(afternoon: tuple[World, list[WorldEvent]]) -> None:
    _, events = afternoon
    talk = speech(events)
    starts = [e for e in talk if e.kind == "participant-speech-start"]
    assert len(starts) > 1000  # a dozen rooms talking for half an hour
    assert len(talk) > len(events) / 2  # speech is most of what a conference says
    assert len({e.conference.sid for e in starts}) >= 12
    spurts: list[float] = []
    began: dict[str, float] = {}
    for event in talk:
        call_sid = event.participant.call_sid
        if event.kind == "participant-speech-start":
            began[call_sid] = event.timestamp
        else:
            spurts.append(event.timestamp - began.pop(call_sid))
    assert max(spurts) <= SPURT[1]
    assert 3.0 < statistics.median(spurts) < 9.0  # a few seconds each


def test_a_speech_event_carries_its_participant_to_the_callback(afternoon: tuple[World, list[WorldEvent]]) -> None:
    _, events = afternoon
    event = next(e for e in events if e.kind == "participant-speech-start")
    params = callback_params(event)
    assert params["StatusCallbackEvent"] == "participant-speech-start"
    assert params["CallSid"] == event.participant.call_sid
    assert (params["Muted"], params["Hold"]) == ("false", "false")
    assert params["SequenceNumber"] == str(event.sequence_number)


def test_a_muted_or_held_caller_never_speaks(afternoon: tuple[World, list[WorldEvent]]) -> None:
    _, events = afternoon
    assert all(not e.participant.muted and not e.participant.hold for e in speech(events))
    talking_from_events(events)  # nobody is muted or held mid-speech: their speech-stop comes first
    cut_off = [
        b.kind
        for a, b in itertools.pairwise(events)
        if a.kind == "participant-speech-stop" and b.kind in ("participant-mute", "participant-hold")
        and a.participant.call_sid == b.participant.call_sid and a.timestamp == b.timestamp
    ]
    assert "participant-mute" in cut_off  # traffic does mute speakers, and they fall silent then


def test_a_stop_follows_every_start_before_the_caller_leaves(afternoon: tuple[World, list[WorldEvent]]) -> None:
    world, events = afternoon
    talking = talking_from_events(events)
    assert any(e.kind == "conference-end" for e in events) and any(e.kind == "participant-leave" for e in events)
    for sid in live_rooms(world):
        assert world.speaking(sid) == talking.get(sid, set())


def test_one_or_two_speak_at_once_with_pauses_between(afternoon: tuple[World, list[WorldEvent]]) -> None:
    _, events = afternoon
    most = 0
    silent = 0.0
    talking: dict[str, set[str]] = defaultdict(set)
    since: dict[str, float] = {}  # when each room last fell silent
    for event in speech(events):
        room = talking[event.conference.sid]
        if event.kind == "participant-speech-start":
            if not room and event.conference.sid in since:
                silent += event.timestamp - since[event.conference.sid]
            room.add(event.participant.call_sid)
        else:
            room.discard(event.participant.call_sid)
            if not room:
                since[event.conference.sid] = event.timestamp
        most = max(most, len(room))
    assert most == MAX_SPEAKERS == 2  # someone cuts in now and then, never a crowd
    assert silent > 12 * 60  # and rooms fall quiet between turns


def test_the_world_says_who_is_speaking_now() -> None:
    clock = FrozenClock(START)
    world = World(3, clock, AC)
    seen = set()
    for _ in range(120):
        run(world, clock, 1)
        for sid in live_rooms(world):
            speaking = world.speaking(sid)
            present = {p.call_sid: p for p in world.participants(sid)}
            assert speaking <= present.keys() and len(speaking) <= MAX_SPEAKERS
            assert not any(present[c].muted or present[c].hold for c in speaking)
            seen |= speaking
    assert len(seen) > 20


# -- determinism and cost


def test_speech_does_not_depend_on_how_often_the_world_is_advanced() -> None:
    def stream(steps: list[float]) -> tuple[list[WorldEvent], dict[str, set[str]]]:
        clock = FrozenClock(START)
        world = World(9, clock, AC)
        events = listened(world)
        for step in steps:
            clock.advance(step)
            world.advance(clock.now())
        clock.advance(START + 600.0 - clock.now())  # whatever the steps' rounding left
        world.advance(clock.now())
        return events, {sid: world.speaking(sid) for sid in live_rooms(world)}

    one_step = stream([600.0])
    many_steps = stream([0.25, 3.5, 0.01, 7.0] * 55)  # 591.8 s in uneven steps, then the rest
    assert one_step == many_steps
    assert speech(one_step[0]) and any(one_step[1].values())


def test_talk_changes_no_other_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    """Joins, leaves, mutes and holds are those of the same seed without speech; only numbering moves."""

    def world_after(seconds: float) -> tuple[list[tuple], list[tuple]]:
        clock = FrozenClock(START)
        world = World(21, clock, AC)
        events = listened(world)
        run(world, clock, seconds, step=30)
        others = [
            (e.kind, e.conference.sid, e.participant, e.timestamp, e.reason_left)
            for e in events
            if e.kind not in SPEECH
        ]
        state = [(dataclasses.astuple(c), world.participants(c.sid)) for c in world.conferences()]
        return others, state

    talking = world_after(900)
    with monkeypatch.context() as patch:
        patch.setattr(Traffic, "_turn", lambda self, at, sid: None)  # nobody ever takes a turn
        silent = world_after(900)
    assert talking == silent
    assert len(talking[0]) > 300


def test_without_traffic_nobody_speaks() -> None:
    clock = FrozenClock(START)
    world = World(7, clock, AC, traffic=False)
    events = listened(world)
    run(world, clock, 3600, step=60)
    assert all(not world.speaking(sid) for sid in live_rooms(world))
    room = live_rooms(world)[0]
    world.update_participant(room, world.participants(room)[0].call_sid, muted=True)
    world.end_conference(room)
    assert events and not speech(events)


def test_rooms_are_found_with_nobody_speaking() -> None:
    clock = FrozenClock(START)
    world = World(7, clock, AC, target_rooms=200)
    assert all(not world.speaking(sid) for sid in live_rooms(world))
    events = listened(world)
    run(world, clock, 1, step=1)
    assert len(speech(events)) < 200  # the talk picks up over a few seconds, not all at once


# -- API actions on a speaker


def a_speaker(seed: int = 11) -> tuple[World, FrozenClock, str, str, list[WorldEvent]]:
    """A traffic world at the first second someone is speaking: (world, clock, room, call SID, all events)."""
    clock = FrozenClock(START)
    world = World(seed, clock, AC)
    events = listened(world)
    for _ in range(60):
        run(world, clock, 1)
        for sid in live_rooms(world):
            for call_sid in sorted(world.speaking(sid)):
                return world, clock, sid, call_sid, events
    raise AssertionError("nobody spoke in a minute")


@pytest.mark.parametrize(
    ("change", "kind"), [({"muted": True}, "participant-mute"), ({"hold": True}, "participant-hold")]
)
def test_muting_or_holding_a_speaker_stops_their_speech_first(change: dict, kind: str) -> None:
    world, clock, room, speaker, events = a_speaker()
    clock.advance(0.5)  # still within their spurt: it started in the last second and lasts at least SPURT[0]
    world.update_participant(room, speaker, **change)
    mine = [e for e in events if e.participant is not None and e.participant.call_sid == speaker]
    stop, told = mine[-2:]
    assert (stop.kind, told.kind) == ("participant-speech-stop", kind)
    assert told.sequence_number == stop.sequence_number + 1
    assert not stop.participant.muted and not stop.participant.hold  # it stopped before the change
    assert stop.timestamp == told.timestamp == clock.now()
    assert speaker not in world.speaking(room)
    told_at = len(events)
    run(world, clock, 60)  # and, muted or held, they stay silent
    assert not [e for e in speech(events[told_at:]) if e.participant.call_sid == speaker]
    talking_from_events(events)


def test_a_speaker_removed_stops_speaking_before_they_leave() -> None:
    world, clock, room, speaker, events = a_speaker()
    clock.advance(0.5)
    world.remove_participant(room, speaker, reason="kicked")
    mine = [e.kind for e in events if e.participant is not None and e.participant.call_sid == speaker]
    assert mine[-2:] == ["participant-speech-stop", "participant-leave"]


def test_ending_a_room_stops_everyone_speaking_before_anyone_leaves() -> None:
    world, clock, room, _, events = a_speaker()
    clock.advance(0.5)
    world.advance(clock.now())  # the traffic of that half second first
    speaking = world.speaking(room)
    ended_at = len(events)
    world.end_conference(room)
    ending = events[ended_at:]
    stops = [e.participant.call_sid for e in ending if e.kind == "participant-speech-stop"]
    assert speaking and set(stops) == speaking and len(stops) == len(speaking)
    assert [e.kind for e in ending[: len(stops)]] == ["participant-speech-stop"] * len(stops)
    assert {e.kind for e in ending[len(stops) : -1]} == {"participant-leave"}
    assert ending[-1].kind == "conference-end" and world.speaking(room) == set()
    talking_from_events(events)
