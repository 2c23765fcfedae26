"""The simulator's Calls instance, on the wire in each dialect (real HTTP over loopback): the documented
shapes, a call that left still served, an unknown call a 404 in the dialect's own error shape, GET only.
And the world behind it: who traffic brings in dialled their room's number; the lookup names some."""

from __future__ import annotations

import pytest

from confmon.api import dialects
from confmon.sim import names
from confmon.sim.world import World
from tests.test_calls_parsing import TELNYX_JSON, TWILIO_2008
from tests.test_sim_wire_support import FROM, RFC2822, TO, busy_sid, new_world, parse, served, tags, texts

NOBODY = "CA" + "0" * 32


@pytest.fixture
def world() -> World:
    return new_world(rooms=14)


def a_caller(world: World) -> tuple[str, str]:
    """(room, call SID) of someone who dialled in from a phone number."""
    room = busy_sid(world)
    return room, next(p.call_sid for p in world.participants(room) if world.call(p.call_sid).from_.startswith("+1"))


async def test_2008_serves_the_documented_call_element(world: World) -> None:
    room, sid = a_caller(world)
    leg = world.call(sid)
    async with served(world, "twilio2008") as wire:
        live = (await wire("GET", f"/Calls/{sid}", 200)).xml()
        world.remove_participant(room, sid, reason="left")
        gone = (await wire("GET", f"/Calls/{sid}", 200)).xml()
    documented = parse(TWILIO_2008)
    assert tags(live) == ["Call"] and tags(live[0]) == tags(documented[0])
    values = texts(live[0])
    assert (values["Sid"], values["Caller"], values["Called"]) == (sid, leg.from_[2:], leg.to[2:])  # 10 digits
    assert (values["Status"], values["Flags"], values["EndTime"], values["Duration"]) == ("1", "1", None, None)
    assert RFC2822.match(values["StartTime"] or "")
    ended = texts(gone[0])
    assert ended["Status"] == "2" and RFC2822.match(ended["EndTime"] or "") and (ended["Duration"] or "").isdigit()


async def test_2010_xml_serves_the_call_with_its_json_fields_in_pascal_case(world: World) -> None:
    _, sid = a_caller(world)
    leg = world.call(sid)
    async with served(world, "twilio2010") as wire:
        root = (await wire("GET", f"/Calls/{sid}", 200)).xml()
        body = (await wire("GET", f"/Calls/{sid}.json", 200)).json()
    assert root.tag == "TwilioResponse" and tags(root) == ["Call"]
    values = texts(root[0])
    assert (values["From"], values["To"], values["CallerName"], values["Direction"]) == (
        leg.from_,
        leg.to,
        leg.caller_name,
        "inbound",
    )
    assert [t.lower() for t in tags(root[0])] == [k.replace("_", "") for k in body]  # the same fields, in order
    assert values["Uri"] == body["uri"].removesuffix(".json")
    assert body["to_formatted"] == f"({leg.to[2:5]}) {leg.to[5:8]}-{leg.to[8:]}"


async def test_restcomm_serves_the_call_detail_record_in_json_and_xml(world: World) -> None:
    _, sid = a_caller(world)
    leg, call_id = world.call(sid), f"{world.instance_id}-{sid}"
    async with served(world, "restcomm") as wire:
        body = (await wire("GET", f"/Calls/{call_id}.json", 200)).json()
        root = (await wire("GET", f"/Calls/{call_id}", 200)).xml()
        malformed = await wire("GET", "/Calls/CA123.json", 400)
    assert (body["sid"], body["from"], body["to"], body["direction"], body["status"]) == (
        call_id,
        leg.from_,
        leg.to,
        "inbound",
        "in-progress",
    )
    assert body.get("caller_name") == leg.caller_name  # Gson drops a null member
    assert "end_time" not in body and body["uri"].endswith(f"/Calls/{call_id}.json")
    assert root.tag == "RestcommResponse" and texts(root[0])["From"] == leg.from_  # no XStream wrapper
    assert malformed.body == b""


async def test_telnyx_serves_only_the_fields_it_documents(world: World) -> None:
    _, sid = a_caller(world)
    async with served(world, "telnyx") as wire:
        body = (await wire("GET", f"/Calls/{sid}", 200)).json()
    assert set(body) <= set(TELNYX_JSON) | {"price", "price_unit"}  # its example, and its model's price
    assert body["uri"] == f"/v2/texml/Accounts/{world.account_sid}/Calls/{sid}.json"  # as its example has it


@pytest.mark.parametrize("name", list(dialects.NAMES))
async def test_an_unknown_call_is_a_404_in_the_dialects_error_shape(world: World, name: str) -> None:
    path = f"/Calls/{world.instance_id}-{NOBODY}" if name == "restcomm" else f"/Calls/{NOBODY}"
    async with served(world, name) as wire:
        reply = await wire("GET", path + (".json" if name in ("twilio2010", "signalwire") else ""), 404)
    d = dialects.get(name)
    wire_error = d.parse_error(reply.body)
    if name == "restcomm":
        assert reply.body == b""  # a bare status
    elif name == "twilio2008":
        assert texts(reply.xml()[0])["Status"] == "404"
    else:
        assert wire_error.code == 20404 and wire_error.message.startswith("The requested resource")


@pytest.mark.parametrize(("name", "suffix"), [("twilio2010", ".json"), ("twilio2008", "")])
async def test_calls_are_read_only_here(world: World, name: str, suffix: str) -> None:
    _, sid = a_caller(world)
    async with served(world, name) as wire:
        await wire("POST", f"/Calls/{sid}{suffix}", 405, data={"Status": "completed"})
        await wire("DELETE", f"/Calls/{sid}{suffix}", 405)
    assert world.call(sid).present


def test_traffic_callers_dial_their_rooms_number_and_the_lookup_names_some(world: World) -> None:
    legs = [
        (room.sid, world.call(p.call_sid))
        for room in world.conferences()
        for p in world.participants(room.sid)  # the live ones; completed rooms keep theirs departed
    ]
    assert len(legs) > 20
    assert all(leg.to == names.dial_in_number(sid) and leg.direction == "inbound" for sid, leg in legs)
    assert all(leg.caller_name is None for _, leg in legs if not leg.from_.startswith("+"))  # client: identities
    named = [leg.caller_name for _, leg in legs if leg.caller_name]
    assert 0 < len(named) < len(legs)
    assert new_world(rooms=14).call(legs[0][1].participant.call_sid) == legs[0][1]  # seeded: the same again
    made = world.create_participant("Dialled out", from_=FROM, to=TO)
    assert (world.call(made.call_sid).direction, world.call(made.call_sid).to) == ("outbound-api", TO)
