"""The 2010 API's XML (no suffix, or `.xml`) beside its JSON (`.json`), over real HTTP on loopback."""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qs, urlsplit

from confmon.sim.world import World
from tests.test_sim_wire_support import (
    AC,
    FROM,
    RFC2822,
    TO,
    attribute_names,
    basic,
    busy_sid,
    in_order,
    live_sid,
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


def pascal(key: str) -> str:
    return "".join(word.capitalize() for word in key.split("_"))


def xml_value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def test_no_suffix_and_xml_answer_xml_and_json_answers_json(world: World) -> None:
    async with served(world, "twilio2010") as wire:
        bare = (await wire("GET", "/Conferences?PageSize=1000", 200)).xml()
        dotted = (await wire("GET", "/Conferences.xml?PageSize=1000", 200)).xml()
        listed = (await wire("GET", "/Conferences.json?PageSize=1000", 200)).json()
    assert bare.tag == dotted.tag == "TwilioResponse"
    assert tags(bare) == ["Conferences"]
    sids = [texts(c)["Sid"] for c in bare[0]]
    assert sids == [texts(c)["Sid"] for c in dotted[0]] == [c["sid"] for c in listed["conferences"]]
    assert set(tags(bare[0])) == {"Conference"}


async def test_the_list_element_carries_the_documented_paging_attributes(world: World) -> None:
    published = re.search(r"<Participants [^>]*>", wire_example("twilio2010_participants.as-published.txt"))
    assert published is not None
    total = len(world.conferences())
    async with served(world, "twilio2010") as wire:
        envelope = (await wire("GET", "/Conferences?PageSize=5", 200)).xml()[0]
    assert list(envelope.attrib) == attribute_names(published.group(0)) == LIST_ATTRIBUTES
    a = envelope.attrib
    path = f"/2010-04-01/Accounts/{AC}/Conferences"
    assert (a["page"], a["pagesize"], a["total"], a["start"], a["end"]) == ("0", "5", str(total), "0", "4")
    assert a["numpages"] == str(math.ceil(total / 5))
    # The documented form: no suffix, Page before PageSize, an absent link an empty attribute.
    assert a["uri"] == a["firstpageuri"] == f"{path}?Page=0&PageSize=5"
    assert a["previouspageuri"] == ""
    assert a["nextpageuri"].startswith(f"{path}?Page=1&PageSize=5&PageToken=PA")
    assert a["lastpageuri"].startswith(f"{path}?Page={math.ceil(total / 5) - 1}&PageSize=5&PageToken=PA")


async def test_following_nextpageuri_walks_every_room_once_and_lastpageuri_is_the_last_page(world: World) -> None:
    async with served(world, "twilio2010") as wire:
        every = [c["sid"] for c in (await wire("GET", "/Conferences.json?PageSize=1000", 200)).json()["conferences"]]
        seen: list[str] = []
        uri = f"{wire.account}/Conferences?PageSize=4"
        last_uri = None
        while uri:
            envelope = (await wire("GET", uri, 200, absolute=True)).xml()[0]
            seen += [texts(c)["Sid"] or "" for c in envelope]
            last_uri = envelope.attrib["lastpageuri"]
            uri = envelope.attrib["nextpageuri"]
        last = (await wire("GET", last_uri or "", 200, absolute=True)).xml()[0]
    assert seen == every
    assert [texts(c)["Sid"] for c in last] == every[-len(last) :]
    assert last.attrib["nextpageuri"] == ""


async def test_a_participant_in_xml_has_the_documented_elements_in_order(world: World) -> None:
    documented = tags(parse(wire_example("twilio2010_participant.xml"))[0])
    sid = busy_sid(world)
    who = world.participants(sid)[0].call_sid
    async with served(world, "twilio2010") as wire:
        element = (await wire("GET", f"/Conferences/{sid}/Participants/{who}", 200)).xml()[0]
        as_json = (await wire("GET", f"/Conferences/{sid}/Participants/{who}.json", 200)).json()
    assert element.tag == "Participant"
    assert in_order(documented, tags(element)), (documented, tags(element))
    assert tags(element)[:3] == ["CallSid", "ConferenceSid", "AccountSid"]
    assert set(tags(element)) == {pascal(k) for k in as_json}
    values = texts(element)
    for key, value in as_json.items():
        expected = value.removesuffix(".json") if key == "uri" else value
        assert values[pascal(key)] == xml_value(expected), key
    assert values["Uri"] == f"/2010-04-01/Accounts/{AC}/Conferences/{sid}/Participants/{who}"
    assert RFC2822.match(values["DateCreated"] or "")


async def test_a_conference_in_xml_mirrors_its_json(world: World) -> None:
    sid = live_sid(world)
    async with served(world, "twilio2010") as wire:
        element = (await wire("GET", f"/Conferences/{sid}", 200)).xml()[0]
        as_json = (await wire("GET", f"/Conferences/{sid}.json", 200)).json()
    assert element.tag == "Conference"
    assert tags(element)[:6] == ["Sid", "AccountSid", "FriendlyName", "Status", "DateCreated", "DateUpdated"]
    assert set(tags(element)) == {pascal(k) for k in as_json}
    values = texts(element)
    assert values["Status"] == "in-progress" and values["ReasonConferenceEnded"] is None
    assert values["Uri"] == as_json["uri"].removesuffix(".json")
    links = element.find("SubresourceUris")
    assert links is not None and texts(links) == {
        "Participants": f"/2010-04-01/Accounts/{AC}/Conferences/{sid}/Participants",
        "Recordings": f"/2010-04-01/Accounts/{AC}/Conferences/{sid}/Recordings",
    }


async def test_every_action_in_xml(world: World) -> None:
    documented_mute = texts(parse(wire_example("twilio2010_participant_muted.xml"))[0])
    sid = busy_sid(world)
    people = world.participants(sid)
    quiet = next(p for p in people if not p.muted)
    async with served(world, "twilio2010") as wire:
        path = f"/Conferences/{sid}/Participants/{quiet.call_sid}"
        muted = texts((await wire("POST", path, 200, data={"Muted": "true"})).xml()[0])
        assert muted["Muted"] == documented_mute["Muted"] == "true"
        held = texts((await wire("POST", path, 200, data={"Hold": "true"})).xml()[0])
        assert held["Hold"] == "true" and world.participant(sid, quiet.call_sid).hold
        kicked = await wire("DELETE", path, 204)
        assert kicked.body == b""
        missing = (await wire("GET", path, 404)).xml()
        assert texts(missing[0])["Code"] == "20404"
        created = (await wire("POST", "/Conferences/XML room/Participants", 201, data={"From": FROM, "To": TO})).xml()
        fresh = texts(created[0])
        assert fresh["QueueTime"] == "0" and fresh["Status"] == "connected"
        ended = texts((await wire("POST", f"/Conferences/{sid}", 200, data={"Status": "completed"})).xml()[0])
    assert ended["Status"] == "completed" and ended["ReasonConferenceEnded"] == "conference-ended-via-api"
    assert world.conference(sid).status == "completed"


async def test_errors_in_xml_are_rest_exceptions(world: World) -> None:
    sid = live_sid(world)
    async with served(world, "twilio2010") as wire:
        missing = await wire("GET", "/Conferences/CF" + "0" * 32, 404)
        not_allowed = await wire("DELETE", f"/Conferences/{sid}", 405)
        invalid = await wire("POST", f"/Conferences/{sid}", 400, data={"Status": "paused"})
        async with wire.session.get(f"{wire.account}/Conferences", headers=basic(AC, "wrong")) as response:
            refused = response.status, response.headers["WWW-Authenticate"], parse(await response.read())
    for reply, status, code in ((missing, 404, 20404), (not_allowed, 405, 20004), (invalid, 400, 20001)):
        root = reply.xml()
        assert tags(root) == ["RestException"]
        assert tags(root[0]) == ["Code", "Message", "MoreInfo", "Status"]
        values = texts(root[0])
        assert (values["Code"], values["Status"]) == (str(code), str(status))
        assert values["MoreInfo"] == f"https://www.twilio.com/docs/errors/{code}"
    assert refused[:2] == (401, 'Basic realm="Twilio API"')
    assert texts(refused[2][0])["Code"] == "20003"


async def test_the_xml_stays_well_formed_whatever_a_label_holds(world: World) -> None:
    sid = live_sid(world)
    label = "a <b> & \"c\" \x01 d"
    async with served(world, "twilio2010") as wire:
        joining = {"From": FROM, "To": TO, "Label": label}
        created = await wire("POST", f"/Conferences/{sid}/Participants", 201, data=joining)
        listed = (await wire("GET", f"/Conferences/{sid}/Participants", 200)).xml()
    assert texts(created.xml()[0])["Label"] == "a <b> & \"c\"  d"  # XML 1.0 cannot carry \x01 at all
    assert "a <b> & \"c\"  d" in [texts(p)["Label"] for p in listed[0]]


async def test_the_paging_query_of_xml_links_is_what_the_api_reads(world: World) -> None:
    async with served(world, "twilio2010") as wire:
        envelope = (await wire("GET", "/Conferences?PageSize=2&Status=in-progress", 200)).xml()[0]
    query = parse_qs(urlsplit(envelope.attrib["nextpageuri"]).query)
    assert query["Status"] == ["in-progress"] and query["PageSize"] == ["2"] and query["Page"] == ["1"]
