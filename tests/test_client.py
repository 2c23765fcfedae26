"""ConferenceClient against the simulator over loopback HTTP: every call, checked against the world."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime
from typing import TypeVar

import httpx
import pytest

from confmon.api import AuthFailed, ConferenceClient, NotFound, Unavailable
from confmon.clock import FrozenClock
from confmon.model import Conference, ConferenceStatus, Participant
from confmon.secret import Secret
from confmon.sim.server import SimServer
from confmon.sim.world import World

AC = "AC" + "1" * 32
TOKEN = "sim-auth-token"

M = TypeVar("M", Conference, Participant)


def seconds(when: datetime | None) -> datetime | None:
    return when.replace(microsecond=0) if when else None


def as_sent(item: M) -> M:
    """The world's object as the wire carries it: RFC 2822 dates have whole seconds."""
    return dataclasses.replace(item, date_created=seconds(item.date_created), date_updated=seconds(item.date_updated))


def all_sent(items: Iterable[M]) -> list[M]:
    return [as_sent(item) for item in items]


async def running(rooms: int) -> SimServer:
    world = World(20251124, FrozenClock(), AC, target_rooms=rooms, traffic=False)  # a still world: exact checks
    server = SimServer(world, auth_token=TOKEN)
    await server.start(port=0)
    return server


def client_for(server: SimServer, token: str = TOKEN, *, max_concurrency: int = 10) -> ConferenceClient:
    assert server.base_url is not None
    return ConferenceClient(
        base_url=server.base_url,
        account_sid=AC,
        username=AC,
        password=Secret(token),
        max_concurrency=max_concurrency,
    )


@pytest.fixture
async def sim() -> AsyncIterator[SimServer]:
    server = await running(rooms=12)
    yield server
    await server.stop()


@pytest.fixture
async def api(sim: SimServer) -> AsyncIterator[ConferenceClient]:
    async with client_for(sim) as client:
        yield client


def live_room(sim: SimServer) -> str:
    """A live room with at least two participants."""
    world = sim.world
    return next(c.sid for c in world.conferences() if c.status != "completed" and len(world.participants(c.sid)) > 1)


async def test_lists_every_room_across_pages(sim: SimServer, api: ConferenceClient) -> None:
    rooms = await api.list_conferences(page_size=3)
    assert sorted(rooms, key=lambda c: c.sid) == sorted(all_sent(sim.world.conferences()), key=lambda c: c.sid)


async def test_filters_by_status(sim: SimServer, api: ConferenceClient) -> None:
    rooms = await api.list_conferences(status=ConferenceStatus.IN_PROGRESS, page_size=2)
    expected = {c.sid for c in sim.world.conferences() if c.status is ConferenceStatus.IN_PROGRESS}
    assert {c.sid for c in rooms} == expected
    assert len(rooms) == len(expected)


async def test_fetches_a_room_and_its_participants(sim: SimServer, api: ConferenceClient) -> None:
    sid = live_room(sim)
    assert await api.fetch_conference(sid) == as_sent(sim.world.conference(sid))
    assert await api.list_participants(sid, page_size=1) == all_sent(sim.world.participants(sid))
    first = sim.world.participants(sid)[0]
    assert await api.fetch_participant(sid, first.call_sid) == as_sent(first)


@pytest.mark.parametrize(
    ("change", "field"),
    [({"muted": True}, "muted"), ({"muted": False}, "muted"), ({"hold": True}, "hold"), ({"hold": False}, "hold")],
)
async def test_updates_show_in_a_fresh_fetch(
    sim: SimServer, api: ConferenceClient, change: dict[str, bool], field: str
) -> None:
    sid = live_room(sim)
    call_sid = sim.world.participants(sid)[0].call_sid
    opposite = {field: not change[field]}
    await api.update_participant(sid, call_sid, **opposite)

    returned = await api.update_participant(sid, call_sid, **change)

    assert getattr(returned, field) is change[field]
    assert getattr(await api.fetch_participant(sid, call_sid), field) is change[field]


async def test_kick_removes_and_a_second_kick_is_not_found(sim: SimServer, api: ConferenceClient) -> None:
    sid = live_room(sim)
    call_sid = sim.world.participants(sid)[0].call_sid

    await api.kick(sid, call_sid)

    with pytest.raises(NotFound):
        await api.fetch_participant(sid, call_sid)
    with pytest.raises(NotFound) as caught:
        await api.kick(sid, call_sid)
    assert str(caught.value).startswith("not found (404, code 20404): The requested resource")


async def test_end_conference(sim: SimServer, api: ConferenceClient) -> None:
    sid = live_room(sim)

    ended = await api.end_conference(sid)

    assert ended.status is ConferenceStatus.COMPLETED
    assert ended.reason_conference_ended == "conference-ended-via-api"
    assert (await api.fetch_conference(sid)).status is ConferenceStatus.COMPLETED
    assert sid not in {c.sid for c in (await api.sweep()).conferences}


async def test_wrong_token_is_auth_failed(sim: SimServer) -> None:
    async with client_for(sim, token="not-the-token") as api:
        with pytest.raises(AuthFailed) as caught:
            await api.list_conferences()
    assert str(caught.value) == "auth failed (401, code 20003): Authenticate"
    assert "not-the-token" not in repr(caught.value)


async def test_sweep_of_a_hundred_rooms() -> None:
    server = await running(rooms=100)
    try:
        async with client_for(server, max_concurrency=10) as api:
            snapshot = await api.sweep()
    finally:
        await server.stop()

    world = server.world
    live = [c for c in world.conferences() if c.status is not ConferenceStatus.COMPLETED]
    assert len(live) >= 100
    assert sorted(c.sid for c in snapshot.conferences) == sorted(c.sid for c in live)
    assert snapshot.participants == {c.sid: tuple(all_sent(world.participants(c.sid))) for c in live}
    assert snapshot.complete


class OneAtATime(httpx.AsyncBaseTransport):
    """Serves requests one at a time, in the order sent, and runs `between` once, right after the
    first conference listing has been answered: the world moves between a sweep's two listings."""

    def __init__(self, between: Callable[[], None]) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._turn = asyncio.Lock()  # FIFO: whoever asked first is served first
        self._between = between
        self.listed: list[str | None] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with self._turn:
            response = await self._inner.handle_async_request(request)
            await response.aread()
            if request.url.path.endswith("/Conferences.json"):
                self.listed.append(request.url.params.get("Status"))
                if len(self.listed) == 1:
                    self._between()
            return response

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_a_room_that_starts_between_the_two_listings_is_in_the_sweep(sim: SimServer) -> None:
    world = sim.world
    waiting = world.create_participant(
        "Webinar", from_="+15005550006", to="+15005550001", label="early", start_conference_on_enter=False
    )
    assert world.conference(waiting.conference_sid).status is ConferenceStatus.INIT

    def host_arrives() -> None:
        world.create_participant(waiting.conference_sid, from_="+15005550007", to="+15005550001", label="host")

    transport = OneAtATime(host_arrives)
    assert sim.base_url is not None
    async with ConferenceClient(
        base_url=sim.base_url, account_sid=AC, username=AC, password=Secret(TOKEN), transport=transport
    ) as api:
        snapshot = await api.sweep()

    rooms = {c.sid: c for c in snapshot.conferences}
    assert waiting.conference_sid in rooms  # listed concurrently or in-progress first, it was in neither
    assert rooms[waiting.conference_sid].status is ConferenceStatus.IN_PROGRESS  # in both lists: the newer copy
    assert [p.label for p in snapshot.participants[waiting.conference_sid]] == ["early", "host"]
    live = {c.sid for c in world.conferences() if c.status is not ConferenceStatus.COMPLETED}
    assert set(rooms) == live
    assert transport.listed == ["init", "in-progress"]


async def test_429_is_waited_out(sim: SimServer, api: ConferenceClient) -> None:
    sim.faults.fail_next(2, status=429, code=20429, retry_after=0)
    rooms = await api.list_conferences()
    assert len(rooms) == len(sim.world.conferences())
    assert sim.faults.pending == 0


async def test_a_post_is_resent_after_429(sim: SimServer, api: ConferenceClient) -> None:
    sid = live_room(sim)
    call_sid = sim.world.participants(sid)[0].call_sid
    await api.update_participant(sid, call_sid, muted=False)
    sim.faults.fail_next(1, status=429, code=20429)  # no Retry-After: jittered backoff

    assert (await api.update_participant(sid, call_sid, muted=True)).muted
    assert sim.world.participant(sid, call_sid).muted


async def test_a_post_cut_off_midway_is_not_resent(sim: SimServer, api: ConferenceClient) -> None:
    """The server acted but the answer was lost: the client reports it, and a re-read shows the effect."""
    sid = live_room(sim)
    call_sid = sim.world.participants(sid)[0].call_sid
    await api.update_participant(sid, call_sid, muted=False)
    sim.faults.truncate_next(1)

    with pytest.raises(Unavailable) as caught:
        await api.update_participant(sid, call_sid, muted=True)

    assert caught.value.request_sent
    assert (await api.fetch_participant(sid, call_sid)).muted


async def test_a_get_cut_off_midway_is_retried(sim: SimServer, api: ConferenceClient) -> None:
    sid = live_room(sim)
    sim.faults.truncate_next(1)
    assert await api.fetch_conference(sid) == as_sent(sim.world.conference(sid))
