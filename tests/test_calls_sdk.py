"""The official Twilio SDK, an outside oracle, fetches a participant's call from the simulator (2010 JSON):
`client.calls(sid).fetch()` reads From (kept as `_from`: `from` is a keyword, and SDK 9 has no `from_`),
To, the caller name and the direction, and a call that left as completed, with its end and duration. A
call nobody made is the SDK's 404 (code 20404)."""

from __future__ import annotations

import asyncio

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from confmon.clock import FrozenClock
from confmon.model import ConferenceStatus
from confmon.sim import names
from confmon.sim.server import SimServer
from confmon.sim.world import World
from tests.simulated import ACCOUNT as AC
from tests.simulated import TOKEN


def sdk(simulator: SimServer) -> Client:
    client = Client(AC, TOKEN)
    client.api.base_url = simulator.base_url  # never region/edge: conftest clears them
    return client


def live_room(world: World) -> str:
    return next(c.sid for c in world.conferences() if c.status is ConferenceStatus.IN_PROGRESS)


async def test_the_sdk_fetches_each_participants_call(simulator: SimServer, world: World) -> None:
    client, sid = sdk(simulator), live_room(world)
    for member in world.participants(sid):
        call = await asyncio.to_thread(lambda sid=member.call_sid: client.calls(sid).fetch())
        leg = world.call(member.call_sid)
        assert (call.sid, call._from, call.to, call.caller_name, call.direction, call.status) == (
            member.call_sid,
            leg.from_,
            names.dial_in_number(sid),
            leg.caller_name,
            "inbound",
            "in-progress",
        )
        assert call.start_time == member.date_created.replace(microsecond=0)
        assert call.end_time is None and call.duration is None
        assert call.from_formatted.startswith("(") or not leg.from_.startswith("+1")  # (415) 555-0181


async def test_the_sdk_reads_a_call_that_left_as_completed(
    simulator: SimServer, world: World, clock: FrozenClock
) -> None:
    client, sid = sdk(simulator), live_room(world)
    member = world.participants(sid)[0]
    clock.advance(90)
    world.remove_participant(sid, member.call_sid, reason="left")
    call = await asyncio.to_thread(lambda: client.calls(member.call_sid).fetch())
    assert (call.status, call._from, call.direction) == ("completed", world.call(member.call_sid).from_, "inbound")
    assert call.end_time is not None and call.end_time > call.start_time
    assert int(call.duration) == int((call.end_time - call.start_time).total_seconds())


async def test_an_unknown_call_is_the_sdks_404(simulator: SimServer) -> None:
    with pytest.raises(TwilioRestException) as missing:
        await asyncio.to_thread(lambda: sdk(simulator).calls("CA" + "0" * 32).fetch())
    assert (missing.value.status, missing.value.code) == (404, 20404)
