"""RestComm-Connect 2012-04-24 over real HTTP on loopback: its documented shapes and its quirks."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from confmon.clock import FrozenClock
from confmon.model import ConferenceStatus
from confmon.sim.server import SimServer
from confmon.sim.world import World
from tests.test_sim_wire_support import AC, FROM, TO, Wire, basic, busy_sid, served, tags, texts, wire_example

CALL_ID = re.compile(r"ID[0-9a-f]{32}-CA[0-9a-f]{32}")
RESTCOMM_DATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [1-9]\d? [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$")
JSON_ACCEPT = {"Accept": "application/json"}
# Reference §1.3 and §1.4: the XML element orders (the converters write them in this order).
CONFERENCE_ELEMENTS = ["Sid", "DateCreated", "DateUpdated", "AccountSid", "Status", "ApiVersion", "FriendlyName",
                       "Uri", "SubresourceUris"]  # fmt: skip
CALL_ELEMENTS = ["Sid", "ConferenceSid", "DateCreated", "DateUpdated", "AccountSid", "Muted", "Hold",
                 "StartConferenceOnEnter", "EndConferenceOnEnter", "Uri"]  # fmt: skip
CALL_KEYS = ["sid", "date_created", "date_updated", "account_sid", "muted", "hold", "start_conference_on_enter",
             "end_conference_on_enter", "uri"]  # fmt: skip
LIST_ATTRIBUTES = ["page", "numpages", "pagesize", "total", "start", "end", "uri", "firstpageuri",
                   "previouspageuri", "nextpageuri", "lastpageuri"]  # fmt: skip
START = datetime(2017, 3, 5, 10, 10, 57, tzinfo=UTC).timestamp()  # a day below 10: no leading zero


@pytest.fixture
def world() -> World:
    return World(11, FrozenClock(START), AC, target_rooms=14, traffic=False)


def documented() -> dict:
    return json.loads(wire_example("restcomm_conferences.json"))


def rooms_of_every_status(world: World) -> dict[str, str]:
    """SIDs of a waiting room, a room whose moderator left, and one with its moderator present."""
    waiting = world.create_participant("Waiting", from_=FROM, to=TO, start_conference_on_enter=False)
    host = world.create_participant("Absent", from_=FROM, to=TO, label="host")
    world.create_participant(host.conference_sid, from_=FROM, to=TO, start_conference_on_enter=False)
    world.remove_participant(host.conference_sid, "host", reason="left")
    present = world.create_participant("Present", from_=FROM, to=TO)
    return {
        "RUNNING_INITIALIZING": waiting.conference_sid,
        "RUNNING_MODERATOR_ABSENT": host.conference_sid,
        "RUNNING_MODERATOR_PRESENT": present.conference_sid,
    }


async def all_conferences(wire: Wire, query: str = "") -> list[dict]:
    return (await wire("GET", f"/Conferences.json?PageSize=1000{query}", 200)).json()["conferences"]


# -- formats


async def test_xml_by_default_json_by_suffix_on_any_segment_or_by_accept(world: World) -> None:
    sid = busy_sid(world)
    async with served(world, "restcomm") as wire:
        assert (await wire("GET", f"/Conferences/{sid}", 200)).xml().tag == "RestcommResponse"
        for path in (f"/Conferences/{sid}.json", f"/Conferences.json/{sid}"):
            assert (await wire("GET", path, 200)).json()["sid"] == sid
        assert (await wire("GET", f"/Conferences/{sid}", 200, headers=JSON_ACCEPT)).json()["sid"] == sid
        odd = (await wire("GET", f"/Conferences.json/{sid}/Participants.json", 200)).json()  # the SDK's shape
    assert len(odd["calls"]) == len(world.participants(sid))


# -- conferences


async def test_the_conference_list_has_the_documented_json_shape(world: World) -> None:
    example = documented()
    async with served(world, "restcomm") as wire:
        body = (await wire("GET", "/Conferences.json?PageSize=1", 200)).json()
    assert list(body) == list(example)  # page, num_pages, page_size, total, limit, start, end, uri, …, conferences
    assert [type(body[k]) for k in body] == [type(example[k]) for k in example]  # start and end are strings
    conference = body["conferences"][0]
    assert list(conference) == list(example["conferences"][0])
    assert list(conference["subresource_uris"]) == ["participants"]
    total = len(world.conferences())
    assert (body["page"], body["num_pages"], body["page_size"], body["total"]) == (0, total // 1, 1, total)
    assert body["limit"] == 10000 and body["previous_page_uri"] == "null"
    path = f"/2012-04-24/Accounts/{AC}/Conferences"  # no /restcomm, no .json
    assert body["uri"] == path
    assert body["first_page_uri"] == f"{path}?Page=0&PageSize=1&Limit=10000"
    assert body["next_page_uri"].startswith(f"{path}?Page=1&PageSize=1&Limit=10000&AfterSid=CF")
    assert body["last_page_uri"] == f"{path}?Page={total}&PageSize=1&Limit=10000"
    assert conference["api_version"] == "2012-04-24"
    assert conference["uri"] == f"{path}/{conference['sid']}.json"
    assert conference["subresource_uris"]["participants"] == f"{path}/{conference['sid']}/Participants.json"


async def test_dates_have_no_leading_zero_on_the_day(world: World) -> None:
    sid = world.create_participant("Fifth of March", from_=FROM, to=TO).conference_sid
    async with served(world, "restcomm") as wire:
        body = (await wire("GET", f"/Conferences/{sid}.json", 200)).json()
        listed = await all_conferences(wire)
    assert body["date_created"] == "Sun, 5 Mar 2017 10:10:57 +0000"
    assert all(RESTCOMM_DATE.match(c["date_created"]) and RESTCOMM_DATE.match(c["date_updated"]) for c in listed)


async def test_statuses_tell_whether_a_moderator_is_present(world: World) -> None:
    expected = rooms_of_every_status(world)
    async with served(world, "restcomm") as wire:
        by_sid = {c["sid"]: c["status"] for c in await all_conferences(wire)}
        running = {c["sid"] for c in await all_conferences(wire, "&Status=RUNNING%25")}
        present = {c["sid"] for c in await all_conferences(wire, "&Status=RUNNING_MODERATOR_PRESENT")}
        done = {c["sid"] for c in await all_conferences(wire, "&Status=COMPLETED")}
        pattern = {c["sid"] for c in await all_conferences(wire, "&Status=RUNNING_MODERATOR_%25")}
    for status, sid in expected.items():
        assert by_sid[sid] == status
    assert set(by_sid.values()) == {*expected, "COMPLETED"}
    live = {c.sid for c in world.conferences() if c.status != ConferenceStatus.COMPLETED}
    assert running == live and done == {c.sid for c in world.conferences()} - live
    assert present == {s for s in live if world.moderator_present(s)}
    assert expected["RUNNING_MODERATOR_PRESENT"] in present
    assert pattern == running - {expected["RUNNING_INITIALIZING"]}


async def test_friendly_name_and_date_filters(world: World) -> None:
    sid = world.create_participant("Board sync 42", from_=FROM, to=TO).conference_sid
    async with served(world, "restcomm") as wire:
        exact = await all_conferences(wire, "&FriendlyName=Board sync 42")
        wild = await all_conferences(wire, "&FriendlyName=Board%25")
        since = await all_conferences(wire, "&DateCreated=2017-03-05")
        until = await all_conferences(wire, "&DateUpdated=2017-03-01")
        await wire("GET", "/Conferences.json?DateCreated=5 March", 400)
    assert [c["sid"] for c in exact] == [sid]
    assert sid in {c["sid"] for c in wild}
    created = {c.sid for c in world.conferences() if c.date_created.date().isoformat() >= "2017-03-05"}
    assert {c["sid"] for c in since} == created
    updated = {c.sid for c in world.conferences() if c.date_updated.date().isoformat() <= "2017-03-01"}
    assert {c["sid"] for c in until} == updated


async def test_paging_quirks_num_pages_string_ends_null_links_and_overflow(world: World) -> None:
    total = len(world.conferences())
    size = 4
    async with served(world, "restcomm") as wire:
        seen: list[str] = []
        pages = []
        uri: str | None = f"{wire.account}/Conferences?PageSize={size}"
        while uri and uri != "null":
            # The links leave out /restcomm and .json: the client puts them back.
            body = (await wire("GET", uri, 200, absolute=True, headers=JSON_ACCEPT)).json()
            pages.append(body)
            seen += [c["sid"] for c in body["conferences"]]
            uri = None if body["next_page_uri"] == "null" else "/restcomm" + body["next_page_uri"]
        overflow = await wire("GET", f"/Conferences.json?PageSize={size}&Page={total // size + 1}", 400)
    assert len(seen) == len(set(seen)) == total
    assert all(p["num_pages"] == total // size for p in pages)
    assert len(pages) == total // size + 1
    for body in pages[:-1]:  # inclusive end on a page that is not the last
        assert (body["start"], body["end"]) == (str(body["page"] * size), str(body["page"] * size + size - 1))
    last = pages[-1]
    assert last["end"] == str(last["page"] * size + len(last["conferences"]))  # exclusive on the last
    assert last["next_page_uri"] == "null" and pages[0]["previous_page_uri"] == "null"
    assert overflow.body == b""


async def test_conference_xml_is_wrapped_in_an_object_element(world: World) -> None:
    sid = busy_sid(world)
    async with served(world, "restcomm") as wire:
        one = (await wire("GET", f"/Conferences/{sid}", 200)).xml()
        listing = (await wire("GET", "/Conferences?PageSize=3", 200)).xml()
    assert tags(one) == ["object"]
    assert one[0].attrib == {"class": "org.restcomm.connect.dao.entities.ConferenceDetailRecord"}
    conference = one[0][0]
    assert conference.tag == "Conference" and tags(conference) == CONFERENCE_ELEMENTS
    values = texts(conference)
    assert values["Uri"] == f"/2012-04-24/Accounts/{AC}/Conferences/{sid}"  # XML: no .json
    assert values["Status"] == "RUNNING_MODERATOR_PRESENT"
    assert tags(listing) == ["object"]
    assert listing[0].attrib == {"class": "org.restcomm.connect.dao.entities.ConferenceDetailRecordList"}
    envelope = listing[0][0]
    assert envelope.tag == "Conferences" and list(envelope.attrib) == LIST_ATTRIBUTES
    pages = len(world.conferences()) // 3
    assert envelope.attrib["numpages"] == envelope.attrib["total"] == str(pages)  # sic: total is the page count
    assert envelope.attrib["previouspageuri"] == "null" and len(envelope) == 3


# -- participants


async def test_participants_are_calls_with_instance_prefixed_ids(world: World) -> None:
    sid = busy_sid(world)
    people = world.participants(sid)
    async with served(world, "restcomm") as wire:
        body = (await wire("GET", f"/Conferences/{sid}/Participants.json?PageSize=1", 200)).json()
        xml = (await wire("GET", f"/Conferences/{sid}/Participants", 200)).xml()
        nobody = (await wire("GET", f"/Conferences/CF{'0' * 32}/Participants.json", 200)).json()
        await wire("GET", f"/Conferences/{sid}/Participants.json?PageSize=1&Page={len(people) + 1}", 400)
    assert "participants" not in body and len(body["calls"]) == len(people)  # not really paged
    assert body["num_pages"] == len(people) and body["total"] == len(people)
    for call, person in zip(body["calls"], people, strict=True):
        assert list(call) == CALL_KEYS  # no conference_sid in JSON (its bug), end_conference_on_enter (sic)
        assert CALL_ID.fullmatch(call["sid"]) and len(call["sid"]) == 69
        assert call["sid"] == f"{world.instance_id}-{person.call_sid}"
        assert (call["muted"], call["hold"]) == (person.muted, person.hold)
        assert call["end_conference_on_enter"] == person.end_conference_on_exit
        assert call["uri"] == f"/2012-04-24/Accounts/{AC}/Calls/{call['sid']}.json"  # Calls, not Participants
    assert tags(xml) == ["Calls"] and list(xml[0].attrib) == LIST_ATTRIBUTES
    assert [tags(c) for c in xml[0]] == [CALL_ELEMENTS] * len(people)
    assert {texts(c)["ConferenceSid"] for c in xml[0]} == {sid}
    assert nobody["calls"] == [] and nobody["total"] == 0


async def test_a_participant_is_found_by_its_call_whatever_room_the_path_names(world: World) -> None:
    sid = busy_sid(world)
    other = next(c.sid for c in world.conferences() if c.sid != sid)
    person = world.participants(sid)[0]
    call_id = f"{world.instance_id}-{person.call_sid}"
    async with served(world, "restcomm") as wire:
        here = (await wire("GET", f"/Conferences/{sid}/Participants/{call_id}.json", 200)).json()
        there = (await wire("GET", f"/Conferences/{other}/Participants/{call_id}.json", 200)).json()
        xml = (await wire("GET", f"/Conferences/{other}/Participants/{call_id}", 200)).xml()
        unknown = await wire("GET", f"/Conferences/{sid}/Participants/ID{'1' * 32}-CA{'2' * 32}", 404)
        malformed = await wire("GET", f"/Conferences/{sid}/Participants/CA-short", 400)
    assert here == there and here["sid"] == call_id
    assert texts(xml[0])["ConferenceSid"] == sid
    assert unknown.body == malformed.body == b""


# -- actions


@pytest.mark.parametrize(("sent", "muted"), [({"Mute": "true"}, True), ({"Mute": "TRUE"}, True),
                                             ({"Mute": "false"}, False), ({"Mute": "1"}, False),
                                             ({"Mute": "yes"}, False), ({}, False)])  # fmt: skip
async def test_mute_answers_the_state_before_the_change(world: World, sent: dict, muted: bool) -> None:
    sid = busy_sid(world)
    person = world.participants(sid)[1]
    world.update_participant(sid, person.call_sid, muted=not muted)
    call_id = f"{world.instance_id}-{person.call_sid}"
    async with served(world, "restcomm") as wire:
        answer = await wire("POST", f"/Conferences/{sid}/Participants/{call_id}", 200, data=sent, headers=JSON_ACCEPT)
        body = answer.json()
    assert body["muted"] is (not muted)  # stale: the value before
    assert world.participant(sid, person.call_sid).muted is muted


async def test_mute_in_xml_and_through_the_sdks_odd_url(world: World) -> None:
    sid = busy_sid(world)
    person = world.participants(sid)[0]
    world.update_participant(sid, person.call_sid, muted=False)
    call_id = f"{world.instance_id}-{person.call_sid}"
    async with served(world, "restcomm") as wire:
        xml = (await wire("POST", f"/Conferences/{sid}/Participants/{call_id}", 200, data={"Mute": "true"})).xml()
        assert tags(xml) == ["Call"] and tags(xml[0]) == CALL_ELEMENTS and texts(xml[0])["Muted"] == "false"
        assert world.participant(sid, person.call_sid).muted
        odd = f"/Conferences.json/{sid}/Participants.json/{call_id}"
        assert (await wire("POST", odd, 200, data={"Mute": "false"})).json()["muted"] is True
    assert not world.participant(sid, person.call_sid).muted


async def test_mute_refuses_unknown_and_malformed_calls_and_ignores_hold(world: World) -> None:
    sid = busy_sid(world)
    person = world.participants(sid)[0]
    call_id = f"{world.instance_id}-{person.call_sid}"
    mute = {"Mute": "true"}
    async with served(world, "restcomm") as wire:
        foreign = await wire("POST", f"/Conferences/{sid}/Participants/ID{'1' * 32}-{person.call_sid}", 406, data=mute)
        gone = f"{world.instance_id}-CA{'3' * 32}"
        ours_gone = await wire("POST", f"/Conferences/{sid}/Participants/{gone}", 406, data=mute)
        malformed = await wire("POST", f"/Conferences/{sid}/Participants/{person.call_sid}x", 400, data=mute)
        await wire("POST", f"/Conferences/{sid}/Participants/{call_id}", 200, data={"Mute": "false", "Hold": "true"})
        not_allowed = await wire("DELETE", f"/Conferences/{sid}/Participants/{call_id}", 405)
    assert foreign.body == ours_gone.body == malformed.body == not_allowed.body == b""
    assert not world.participant(sid, person.call_sid).hold  # hold is read-only here


async def test_kick_through_calls_answers_the_call_before_it_hung_up(world: World) -> None:
    sid = busy_sid(world)
    person = next(p for p in world.participants(sid) if not p.end_conference_on_exit)
    call_id = f"{world.instance_id}-{person.call_sid}"
    async with served(world, "restcomm") as wire:
        body = (await wire("POST", f"/Calls/{call_id}", 200, data={"Status": "completed"}, headers=JSON_ACCEPT)).json()
        again = await wire("POST", f"/Calls/{call_id}", 410, data={"Status": "completed"})
        unknown = await wire("POST", f"/Calls/{world.instance_id}-CA{'4' * 32}", 404, data={"Status": "completed"})
        bad = await wire("POST", f"/Calls/{call_id}", 400, data={"Status": "paused"})
    assert body["sid"] == call_id and body["status"] == "in-progress" and body["InstanceId"] == world.instance_id
    assert body["uri"] == f"/2012-04-24/Accounts/{AC}/Calls/{call_id}.json"
    assert person.call_sid not in {p.call_sid for p in world.participants(sid)}
    assert again.body == b"Call is already completed." and again.content_type == "text/plain"
    assert unknown.body == bad.body == b""


async def test_kick_in_xml_and_its_unmute_first(world: World) -> None:
    sid = busy_sid(world)
    person = next(p for p in world.participants(sid) if not p.end_conference_on_exit)
    world.update_participant(sid, person.call_sid, muted=True)
    heard: list[str] = []
    world.listeners.append(lambda event: heard.append(event.kind))
    call_id = f"{world.instance_id}-{person.call_sid}"
    async with served(world, "restcomm") as wire:
        xml = (await wire("POST", f"/Calls/{call_id}", 200, data={"Status": "completed"})).xml()
    assert tags(xml) == ["Call"] and texts(xml[0])["Sid"] == call_id and texts(xml[0])["Status"] == "in-progress"
    assert heard[:2] == ["participant-unmute", "participant-leave"]  # Mute is read (absent: false) before the hang-up


async def test_there_is_no_api_to_end_a_room(world: World) -> None:
    sid = busy_sid(world)
    async with served(world, "restcomm") as wire:
        for method in ("POST", "PUT", "DELETE"):
            refused = await wire(method, f"/Conferences/{sid}", 405, data={"Status": "completed"})
            assert refused.body == b""
        await wire("POST", "/Conferences", 405)
    assert world.conference(sid).status == ConferenceStatus.IN_PROGRESS


# -- errors and authentication


async def test_errors_are_bare_statuses(world: World) -> None:
    async with served(world, "restcomm") as wire:
        missing = await wire("GET", f"/Conferences/CF{'0' * 32}.json", 404)
        unrouted = await wire("GET", "/Recordings.json", 404)
        other = await wire("GET", f"/restcomm/2012-04-24/Accounts/AC{'9' * 32}/Conferences", 404, absolute=True)
        async with wire.session.get(f"{wire.account}/Conferences.json", headers=basic(AC, "wrong")) as response:
            refused = response.status, response.headers["WWW-Authenticate"], await response.read()
        wire.server.faults.fail_next(1, status=429, retry_after=2)
        throttled = await wire("GET", "/Conferences", 429)
    assert missing.body == unrouted.body == other.body == b""
    assert refused == (401, 'Basic realm="Restcomm realm"', b"")
    assert throttled.body == b"" and throttled.headers["Retry-After"] == "2"


async def test_the_password_may_be_the_token_or_anything_whose_md5_it_is() -> None:
    account_password = "correct horse"
    world = World(3, FrozenClock(START), AC, target_rooms=2, traffic=False)
    token = hashlib.md5(account_password.encode()).hexdigest()  # how RestComm derives the auth token
    server = SimServer(world, auth_token=token, dialect="restcomm")
    await server.start()
    try:
        async with aiohttp.ClientSession(server.base_url) as session:
            path = f"/restcomm/2012-04-24/Accounts/{AC}/Conferences.json"
            for password, status in ((token, 200), (account_password, 200), ("nope", 401)):
                async with session.get(path, headers=basic(AC, password)) as response:
                    assert response.status == status
            async with session.get(path, headers=basic("someone@example.com", token)) as response:
                assert response.status == 401
    finally:
        await server.stop()


async def test_next_page_links_drop_the_filters(world: World) -> None:
    async with served(world, "restcomm") as wire:
        body = (await wire("GET", "/Conferences.json?PageSize=1&Status=COMPLETED", 200)).json()
    query = parse_qs(urlsplit(body["next_page_uri"]).query)
    assert "Status" not in query and query["Page"] == ["1"]
