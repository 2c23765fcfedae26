"""ConferenceClient against the simulator in each dialect, over loopback: listing with paging, the
sweep, participants, every action the dialect has (NotSupported, with nothing sent, for the rest),
recordings and announcements where they exist, and the quirks of RestComm and Telnyx."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import httpx
import pytest

from confmon.api import AuthFailed, ConferenceClient, NotFound, dialects
from confmon.api.errors import NotSupported
from confmon.clock import FrozenClock
from confmon.model import Conference, ConferenceStatus, Participant, ParticipantStatus, Recording
from confmon.secret import Secret
from confmon.sim.server import SimServer
from confmon.sim.world import World

AC = "AC" + "1" * 32
TOKEN = "sim-auth-token"
URL = "https://example.com/maintenance.mp3"
DIALECTS = list(dialects.NAMES)
TWILIO_SHAPED = {"twilio2010", "twilio2010-xml", "signalwire", "telnyx"}


class Recorder(httpx.AsyncBaseTransport):
    """Plain httpx over loopback, noting every request it carries."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.seen: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.url.path) for r in self.seen]


@dataclass
class Setup:
    name: str
    server: SimServer
    api: ConferenceClient
    wire: Recorder

    @property
    def world(self) -> World:
        return self.server.world

    @property
    def caps(self):
        return self.api.capabilities

    def call_id(self, call_sid: str) -> str:
        """How this dialect names the world's call: RestComm prefixes its media server's instance id."""
        return f"{self.world.instance_id}-{call_sid}" if self.name == "restcomm" else call_sid

    def live_room(self) -> str:
        return next(
            c.sid
            for c in self.world.conferences()
            if c.status is ConferenceStatus.IN_PROGRESS and len(self.world.participants(c.sid)) > 1
        )

    # What the world should look like through this dialect

    def room(self, c: Conference) -> Conference:
        c = dataclasses.replace(c, date_created=_seconds(c.date_created), date_updated=_seconds(c.date_updated))
        if self.name == "signalwire":  # documents no end reason (reference §6.1)
            return dataclasses.replace(c, reason_conference_ended=None, call_sid_ending_conference=None)
        if self.name in TWILIO_SHAPED:
            return c
        moderator = None
        if self.name == "restcomm" and c.status is ConferenceStatus.IN_PROGRESS:
            moderator = self.world.moderator_present(c.sid)
        return Conference(
            c.sid, c.account_sid, c.friendly_name, c.status,
            date_created=c.date_created, date_updated=c.date_updated, moderator_present=moderator,
        )

    def member(self, p: Participant) -> Participant:
        p = dataclasses.replace(p, date_created=_seconds(p.date_created), date_updated=_seconds(p.date_updated))
        if self.name == "signalwire":  # no labels (reference §6.2)
            return dataclasses.replace(p, label=None)
        if self.name == "telnyx":  # no labels, and no start_conference_on_enter: its documented default
            return dataclasses.replace(p, label=None, start_conference_on_enter=True)
        if self.name in TWILIO_SHAPED:
            return p
        return Participant(
            call_sid=self.call_id(p.call_sid),
            conference_sid=p.conference_sid,
            status=ParticipantStatus.CONNECTED,
            muted=p.muted,
            hold=p.hold if self.name == "restcomm" else False,
            end_conference_on_exit=p.end_conference_on_exit,
            start_conference_on_enter=p.start_conference_on_enter,
            date_created=p.date_created,
            date_updated=p.date_updated,
        )

    def rooms(self, *, live: bool = False) -> dict[str, Conference]:
        return {
            c.sid: self.room(c)
            for c in self.world.conferences()
            if not live or c.status is not ConferenceStatus.COMPLETED
        }

    def members(self, sid: str) -> list[Participant]:
        return [self.member(p) for p in self.world.participants(sid)]


def _seconds(when: datetime | None) -> datetime | None:
    return when.replace(microsecond=0) if when else None


async def start(name: str, rooms: int = 12) -> SimServer:
    world = World(20251124, FrozenClock(), AC, target_rooms=rooms, traffic=False)  # a still world: exact checks
    server = SimServer(world, auth_token=TOKEN, dialect=name)  # each served by its simulator dialect
    await server.start(port=0)
    return server


def client(server: SimServer, name: str, wire: httpx.AsyncBaseTransport | None = None, token: str = TOKEN):
    assert server.base_url is not None
    return ConferenceClient(
        base_url=server.base_url, account_sid=AC, username=AC, password=Secret(token), dialect=name, transport=wire
    )


@pytest.fixture(params=DIALECTS)
async def on(request: pytest.FixtureRequest) -> AsyncIterator[Setup]:
    server = await start(request.param)
    wire = Recorder()
    async with client(server, request.param, wire) as api:
        yield Setup(request.param, server, api, wire)
    await server.stop()


# Reading


async def test_lists_every_room_across_pages(on: Setup) -> None:
    rooms = await on.api.list_conferences(page_size=3)
    assert {c.sid: c for c in rooms} == on.rooms()
    assert len(rooms) == len(on.world.conferences()) > 6
    pages = -(-len(rooms) // 3)
    if on.name == "restcomm" and len(rooms) % 3 == 0:
        pages += 1  # num_pages = total // size: a last page, empty, follows a full one
    assert len(on.wire.seen) == pages


async def test_filters_by_status_across_pages(on: Setup) -> None:
    for status in ConferenceStatus:
        rooms = await on.api.list_conferences(status=status, page_size=2)
        expected = {sid: c for sid, c in on.rooms().items() if c.status is status}
        assert {c.sid: c for c in rooms} == expected
        assert len(rooms) == len(expected)


async def test_fetches_a_room_and_its_participants(on: Setup) -> None:
    sid = on.live_room()
    assert await on.api.fetch_conference(sid) == on.rooms()[sid]
    assert await on.api.list_participants(sid, page_size=1) == on.members(sid)
    first = on.world.participants(sid)[0]
    assert await on.api.fetch_participant(sid, on.call_id(first.call_sid)) == on.member(first)


async def test_sweep_sees_every_live_room_and_its_participants(on: Setup) -> None:
    snapshot = await on.api.sweep(priority=[on.live_room()])
    live = on.rooms(live=True)
    assert {c.sid: c for c in snapshot.conferences} == live
    assert snapshot.participants == {sid: tuple(on.members(sid)) for sid in live}
    assert snapshot.complete
    listings = [r for r in on.wire.seen if r.url.path.endswith(("/Conferences", "/Conferences.json"))]
    # 2010 and 2008 list init then in-progress; RestComm lists both at once, Status=RUNNING%.
    expected = {"twilio2008": ["0", "1"], "restcomm": ["RUNNING%"]}.get(on.name, ["init", "in-progress"])
    assert [r.url.params["Status"] for r in listings] == expected


async def test_restcomm_shows_whether_a_moderator_is_present() -> None:
    server = await start("restcomm")
    try:
        world = server.world
        waiting = world.create_participant("Lobby", from_="+15005550006", to="+15005550001",
                                           start_conference_on_enter=False)
        room = waiting.conference_sid
        async with client(server, "restcomm") as api:
            assert (await api.fetch_conference(room)).status is ConferenceStatus.INIT
            world.create_participant(room, from_="+15005550007", to="+15005550001", end_conference_on_exit=True)
            present = await api.fetch_conference(room)
            assert (present.status, present.moderator_present) == (ConferenceStatus.IN_PROGRESS, True)
            host = world.participants(room)[-1]
            world.remove_participant(room, host.call_sid, reason="left")
            if world.conference(room).status is ConferenceStatus.IN_PROGRESS:
                absent = await api.fetch_conference(room)
                assert absent.moderator_present is False
            snapshot = await api.sweep()
            for c in snapshot.conferences:
                present = None if c.status is ConferenceStatus.INIT else world.moderator_present(c.sid)
                assert c.moderator_present is present
    finally:
        await server.stop()


# Acting


async def test_mute_and_unmute(on: Setup) -> None:
    sid = on.live_room()
    call_sid = on.world.participants(sid)[0].call_sid
    for muted in (True, False, True):
        on.wire.seen.clear()
        returned = await on.api.update_participant(sid, on.call_id(call_sid), muted=muted)
        assert returned.muted is muted
        assert returned == on.member(on.world.participant(sid, call_sid))
        assert on.world.participant(sid, call_sid).muted is muted
        if on.name == "restcomm":  # the POST's body is the call before the change: read it again
            member = f"/restcomm/2012-04-24/Accounts/{AC}/Conferences/{sid}/Participants/{on.call_id(call_sid)}"
            assert on.wire.calls() == [("POST", member), ("GET", member + ".json")]
            assert on.wire.seen[0].content == f"Mute={str(muted).lower()}".encode()
        else:
            assert [m for m, _ in on.wire.calls()] == ["POST"]


async def test_hold_where_the_dialect_can(on: Setup) -> None:
    sid = on.live_room()
    call_sid = on.world.participants(sid)[0].call_sid
    if not on.caps.can_hold:
        with pytest.raises(NotSupported):
            await on.api.update_participant(sid, on.call_id(call_sid), hold=True)
        assert on.wire.seen == []
        return
    for hold in (True, False):
        assert (await on.api.update_participant(sid, call_sid, hold=hold)).hold is hold
        assert on.world.participant(sid, call_sid).hold is hold


async def test_kick_removes_and_a_second_kick_is_not_found(on: Setup) -> None:
    sid = on.live_room()
    call_sid = on.world.participants(sid)[0].call_sid

    await on.api.kick(sid, on.call_id(call_sid))

    assert call_sid not in {p.call_sid for p in on.world.participants(sid)}
    assert on.call_id(call_sid) not in {p.call_sid for p in await on.api.list_participants(sid)}
    with pytest.raises(NotFound) as caught:
        await on.api.kick(sid, on.call_id(call_sid))
    assert caught.value.status == (410 if on.name == "restcomm" else 404)  # RestComm: "already completed"


async def test_restcomm_a_mute_that_did_not_take_is_not_found() -> None:
    """RestComm mutes only live calls and answers 200 either way; the re-read tells."""
    server = await start("restcomm")
    try:
        world = server.world
        sid = next(c.sid for c in world.conferences() if len(world.participants(c.sid)) > 2)
        caller = next(p for p in world.participants(sid) if not p.muted)
        call_id = f"{world.instance_id}-{caller.call_sid}"
        async with client(server, "restcomm") as api:
            await api.kick(sid, call_id)
            with pytest.raises(NotFound, match="did not take"):
                await api.update_participant(sid, call_id, muted=True)
    finally:
        await server.stop()


async def test_end_or_not_supported(on: Setup) -> None:
    sid = on.live_room()
    if not on.caps.can_end:
        with pytest.raises(NotSupported, match="kick every participant"):
            await on.api.end_conference(sid)
        assert on.wire.seen == []
        assert on.caps.end_by_kicking_all
        return
    ended = await on.api.end_conference(sid)
    assert ended.status is ConferenceStatus.COMPLETED
    assert ended == on.room(on.world.conference(sid))
    assert sid not in {c.sid for c in (await on.api.sweep()).conferences}


async def test_recordings_where_the_dialect_has_them(on: Setup) -> None:
    recorded = [c.sid for c in on.world.conferences() if on.world.recordings(c.sid)]
    live_recorded = [sid for sid in recorded if sid in on.rooms(live=True)]
    assert live_recorded, "the seeded world records some live rooms"
    sid = live_recorded[0]
    if not on.caps.has_recordings:
        with pytest.raises(NotSupported):
            await on.api.list_recordings(sid)
        assert on.wire.seen == []
        assert (await on.api.sweep(recordings_for=[sid])).recordings == {}
        return
    expected = [
        dataclasses.replace(
            r,
            date_created=_seconds(r.date_created),
            date_updated=_seconds(r.date_updated),
            start_time=_seconds(r.start_time),
        )
        for r in on.world.recordings(sid)
    ]
    assert sorted(await on.api.list_recordings(sid), key=lambda r: r.sid) == sorted(expected, key=lambda r: r.sid)
    snapshot = await on.api.sweep(recordings_for=[sid, "CF" + "0" * 32])  # a room not live: ignored
    assert set(snapshot.recordings) == {sid}
    assert all(isinstance(r, Recording) for r in snapshot.recordings[sid])
    assert {r.sid for r in snapshot.recordings[sid]} == {r.sid for r in expected}


async def test_announce_where_the_dialect_can(on: Setup) -> None:
    sid = on.live_room()
    call_sid = on.world.participants(sid)[0].call_sid
    if not (on.caps.can_announce_room or on.caps.can_announce_participant):
        for target in (None, on.call_id(call_sid)):
            with pytest.raises(NotSupported):
                await on.api.announce(sid, target, URL)
        assert on.wire.seen == []
        return
    await on.api.announce(sid, None, URL)
    await on.api.announce(sid, call_sid, URL)
    played = [(a.conference_sid, a.call_sid, a.url, a.method) for a in on.world.announcements()]
    assert played[-2:] == [(sid, None, URL, "GET"), (sid, call_sid, URL, "GET")]


async def test_wrong_credentials_are_auth_failed(on: Setup) -> None:
    async with client(on.server, on.name, token="not-the-token") as api:
        with pytest.raises(AuthFailed) as caught:
            await api.list_conferences()
    assert caught.value.status == 401
    assert "not-the-token" not in repr(caught.value)


async def test_telnyx_sends_a_bearer_token_and_no_basic_credentials() -> None:
    server = await start("telnyx")
    wire = Recorder()
    try:
        async with client(server, "telnyx", wire) as api:
            await api.check()
    finally:
        await server.stop()
    assert [r.headers["Authorization"] for r in wire.seen] == [f"Bearer {TOKEN}"]
    assert wire.seen[0].url.path == f"/v2/texml/Accounts/{AC}/Conferences"
