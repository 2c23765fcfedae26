"""The official Twilio SDK, an outside oracle, works against the simulator over loopback.

The SDK is synchronous (requests), so each call runs in a thread while the server runs in the
test's event loop; one test also drives the SDK's own async client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from confmon.clock import FrozenClock
from confmon.model import ConferenceStatus
from confmon.sim.server import SimServer
from confmon.sim.world import World
from tests.simulated import ACCOUNT as AC
from tests.simulated import TOKEN

FROM, TO = "+15005550006", "+15005550001"

T = TypeVar("T")


@pytest.fixture
def world(clock: FrozenClock) -> World:
    return World(17, clock, AC, target_rooms=30, traffic=False)


def sdk(simulator: SimServer, token: str = TOKEN) -> Client:
    client = Client(AC, token)
    client.api.base_url = simulator.base_url  # never region/edge: conftest clears them
    return client


async def in_thread(call: Callable[[], T]) -> T:
    return await asyncio.to_thread(call)


def live(world: World) -> list[str]:
    return [c.sid for c in world.conferences() if c.status == ConferenceStatus.IN_PROGRESS]


async def test_list_with_a_status_filter_pages_through_every_room_once(simulator: SimServer, world: World) -> None:
    client = sdk(simulator)
    listed = await in_thread(lambda: client.conferences.list(status="in-progress", page_size=4))
    sids = [c.sid for c in listed]
    assert len(sids) == len(set(sids))
    assert set(sids) == set(live(world)) and len(sids) > 4 * 3  # several pages were followed

    def walk() -> list[int]:
        sizes, page = [], client.conferences.page(status="in-progress", page_size=4)
        while page is not None:
            sizes.append(len(list(page)))
            page = page.next_page()
        return sizes

    sizes = await in_thread(walk)
    assert sum(sizes) == len(sids) and len(sizes) > 3
    everything = await in_thread(lambda: client.conferences.list(page_size=7))
    assert {c.sid for c in everything} == {c.sid for c in world.conferences()}
    completed = await in_thread(lambda: client.conferences.list(status="completed"))
    assert {c.status for c in completed} == {"completed"} and all(c.reason_conference_ended for c in completed)


async def test_fetch_a_conference_and_list_its_participants(simulator: SimServer, world: World) -> None:
    client, sid = sdk(simulator), live(world)[0]
    room = await in_thread(lambda: client.conferences(sid).fetch())
    truth = world.conference(sid)
    assert (room.sid, room.friendly_name, room.status, room.region) == (
        sid,
        truth.friendly_name,
        "in-progress",
        truth.region,
    )
    assert room.date_created == truth.date_created.replace(microsecond=0)
    people = await in_thread(lambda: client.conferences(sid).participants.list(page_size=2))
    assert [(p.call_sid, p.label, p.muted, p.hold) for p in people] == [
        (p.call_sid, p.label, p.muted, p.hold) for p in world.participants(sid)
    ]


async def test_mute_unmute_hold_unhold_and_kick(simulator: SimServer, world: World) -> None:
    client, sid = sdk(simulator), live(world)[0]
    call_sid = world.participants(sid)[-1].call_sid
    handle = client.conferences(sid).participants(call_sid)
    for change, check in (
        ({"muted": True}, lambda p: p.muted),
        ({"muted": False}, lambda p: not p.muted),
        ({"hold": True}, lambda p: p.hold),
        ({"hold": False}, lambda p: not p.hold),
    ):
        answered = await in_thread(lambda change=change: handle.update(**change))
        assert check(answered) and check(world.participant(sid, call_sid))
    assert await in_thread(handle.delete) is True
    with pytest.raises(TwilioRestException) as gone:
        await in_thread(handle.fetch)
    assert (gone.value.status, gone.value.code) == (404, 20404)


async def test_end_a_conference(simulator: SimServer, world: World) -> None:
    client, sid = sdk(simulator), live(world)[0]
    ended = await in_thread(lambda: client.conferences(sid).update(status="completed"))
    assert (ended.status, ended.reason_conference_ended) == ("completed", "conference-ended-via-api")
    assert await in_thread(lambda: client.conferences(sid).participants.list()) == []


async def test_create_a_participant_into_a_new_named_room(simulator: SimServer, world: World) -> None:
    client = sdk(simulator)
    rooms = client.conferences("Customer callback 7").participants
    created = await in_thread(lambda: rooms.create(from_=FROM, to=TO, label="customer care", early_media=True))
    assert (created.label, created.status, created.queue_time) == ("customer care", "connected", "0")
    room = await in_thread(lambda: client.conferences(created.conference_sid).fetch())
    assert (room.friendly_name, room.status) == ("Customer callback 7", "in-progress")
    named = await in_thread(lambda: client.conferences.list(friendly_name="Customer callback 7"))
    assert [c.sid for c in named] == [created.conference_sid]
    by_label = await in_thread(lambda: client.conferences(room.sid).participants("customer care").fetch())
    assert by_label.call_sid == created.call_sid


async def test_errors_surface_as_twilio_rest_exceptions(simulator: SimServer, world: World) -> None:
    sid = live(world)[0]
    with pytest.raises(TwilioRestException) as denied:
        await in_thread(lambda: sdk(simulator, "wrong-token").conferences(sid).fetch())
    assert (denied.value.status, denied.value.code) == (401, 20003)
    with pytest.raises(TwilioRestException) as missing:
        await in_thread(lambda: sdk(simulator).conferences(sid).participants("CA" + "0" * 32).fetch())
    assert (missing.value.status, missing.value.code) == (404, 20404)


def recording_room(world: World) -> tuple[str, str]:
    """(conference SID, recording SID): a room dialled now with ConferenceRecord, so it records from now."""
    caller = world.create_participant("Recorded by the SDK's test", from_=FROM, to=TO, record=True)
    return caller.conference_sid, world.recordings(caller.conference_sid)[0].sid


async def test_pause_resume_stop_fetch_and_delete_a_conference_recording(
    simulator: SimServer, world: World, clock: FrozenClock
) -> None:
    client = sdk(simulator)
    sid, rec = recording_room(world)
    handle = client.conferences(sid).recordings(rec)
    for status in ("paused", "in-progress", "paused", "in-progress", "stopped"):
        clock.advance(20)
        answered = await in_thread(lambda status=status: handle.update(status=status))
        assert (answered.sid, answered.status, answered.duration) == (rec, status, None)
        (truth,) = world.recordings(sid)
        assert truth.status == status and answered.date_updated == truth.date_updated
        fetched = await in_thread(handle.fetch)
        assert (fetched.sid, fetched.status, fetched.date_updated) == (rec, status, truth.date_updated)
    clock.advance(20)
    await in_thread(lambda: client.conferences(sid).update(status="completed"))
    done = await in_thread(handle.fetch)
    assert (done.status, done.duration) == ("completed", "100") and world.recording(sid, rec).duration == 100
    assert await in_thread(handle.delete) is True
    assert world.recordings(sid) == []
    assert await in_thread(lambda: client.conferences(sid).recordings.list()) == []
    for gone in (handle.fetch, lambda: handle.update(status="paused"), handle.delete):
        with pytest.raises(TwilioRestException) as missing:
            await in_thread(gone)
        assert (missing.value.status, missing.value.code) == (404, 20404)


async def test_the_sdk_pauses_the_current_recording_and_skips_the_pause(
    simulator: SimServer, world: World, clock: FrozenClock
) -> None:
    client = sdk(simulator)
    sid, rec = recording_room(world)
    current = client.conferences(sid).recordings("Twilio.CURRENT")
    clock.advance(10)
    paused = await in_thread(lambda: current.update(status="paused", pause_behavior="skip"))
    assert (paused.sid, paused.status) == (rec, "paused") and world.recording(sid, rec).status == "paused"
    clock.advance(30)
    resumed = await in_thread(lambda: current.update(status="in-progress"))
    assert resumed.status == "in-progress" and world.recording(sid, rec).status == "in-progress"
    clock.advance(5)
    await in_thread(lambda: client.conferences(sid).update(status="completed"))
    assert world.recording(sid, rec).duration == 15  # the skipped pause is not in the file


async def test_recording_errors_surface_as_twilio_rest_exceptions(simulator: SimServer, world: World) -> None:
    client = sdk(simulator)
    sid, rec = recording_room(world)
    handle = client.conferences(sid).recordings(rec)
    with pytest.raises(TwilioRestException) as bad:
        await in_thread(lambda: handle.update(status="completed"))
    assert (bad.value.status, bad.value.code) == (400, 20001) and world.recording(sid, rec).status == "in-progress"
    await in_thread(lambda: handle.update(status="stopped"))
    with pytest.raises(TwilioRestException) as late:
        await in_thread(lambda: handle.update(status="in-progress"))
    assert (late.value.status, late.value.code) == (400, 21220) and world.recording(sid, rec).status == "stopped"
    with pytest.raises(TwilioRestException) as unknown:
        await in_thread(lambda: client.conferences(sid).recordings("RE" + "0" * 32).update(status="paused"))
    assert (unknown.value.status, unknown.value.code) == (404, 20404)


# twilio's async client still uses aiohttp's BasicAuth, which aiohttp 3.14 deprecates: not ours to fix.
@pytest.mark.filterwarnings("ignore:.*deprecated.*:DeprecationWarning")
async def test_the_sdks_async_client_too(simulator: SimServer, world: World) -> None:
    http = AsyncTwilioHttpClient()
    client = Client(AC, TOKEN, http_client=http)
    client.api.base_url = simulator.base_url
    try:
        listed = await client.conferences.list_async(status="in-progress", page_size=5)
        assert {c.sid for c in listed} == set(live(world))
        sid = listed[0].sid
        someone = world.participants(sid)[0].call_sid
        muted = await client.conferences(sid).participants(someone).update_async(muted=True)
        assert muted.muted and world.participant(sid, someone).muted
    finally:
        await http.session.close()
