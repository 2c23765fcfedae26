"""The simulator's status callbacks over real loopback HTTP: the documented form, Twilio's signature
(checked with the `twilio` SDK's RequestValidator as the oracle), and seeded delivery faults."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from twilio.request_validator import RequestValidator

from confmon.clock import FrozenClock
from confmon.sim.callbacks import CallbackSender, callback_params, rfc2822, sign
from confmon.sim.world import World, WorldEvent
from tests.callback_vectors import CONFERENCE_MUTE_FORM
from tests.waiting import wait_until

AC = "AC" + "0123456789abcdef" * 2
TOKEN = "sim-auth-token-0123456789"
FROM, TO = "+15005550006", "+15005550001"
PATH = "/confmon/events"

COMMON = {"AccountSid", "ConferenceSid", "FriendlyName", "SequenceNumber", "Timestamp", "StatusCallbackEvent"}
PARTICIPANT = {"CallSid", "Muted", "Hold", "Coaching", "EndConferenceOnExit", "StartConferenceOnEnter"}


@dataclass
class Delivery:
    url: str
    params: dict[str, str]
    headers: dict[str, str]

    @property
    def key(self) -> tuple[str, int]:
        return self.params["ConferenceSid"], int(self.params["SequenceNumber"])


@dataclass
class Receiver:
    url: str = ""
    got: list[Delivery] = field(default_factory=list)
    status: int = 204


@asynccontextmanager
async def receiving(status: int = 204) -> AsyncIterator[Receiver]:
    receiver = Receiver(status=status)

    async def handle(request: web.Request) -> web.Response:
        form = await request.post()
        receiver.got.append(Delivery(str(request.url), {k: str(v) for k, v in form.items()}, dict(request.headers)))
        return web.Response(status=receiver.status)

    app = web.Application()
    app.router.add_post(PATH, handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}{PATH}"
    try:
        yield receiver
    finally:
        await runner.cleanup()


@asynccontextmanager
async def sending(world: World, url: str, **options) -> AsyncIterator[CallbackSender]:
    sender = CallbackSender(world, url, TOKEN, **options)
    await sender.start()
    try:
        yield sender
    finally:
        await sender.stop()


def heard(world: World) -> list[WorldEvent]:
    events: list[WorldEvent] = []
    world.listeners.append(events.append)
    return events


def quiet_world() -> tuple[World, FrozenClock]:
    clock = FrozenClock()
    return World(5, clock, AC, traffic=False), clock


def busy_stream(world: World, clock: FrozenClock, seconds: float = 900.0) -> None:
    """Let seeded traffic run: rooms join, mute, hold, leave and end."""
    clock.advance(seconds)
    world.advance(clock.now())


def every_world_kind(world: World, clock: FrozenClock) -> str:
    """One room through every kind the world emits; returns its SID."""
    clock.advance(5)
    host = world.create_participant("Standup", from_=FROM, to=TO, label="host", end_conference_on_exit=True)
    sid = host.conference_sid
    world.create_participant(sid, from_=FROM, to=TO, label="guest", start_conference_on_enter=False)
    world.create_participant(sid, from_=FROM, to=TO, label="quiet")
    world.update_participant(sid, "guest", muted=True, hold=True)
    world.update_participant(sid, "guest", muted=False, hold=False)
    world.update_participant(sid, "guest", coaching=True, call_sid_to_coach=host.call_sid)
    world.announce(sid, "https://example.com/room.mp3")
    world.announce(sid, "https://example.com/you.mp3", call_sid_or_label="guest")
    world.remove_participant(sid, "guest", reason="kicked")
    clock.advance(1)
    world.remove_participant(sid, "host", reason="left")  # end-on-exit: ends it, "quiet" drops out
    return sid


# -- the form


async def test_every_kind_the_world_emits_arrives_with_the_documented_parameters() -> None:
    world, clock = quiet_world()
    events = heard(world)
    async with receiving() as receiver, sending(world, receiver.url, concurrency=1) as sender:
        sid = every_world_kind(world, clock)
        await sender.drain()
    got = receiver.got
    assert [d.params["StatusCallbackEvent"] for d in got] == [e.kind for e in events]
    assert {d.params["StatusCallbackEvent"] for d in got} == {
        "participant-join", "conference-start", "participant-mute", "participant-hold", "participant-unmute",
        "participant-unhold", "participant-modify", "announcement-end", "participant-leave", "conference-end",
    }
    assert [int(d.params["SequenceNumber"]) for d in got] == list(range(1, len(events) + 1))
    assert (sender.stats.heard, sender.stats.sent, sender.stats.failed) == (len(events), len(events), 0)
    by_label = {e.participant.label: e.participant.call_sid for e in events if e.participant}
    for delivery, event in zip(got, events, strict=True):
        p, kind = delivery.params, event.kind
        assert delivery.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
        assert (p["AccountSid"], p["ConferenceSid"], p["FriendlyName"]) == (AC, sid, "Standup")
        assert p["Timestamp"] == rfc2822(event.timestamp)
        expected = set(COMMON)
        if event.participant is not None:
            expected |= PARTICIPANT | {"ParticipantLabel"}
            assert p["CallSid"] == event.participant.call_sid
            assert p["ParticipantLabel"] == event.participant.label
            assert p["Muted"] == str(event.participant.muted).lower()
            assert p["Hold"] == str(event.participant.hold).lower()
        if kind == "participant-leave":
            expected |= {"ReasonParticipantLeft", "ParticipantCallStatus"}
            assert p["ParticipantCallStatus"] == "completed"
        if kind == "conference-end":
            expected |= {
                "ReasonConferenceEnded", "Reason", "CallSidEndingConference", "ParticipantLabelEndingConference"
            }
        if kind == "announcement-end":
            expected |= {"AnnounceUrl"}
        assert set(p) == expected, kind
    mute, unmute = (
        next(d.params for d in got if d.params["StatusCallbackEvent"] == k)
        for k in ("participant-mute", "participant-unmute")
    )
    assert (mute["Muted"], unmute["Muted"]) == ("true", "false")
    modify = next(d.params for d in got if d.params["StatusCallbackEvent"] == "participant-modify")
    assert modify["Coaching"] == "true"
    room, personal = (d.params for d in got if d.params["StatusCallbackEvent"] == "announcement-end")
    assert ("CallSid" not in room, room["AnnounceUrl"]) == (True, "https://example.com/room.mp3")
    assert (personal["ParticipantLabel"], personal["AnnounceUrl"]) == ("guest", "https://example.com/you.mp3")
    leaves = {
        d.params["ParticipantLabel"]: d.params["ReasonParticipantLeft"]
        for d in got
        if d.params["StatusCallbackEvent"] == "participant-leave"
    }
    assert leaves == {
        "guest": "participant_updated_via_api",  # kicked through the API
        "host": "participant_hung_up",
        "quiet": "moderator_ended_conference",  # the host's end-on-exit ended it for them
    }
    end = got[-1].params
    assert end["ReasonConferenceEnded"] == "participant-with-end-conference-on-exit-left"
    assert (end["CallSidEndingConference"], end["ParticipantLabelEndingConference"]) == (by_label["host"], "host")


async def test_speech_and_announcement_failure_have_their_form_too() -> None:
    """The world does not emit these yet: fed to the listener by hand, as the world would."""
    world, clock = quiet_world()
    events = heard(world)
    clock.advance(1)
    world.create_participant("Talk", from_=FROM, to=TO, label="alice")
    join = events[0]
    kinds = ["participant-speech-start", "participant-speech-stop", "announcement-fail"]
    async with receiving() as receiver, sending(world, receiver.url, concurrency=1) as sender:
        for n, kind in enumerate(kinds, start=10):
            sender.listen(dataclasses.replace(join, kind=kind, sequence_number=n))
        await sender.drain()
    got = {d.params["StatusCallbackEvent"]: d.params for d in receiver.got}
    assert list(got) == kinds
    for kind in kinds:
        assert COMMON | PARTICIPANT | {"ParticipantLabel"} <= set(got[kind])
    assert got["announcement-fail"]["ReasonAnnouncementFailed"]
    assert got["participant-speech-stop"]["SequenceNumber"] == "11"


def test_timestamps_are_rfc_2822_as_twilio_writes_them() -> None:
    assert rfc2822(1496350112.9) == "Thu, 1 Jun 2017 20:48:32 +0000"
    assert rfc2822(1_764_000_000.0) == "Mon, 24 Nov 2025 16:00:00 +0000"


# -- the signature


def test_signing_matches_the_published_vectors_and_the_sdk() -> None:
    worked = {
        "CallSid": "CA1234567890ABCDE", "Caller": "+14158675310", "Digits": "1234",
        "From": "+14158675310", "To": "+18005551212",
    }
    assert sign("12345", "https://example.com/myapp.php?foo=1&bar=2", worked) == "L/OH5YylLD5NRKLltdqwSvS0BnU="
    conference = CONFERENCE_MUTE_FORM
    url = "https://confmon.example.com/twilio/conference-events"
    assert sign("12345", url, conference) == "pzeuIlr9nkTpybpjqv5IvakHuqc="
    assert sign("12345", url, conference) == RequestValidator("12345").compute_signature(url, conference)


async def test_every_callback_is_signed_for_the_url_it_was_posted_to() -> None:
    world, clock = quiet_world()
    oracle, wrong = RequestValidator(TOKEN), RequestValidator(TOKEN + "x")
    async with receiving() as receiver:
        url = receiver.url + "?room=1&x=a%20b"
        async with sending(world, url + "#rc=3&rp=all") as sender:  # a fragment is neither sent nor signed
            every_world_kind(world, clock)
            await sender.drain()
    assert len(receiver.got) == sender.stats.sent > 10
    for delivery in receiver.got:
        assert delivery.url == url
        signature = delivery.headers["X-Twilio-Signature"]
        assert oracle.validate(url, delivery.params, signature)
        assert not wrong.validate(url, delivery.params, signature)
        assert not oracle.validate(url, {**delivery.params, "Muted": "maybe"}, signature)
        assert delivery.headers["I-Twilio-Idempotency-Token"]


async def test_a_public_url_can_be_signed_while_posting_to_loopback() -> None:
    world, clock = quiet_world()
    public = "https://example.test/confmon/events"
    async with receiving() as receiver, sending(world, receiver.url, sign_url=public) as sender:
        every_world_kind(world, clock)
        await sender.drain()
    oracle = RequestValidator(TOKEN)
    assert receiver.got
    for delivery in receiver.got:
        signature = delivery.headers["X-Twilio-Signature"]
        assert oracle.validate(public, delivery.params, signature)
        assert oracle.validate("https://example.test:443/confmon/events", delivery.params, signature)
        assert not oracle.validate(receiver.url, delivery.params, signature)


# -- a world action


async def test_a_mute_through_the_world_is_a_participant_mute_callback_with_its_sequence_number() -> None:
    clock = FrozenClock()
    world = World(11, clock, AC)
    busy_stream(world, clock, 60)
    events = heard(world)
    room = next(c for c in world.conferences() if c.status == "in-progress")
    victim = next(p for p in world.participants(room.sid) if not p.muted)
    async with receiving() as receiver, sending(world, receiver.url, events={"mute"}) as sender:
        world.update_participant(room.sid, victim.call_sid, muted=True)
        await sender.drain()
    (event,) = [e for e in events if e.kind == "participant-mute" and e.participant.call_sid == victim.call_sid]
    (delivery,) = [d for d in receiver.got if d.params["CallSid"] == victim.call_sid]
    assert delivery.params["StatusCallbackEvent"] == "participant-mute"
    assert delivery.params["Muted"] == "true"
    assert delivery.key == (room.sid, event.sequence_number)
    assert event.sequence_number > 1  # numbered after all the room's earlier life


async def test_only_the_subscribed_events_are_sent() -> None:
    world, clock = quiet_world()
    async with receiving() as receiver, sending(world, receiver.url, events={"mute", "conference-end"}) as sender:
        every_world_kind(world, clock)
        await sender.drain()
    assert sorted(d.params["StatusCallbackEvent"] for d in receiver.got) == [
        "conference-end", "participant-mute", "participant-unmute",
    ]
    with pytest.raises(ValueError, match="unknown"):
        CallbackSender(world, receiver.url, TOKEN, events={"muted"})


# -- delivery faults, seeded


async def run_traffic(seed: int, **options) -> tuple[list[Delivery], CallbackSender, list[WorldEvent]]:
    clock = FrozenClock()
    world = World(3, clock, AC, target_rooms=6)
    events = heard(world)
    async with receiving() as receiver, sending(world, receiver.url, seed=seed, concurrency=1, **options) as sender:
        busy_stream(world, clock)
        await sender.drain()
    return receiver.got, sender, events


async def test_drop_loses_about_the_share_asked_and_the_same_ones_for_a_seed() -> None:
    got, sender, events = await run_traffic(1, drop=0.3)
    stats = sender.stats
    assert stats.heard == len(events) > 100
    assert stats.sent == len(got) == stats.heard - stats.dropped
    assert 0.2 < stats.dropped / stats.heard < 0.4
    assert (stats.duplicated, stats.failed) == (0, 0)
    again, _, _ = await run_traffic(1, drop=0.3)
    other, _, _ = await run_traffic(2, drop=0.3)
    assert [d.key for d in again] == [d.key for d in got]
    assert {d.key for d in other} != {d.key for d in got}
    kept = {d.key for d in got}
    assert [d.key for d in got] == [
        (e.conference.sid, e.sequence_number) for e in events if (e.conference.sid, e.sequence_number) in kept
    ]


async def test_duplicates_repeat_the_same_request_with_the_same_idempotency_token() -> None:
    got, sender, events = await run_traffic(4, duplicate=0.25)
    counts = Counter(d.key for d in got)
    twice = {k for k, n in counts.items() if n == 2}
    assert set(counts.values()) <= {1, 2} and len(counts) == len(events)
    assert len(twice) == sender.stats.duplicated and 0.15 < len(twice) / len(events) < 0.35
    assert sender.stats.sent == len(got) == len(events) + len(twice)
    tokens: dict[tuple[str, int], set[str]] = {}
    for d in got:
        tokens.setdefault(d.key, set()).add(d.headers["I-Twilio-Idempotency-Token"])
        assert RequestValidator(TOKEN).validate(d.url, d.params, d.headers["X-Twilio-Signature"])
    assert all(len(t) == 1 for t in tokens.values())  # a copy carries its original's token
    assert len({t for ts in tokens.values() for t in ts}) == len(tokens)  # and no other event's
    again, _, _ = await run_traffic(4, duplicate=0.25)
    assert [d.key for d in again] == [d.key for d in got]


async def test_shuffle_reorders_within_the_window_reproducibly() -> None:
    got, _, events = await run_traffic(7, shuffle=True, window=5)
    stream = [(e.conference.sid, e.sequence_number) for e in events]
    order = [d.key for d in got]
    assert sorted(order) == sorted(stream) and order != stream
    position = {key: n for n, key in enumerate(stream)}
    assert max(abs(position[key] - n) for n, key in enumerate(order)) <= 5
    again, _, _ = await run_traffic(7, shuffle=True, window=5)
    other, _, _ = await run_traffic(8, shuffle=True, window=5)
    assert [d.key for d in again] == order
    assert [d.key for d in other] != order


async def test_the_same_seed_picks_the_same_faults_whatever_else_is_on() -> None:
    dropped_only, _, _ = await run_traffic(5, drop=0.2)
    everything, sender, _ = await run_traffic(5, drop=0.2, duplicate=0.2, shuffle=True)
    assert {d.key for d in everything} == {d.key for d in dropped_only}
    assert sender.stats.duplicated > 0 and len(everything) == len(dropped_only) + sender.stats.duplicated


# -- never into the world


async def test_a_receiver_that_is_down_or_refusing_only_counts_failures() -> None:
    world, clock = quiet_world()
    async with receiving() as receiver:
        gone = receiver.url
    async with sending(world, gone) as sender:
        every_world_kind(world, clock)  # no exception reaches the world
        await sender.drain()
    assert sender.stats.failed == sender.stats.heard > 0 and sender.stats.sent == 0
    async with receiving(status=500) as receiver, sending(world, receiver.url) as sender:
        every_world_kind(world, clock)
        await sender.drain()
    assert sender.stats.failed == sender.stats.heard == len(receiver.got) > 0


async def test_a_malformed_event_is_logged_not_raised() -> None:
    world, _ = quiet_world()
    async with receiving() as receiver, sending(world, receiver.url) as sender:
        sender.listen(None)  # type: ignore[arg-type]
        await sender.drain()
    assert receiver.got == [] and sender.stats.sent == 0


async def test_stop_unsubscribes() -> None:
    world, clock = quiet_world()
    async with receiving() as receiver:
        sender = CallbackSender(world, receiver.url, TOKEN)
        await sender.start()
        assert sender.listen in world.listeners
        await sender.stop()
        assert sender.listen not in world.listeners
        every_world_kind(world, clock)
    assert receiver.got == []


def test_the_form_is_built_without_a_sender() -> None:
    world, clock = quiet_world()
    events = heard(world)
    clock.advance(1)
    world.create_participant("Solo", from_=FROM, to=TO)
    params = callback_params(events[0])
    assert params["StatusCallbackEvent"] == "participant-join" and "ParticipantLabel" not in params


async def test_a_shuffled_stream_that_goes_quiet_is_still_delivered_without_drain() -> None:
    world, clock = quiet_world()
    async with receiving() as receiver, sending(world, receiver.url, shuffle=True, window=50) as sender:
        clock.advance(1)
        world.create_participant("Trickle", from_=FROM, to=TO)  # 2 events, far fewer than the window
        await wait_until(lambda: len(receiver.got) == 2)
    assert sorted(d.params["StatusCallbackEvent"] for d in receiver.got) == ["conference-start", "participant-join"]
    assert sender.stats.sent == 2
