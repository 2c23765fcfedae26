"""Caller identity over the wire: ConferenceClient.fetch_call against the simulator in each dialect, over
loopback. A participant's call gives the From and To its caller dialled with (2008: as 10 digits), the
caller name where the API has one, and its direction; a call that has left still answers; a call
nobody made is NotFound."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from confmon.api import ConferenceClient, NotFound, dialects
from confmon.api.errors import InvalidRequest
from confmon.clock import FrozenClock
from confmon.model import Call, ConferenceStatus
from confmon.secret import Secret
from confmon.sim import names
from confmon.sim.server import SimServer
from confmon.sim.world import CallLeg, World
from tests.test_client_dialects import Recorder

AC = "AC" + "3" * 32
TOKEN = "calls-test-token"
FROM, TO = "+15005550006", "+15005550001"
NOBODY = "CA" + "0" * 32




@dataclass
class On:
    name: str
    world: World
    api: ConferenceClient
    wire: Recorder

    def call_id(self, call_sid: str) -> str:
        """How this dialect names the world's call: RestComm prefixes its media server's instance id."""
        return f"{self.world.instance_id}-{call_sid}" if self.name == "restcomm" else call_sid

    def expected(self, leg: CallLeg) -> Call:
        """The call as this dialect tells it."""
        if self.name == "twilio2008":  # 10 digits, no caller name, the direction from its Flags
            return Call(self.call_id(leg.participant.call_sid), _ten(leg.from_), _ten(leg.to), None, leg.direction)
        return Call(self.call_id(leg.participant.call_sid), leg.from_, leg.to, leg.caller_name, leg.direction)


def _ten(number: str) -> str:
    return number.removeprefix("+1") if number.startswith("+1") and len(number) == 12 else number


@pytest.fixture(params=list(dialects.NAMES))
async def on(request: pytest.FixtureRequest) -> AsyncIterator[On]:
    name = request.param
    world = World(20251124, FrozenClock(), AC, target_rooms=12, traffic=False)
    server = SimServer(world, auth_token=TOKEN, dialect=name)
    await server.start(port=0)
    wire = Recorder()
    assert server.base_url is not None
    api = ConferenceClient(
        base_url=server.base_url, account_sid=AC, username=AC, password=Secret(TOKEN), dialect=name, transport=wire
    )
    async with api:
        yield On(name, world, api, wire)
    await server.stop()


def calls_path(on: On) -> str:
    prefix = {"twilio2008": "/2008-08-01", "restcomm": "/restcomm/2012-04-24", "signalwire": "/api/laml/2010-04-01",
              "telnyx": "/v2/texml"}.get(on.name, "/2010-04-01")  # fmt: skip
    return f"{prefix}/Accounts/{AC}/Calls/"


def live_rooms(world: World) -> list[str]:
    return [c.sid for c in world.conferences() if c.status is ConferenceStatus.IN_PROGRESS]


async def test_every_participant_of_a_room_has_the_numbers_it_dialled_with(on: On) -> None:
    sid = live_rooms(on.world)[0]
    for member in await on.api.list_participants(sid):
        on.wire.seen.clear()
        call = await on.api.fetch_call(member.call_sid)  # the id as the participant record spells it
        leg = on.world.call(member.call_sid.rpartition("-")[2])
        assert call == on.expected(leg)
        assert leg.to == names.dial_in_number(sid) and leg.direction == "inbound"
        if leg.participant.label and leg.participant.label.startswith(("+", "client:")):
            assert leg.from_ == leg.participant.label  # a caller labelled by number is that number
        suffix = "" if on.name in ("twilio2010-xml", "twilio2008", "telnyx") else ".json"
        assert [(r.method, r.url.path) for r in on.wire.seen] == [("GET", calls_path(on) + call.sid + suffix)]


async def test_caller_names_are_given_for_some_callers_where_the_api_has_them(on: On) -> None:
    calls = [
        await on.api.fetch_call(on.call_id(p.call_sid))
        for sid in live_rooms(on.world)[:4]
        for p in on.world.participants(sid)
    ]
    named = [c.caller_name for c in calls if c.caller_name]
    if on.name == "twilio2008":  # 2008's Calls have no caller name
        assert named == []
    else:
        assert 0 < len(named) < len(calls) and all(name.isupper() and len(name) <= 15 for name in named)
    assert all(c.from_number and c.to_number for c in calls)


async def test_a_call_that_left_still_answers(on: On) -> None:
    sid = live_rooms(on.world)[0]
    leaving = on.world.participants(sid)[-1].call_sid
    on.world.remove_participant(sid, leaving, reason="left")
    assert leaving not in {p.call_sid for p in on.world.participants(sid)}
    leg = on.world.call(leaving)
    assert not leg.present and leg.duration is not None
    assert await on.api.fetch_call(on.call_id(leaving)) == on.expected(leg)


async def test_a_call_the_api_placed_is_outbound_to_the_number_dialled(on: On) -> None:
    made = on.world.create_participant("Dialled out", from_=FROM, to=TO, label="dialled")
    call = await on.api.fetch_call(on.call_id(made.call_sid))
    assert call == on.expected(on.world.call(made.call_sid))
    assert (call.direction, call.caller_name, call.to_number) == (
        "outbound-api",
        None,
        TO.removeprefix("+1") if on.name == "twilio2008" else TO,
    )


async def test_an_unknown_call_is_not_found(on: On) -> None:
    with pytest.raises(NotFound) as caught:
        await on.api.fetch_call(on.call_id(NOBODY))
    assert caught.value.status == 404
    assert len(on.wire.seen) == 1  # a 404 is an answer: not retried


async def test_an_id_of_the_wrong_shape_is_refused_before_anything_is_sent(on: On) -> None:
    bad = ".." if on.name in ("signalwire", "telnyx") else "CA123"  # opaque ids: any text but a walk up the path
    with pytest.raises(InvalidRequest):
        await on.api.fetch_call(bad)
    assert on.wire.seen == []
