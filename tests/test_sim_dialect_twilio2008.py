"""Twilio's legacy 2008-08-01 API, XML only, over real HTTP on loopback, against its documented examples."""

from __future__ import annotations

import math
from email.utils import parsedate_to_datetime

import pytest

from confmon.model import ConferenceStatus
from confmon.sim.world import World
from tests.test_sim_wire_support import (
    AC,
    FROM,
    RFC2822,
    TO,
    basic,
    busy_sid,
    live_sid,
    new_world,
    parse,
    served,
    tags,
    texts,
    wire_example,
)

LIST_ATTRIBUTES = [
    "page", "numpages", "pagesize", "total", "start", "end", "uri", "firstpageuri", "previouspageuri",
    "nextpageuri", "lastpageuri",
]  # fmt: skip


@pytest.fixture
def world() -> World:
    return new_world(rooms=14)


async def test_a_conference_is_the_documented_element(world: World) -> None:
    documented = parse(wire_example("twilio2008_conference.xml"))
    sid = live_sid(world)
    async with served(world, "twilio2008") as wire:
        reply = await wire("GET", f"/Conferences/{sid}", 200)
        suffixed = await wire("GET", f"/Conferences/{sid}.xml", 200)
    root = reply.xml()
    assert tags(root) == tags(documented) == ["Conference"]
    assert tags(root[0]) == tags(documented[0])  # Sid AccountSid FriendlyName Status DateCreated DateUpdated
    values = texts(root[0])
    assert (values["Sid"], values["AccountSid"], values["Status"]) == (sid, AC, "1")
    assert RFC2822.match(values["DateCreated"] or "") and RFC2822.match(values["DateUpdated"] or "")
    assert suffixed.body == reply.body


async def test_statuses_are_numbers(world: World) -> None:
    world.create_participant("Waiting room", from_=FROM, to=TO, start_conference_on_enter=False)  # init
    async with served(world, "twilio2008") as wire:
        envelope = (await wire("GET", "/Conferences?num=1000", 200)).xml()[0]
    numbers = {"init": "0", "in-progress": "1", "completed": "2"}
    assert {texts(c)["Sid"]: texts(c)["Status"] for c in envelope} == {
        c.sid: numbers[c.status] for c in world.conferences()
    }
    assert {"0", "1", "2"} <= {texts(c)["Status"] for c in envelope}


async def test_the_list_is_the_documented_envelope_newest_update_first(world: World) -> None:
    documented = parse(wire_example("twilio2008_conferences.xml"))[0]
    total = len(world.conferences())
    async with served(world, "twilio2008") as wire:
        envelope = (await wire("GET", "/Conferences?num=4", 200)).xml()[0]
    assert envelope.tag == documented.tag == "Conferences"
    assert list(envelope.attrib)[:6] == list(documented.attrib) == LIST_ATTRIBUTES[:6]
    assert list(envelope.attrib) == LIST_ATTRIBUTES
    a = envelope.attrib
    assert (a["page"], a["pagesize"], a["total"], a["start"], a["end"]) == ("0", "4", str(total), "0", "3")
    assert a["numpages"] == str(math.ceil(total / 4))
    path = f"/2008-08-01/Accounts/{AC}/Conferences"
    assert a["uri"] == a["firstpageuri"] == f"{path}?Page=0&num=4"
    assert a["previouspageuri"] == "" and a["nextpageuri"] == f"{path}?Page=1&num=4"
    assert a["lastpageuri"] == f"{path}?Page={math.ceil(total / 4) - 1}&num=4"
    assert [tags(c) for c in envelope] == [tags(documented[0])] * 4
    updated = [parsedate_to_datetime(texts(c)["DateUpdated"] or "") for c in envelope]
    assert updated == sorted(updated, reverse=True)


async def test_num_and_page_walk_the_list_and_nextpageuri_keeps_the_filter(world: World) -> None:
    live = {c.sid for c in world.conferences() if c.status == ConferenceStatus.IN_PROGRESS}
    async with served(world, "twilio2008") as wire:
        seen: list[str] = []
        uri = f"{wire.account}/Conferences?Status=1&num=3"
        while uri:
            envelope = (await wire("GET", uri, 200, absolute=True)).xml()[0]
            seen += [texts(c)["Sid"] or "" for c in envelope]
            assert int(envelope.attrib["end"]) == int(envelope.attrib["start"]) + len(envelope) - 1  # inclusive
            uri = envelope.attrib["nextpageuri"]
        past = (await wire("GET", "/Conferences?num=3&Page=99", 200)).xml()[0]
    assert len(seen) == len(set(seen)) and set(seen) == live
    assert len(past) == 0


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("Status=0", lambda c: c.status == "init"),
        ("Status=2", lambda c: c.status == "completed"),
        ("DateCreated>=2025-11-24", lambda c: c.date_created.date().isoformat() >= "2025-11-24"),
        ("DateCreated<=2025-11-23", lambda c: c.date_created.date().isoformat() <= "2025-11-23"),
    ],
)
async def test_filters(world: World, query: str, keep) -> None:
    async with served(world, "twilio2008") as wire:
        envelope = (await wire("GET", f"/Conferences?num=1000&{query}", 200)).xml()[0]
    assert {texts(c)["Sid"] for c in envelope} == {c.sid for c in world.conferences() if keep(c)}


async def test_friendly_name_is_an_exact_match(world: World) -> None:
    room = world.conference(live_sid(world))
    async with served(world, "twilio2008") as wire:
        envelope = (await wire("GET", "/Conferences", 200, params={"FriendlyName": room.friendly_name})).xml()[0]
        nothing = (await wire("GET", "/Conferences", 200, params={"FriendlyName": room.friendly_name[:-1]})).xml()[0]
    assert [texts(c)["Sid"] for c in envelope] == [room.sid] and len(nothing) == 0


async def test_participants_are_the_documented_elements_with_1_0_and_true_false(world: World) -> None:
    documented = parse(wire_example("twilio2008_participants.xml"))[0]
    sid = busy_sid(world)
    people = world.participants(sid)
    async with served(world, "twilio2008") as wire:
        envelope = (await wire("GET", f"/Conferences/{sid}/Participants", 200)).xml()[0]
        one = (await wire("GET", f"/Conferences/{sid}/Participants/{people[0].call_sid}", 200)).xml()
        muted_only = (await wire("GET", f"/Conferences/{sid}/Participants?Muted=true", 200)).xml()[0]
    assert envelope.tag == "Participants" and list(envelope.attrib)[:6] == list(documented.attrib)
    assert [tags(p) for p in envelope] == [tags(documented[0])] * len(people)
    assert tags(one[0]) == tags(parse(wire_example("twilio2008_participant.xml"))[0])
    for element, person in zip(envelope, people, strict=True):
        values = texts(element)
        assert (values["ConferenceSid"], values["AccountSid"], values["CallSid"]) == (sid, AC, person.call_sid)
        assert values["Muted"] == ("true" if person.muted else "false")
        assert values["StartConferenceOnEnter"] == ("1" if person.start_conference_on_enter else "0")
        assert values["EndConferenceOnExit"] == ("1" if person.end_conference_on_exit else "0")
    assert {texts(p)["CallSid"] for p in muted_only} == {p.call_sid for p in people if p.muted}


@pytest.mark.parametrize(("sent", "muted"), [("true", True), ("1", True), ("TRUE", True), ("false", False),
                                             ("0", False), ("yes", False)])  # fmt: skip
async def test_mute_and_unmute_by_posting_muted(world: World, sent: str, muted: bool) -> None:
    documented = parse(wire_example("twilio2008_participant_muted.xml"))[0]
    sid = busy_sid(world)
    who = world.participants(sid)[1]
    world.update_participant(sid, who.call_sid, muted=not muted)
    async with served(world, "twilio2008") as wire:
        reply = (await wire("POST", f"/Conferences/{sid}/Participants/{who.call_sid}", 200, data={"Muted": sent})).xml()
    assert tags(reply[0]) == tags(documented)
    assert texts(reply[0])["Muted"] == ("true" if muted else "false")
    assert world.participant(sid, who.call_sid).muted is muted


async def test_kick_is_a_delete_with_no_body(world: World) -> None:
    sid = busy_sid(world)
    who = world.participants(sid)[-1].call_sid
    async with served(world, "twilio2008") as wire:
        kicked = await wire("DELETE", f"/Conferences/{sid}/Participants/{who}", 204)
        gone = (await wire("GET", f"/Conferences/{sid}/Participants/{who}", 404)).xml()
    assert kicked.body == b""
    assert who not in {p.call_sid for p in world.participants(sid)}
    assert texts(gone[0])["Status"] == "404"


async def test_there_is_no_ending_a_room_and_no_hold(world: World) -> None:
    sid = busy_sid(world)
    who = world.participants(sid)[0].call_sid
    async with served(world, "twilio2008") as wire:
        for method in ("POST", "PUT", "DELETE"):
            refused = (await wire(method, f"/Conferences/{sid}", 405, data={"Status": "completed"})).xml()
            assert texts(refused[0]) == {"Status": "405", "Message": "Method not allowed"}
        await wire("POST", f"/Conferences/{sid}/Participants", 405, data={"From": "+1", "To": "+2"})
        held = (await wire("POST", f"/Conferences/{sid}/Participants/{who}", 400, data={"Hold": "true"})).xml()
        bare = (await wire("POST", f"/Conferences/{sid}/Participants/{who}", 400, data={})).xml()
    assert world.conference(sid).status == ConferenceStatus.IN_PROGRESS
    assert not world.participant(sid, who).hold
    assert "Hold" in (texts(held[0])["Message"] or "") and "Muted" in (texts(bare[0])["Message"] or "")


async def test_errors_are_rest_exceptions_with_a_code_on_400_only(world: World) -> None:
    async with served(world, "twilio2008") as wire:
        missing = (await wire("GET", "/Conferences/CF" + "0" * 32, 404)).xml()
        invalid = (await wire("GET", "/Conferences?Status=7", 400)).xml()
        json_path = (await wire("GET", "/Conferences.json", 404)).xml()
        async with wire.session.get(f"{wire.account}/Conferences", headers=basic(AC, "wrong")) as response:
            refused = response.status, response.headers["WWW-Authenticate"], parse(await response.read())
        other = (await wire("GET", f"/2008-08-01/Accounts/AC{'9' * 32}/Conferences", 404, absolute=True)).xml()
    assert tags(missing) == ["RestException"] and tags(missing[0]) == ["Status", "Message"]
    assert tags(invalid[0]) == ["Status", "Message", "Code", "MoreInfo"]
    assert texts(invalid[0])["MoreInfo"] == "http://www.twilio.com/docs/errors/20001"
    assert texts(json_path[0])["Status"] == "404" and texts(other[0])["Status"] == "404"
    assert refused[0] == 401 and refused[1] == 'Basic realm="Twilio API"'
    assert texts(refused[2][0]) == {"Status": "401", "Message": "Authenticate"}


async def test_api_keys_came_with_2010(world: World) -> None:
    key = ("SK" + "fedcba9876543210" * 2, "key-secret")
    async with (
        served(world, "twilio2008", api_key=key) as wire,
        wire.session.get(f"{wire.account}/Conferences", headers=basic(*key)) as response,
    ):
        assert response.status == 401
