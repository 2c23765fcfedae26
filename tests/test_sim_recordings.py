"""Conference recordings: seeded in the world, served by every 2010-style dialect, checked against Twilio's OpenAPI."""

from __future__ import annotations

import asyncio
from typing import Any

import jsonschema
import pytest
from twilio.rest import Client

from confmon.clock import FrozenClock
from confmon.model import ConferenceStatus
from confmon.sim.world import World
from tests.test_sim_server import spec
from tests.test_sim_wire_support import AC, FROM, RFC2822, TO, TOKEN, new_world, served, tags, texts

LIST_PATH = "Conferences/{ConferenceSid}/Recordings.json"
ONE_PATH = "Conferences/{ConferenceSid}/Recordings/{Sid}.json"


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema, also for the untyped `nullable` member (encryption_details)."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return to_json_schema(spec()["components"]["schemas"][node["$ref"].removeprefix("#/components/schemas/")])
    out = {key: to_json_schema(value) for key, value in node.items() if key not in ("nullable", "examples")}
    if node.get("nullable") and "type" in node:
        out["type"] = [node["type"], "null"]
    return out


def schema(path: str, method: str = "get") -> dict[str, Any]:
    operation = spec()["paths"][f"/2010-04-01/Accounts/{{AccountSid}}/{path}"][method]
    return to_json_schema(operation["responses"]["200"]["content"]["application/json"]["schema"])


def conform_recording(body: dict[str, Any], method: str = "get") -> dict[str, Any]:
    """A recording as fetched (get) or as an update answers it (post): the spec's schema, every field."""
    one = schema(ONE_PATH, method)
    jsonschema.Draft202012Validator(one).validate(body)
    assert set(body) == set(one["properties"])
    for field in ("date_created", "date_updated", "start_time"):
        assert RFC2822.match(body[field]), body[field]
    return body


def conform_list(body: dict[str, Any], envelope: set[str] | None = None) -> dict[str, Any]:
    listing = schema(LIST_PATH)
    jsonschema.Draft202012Validator(listing).validate(body)
    assert set(body) == (envelope or set(listing["properties"]))
    for item in body["recordings"]:
        conform_recording(item)
    return body


def recorded(world: World, status: ConferenceStatus) -> str:
    return next(c.sid for c in world.conferences() if c.status == status and world.recordings(c.sid))


@pytest.fixture
def world() -> World:
    return new_world(11, rooms=30)


def test_the_recording_schema_takes_twilios_own_examples() -> None:
    for path, method in ((LIST_PATH, "get"), (ONE_PATH, "get"), (ONE_PATH, "post")):
        operation = spec()["paths"][f"/2010-04-01/Accounts/{{AccountSid}}/{path}"][method]
        for example in operation["responses"]["200"]["content"]["application/json"]["examples"].values():
            jsonschema.Draft202012Validator(schema(path, method)).validate(example["value"])


# -- the world


def test_some_rooms_record_the_same_ones_for_the_same_seed(world: World) -> None:
    again = new_world(11, rooms=30)
    mine = {c.sid: world.recordings(c.sid) for c in world.conferences()}
    assert mine == {c.sid: again.recordings(c.sid) for c in again.conferences()}
    with_tape = [sid for sid, tapes in mine.items() if tapes]
    assert 0 < len(with_tape) < len(mine)
    for conference in world.conferences():
        for r in world.recordings(conference.sid):
            assert r.conference_sid == conference.sid and r.sid.startswith("RE") and len(r.sid) == 34
            if conference.status == ConferenceStatus.COMPLETED:
                assert r.status == "completed" and r.duration is not None and r.duration > 0
            else:
                assert r.status == "in-progress" and r.duration is None


def test_a_recording_completes_when_its_room_ends_and_stays_with_it() -> None:
    clock = FrozenClock()
    world = World(11, clock, AC, target_rooms=30, traffic=False)
    sid = recorded(world, ConferenceStatus.IN_PROGRESS)
    (live,) = world.recordings(sid)
    clock.advance(125.5)
    world.end_conference(sid)
    (done,) = world.recordings(sid)
    assert done.sid == live.sid and done.status == "completed" and done.start_time == live.start_time
    assert done.duration == int((done.date_updated - done.start_time).total_seconds())
    assert done.date_updated == world.conference(sid).date_updated


def test_a_room_dialled_with_conference_record_records_from_its_start(world: World) -> None:
    quiet = world.create_participant("Unrecorded", from_=FROM, to=TO)
    loud = world.create_participant("Recorded", from_=FROM, to=TO, record=True)
    assert world.recordings(quiet.conference_sid) == []
    (tape,) = world.recordings(loud.conference_sid)
    assert tape.status == "in-progress" and world.recording_call_sid(tape) == loud.call_sid


def test_traffic_records_too() -> None:
    clock = FrozenClock()
    world = World(23, clock, AC, target_rooms=20)
    clock.advance(1800)
    world.advance(clock.now())
    tapes = [r for c in world.conferences() for r in world.recordings(c.sid)]
    assert {"in-progress", "completed"} <= {r.status for r in tapes}


# -- the wire


async def test_the_recordings_list_and_instance_are_twilios_schemas(world: World) -> None:
    live, done = recorded(world, ConferenceStatus.IN_PROGRESS), recorded(world, ConferenceStatus.COMPLETED)
    async with served(world, "twilio2010") as wire:
        running = conform_list((await wire("GET", f"/Conferences/{live}/Recordings.json", 200)).json())
        finished = conform_list((await wire("GET", f"/Conferences/{done}/Recordings.json", 200)).json())
        tape = finished["recordings"][0]
        one = conform_recording(
            (await wire("GET", f"/Conferences/{done}/Recordings/{tape['sid']}.json", 200)).json()
        )
        none = conform_list(
            (await wire("GET", f"/Conferences/{live}/Recordings.json?DateCreated<=2001-01-01", 200)).json()
        )
        missing = (await wire("GET", f"/Conferences/{done}/Recordings/RE{'0' * 32}.json", 404)).json()
        unrouted = await wire("PUT", f"/Conferences/{done}/Recordings/{tape['sid']}.json", 405)
    (tape_live,) = running["recordings"]
    assert (tape_live["status"], tape_live["duration"], tape_live["price"]) == ("in-progress", None, None)
    assert tape == one and one["status"] == "completed" and int(one["duration"]) > 0
    assert one["price"].startswith("-") and one["price_unit"] == "USD" and one["source"] == "Conference"
    assert one["uri"] == f"/2010-04-01/Accounts/{AC}/Conferences/{done}/Recordings/{one['sid']}.json"
    assert one["call_sid"].startswith("CA") and one["account_sid"] == AC and one["conference_sid"] == done
    assert none["recordings"] == [] and missing["code"] == 20404 and unrouted.json()["code"] == 20004
    assert running["first_page_uri"] == (
        f"/2010-04-01/Accounts/{AC}/Conferences/{live}/Recordings.json?PageSize=50&Page=0"
    )


async def test_recordings_in_xml(world: World) -> None:
    done = recorded(world, ConferenceStatus.COMPLETED)
    async with served(world, "twilio2010") as wire:
        listing = (await wire("GET", f"/Conferences/{done}/Recordings", 200)).xml()
        as_json = (await wire("GET", f"/Conferences/{done}/Recordings.json", 200)).json()["recordings"][0]
        one = (await wire("GET", f"/Conferences/{done}/Recordings/{as_json['sid']}", 200)).xml()
    assert tags(listing) == ["Recordings"] and tags(listing[0]) == ["Recording"]
    assert listing[0].attrib["total"] == "1"
    values = texts(one[0])
    assert one[0].tag == "Recording" and values["Sid"] == as_json["sid"] and values["Duration"] == as_json["duration"]
    assert values["EncryptionDetails"] is None and values["Uri"] == as_json["uri"].removesuffix(".json")


@pytest.mark.parametrize("dialect", ["signalwire", "telnyx"])
async def test_the_compatible_apis_serve_recordings_too(world: World, dialect: str) -> None:
    done = recorded(world, ConferenceStatus.COMPLETED)
    suffix = ".json" if dialect == "signalwire" else ""
    async with served(world, dialect) as wire:
        body = (await wire("GET", f"/Conferences/{done}/Recordings{suffix}", 200)).json()
        sid = body["recordings"][0]["sid"]
        one = conform_recording((await wire("GET", f"/Conferences/{done}/Recordings/{sid}{suffix}", 200)).json())
    envelope = set(body) - {"recordings"}
    assert envelope <= set(schema(LIST_PATH)["properties"])
    conform_list(body, envelope | {"recordings"})
    assert one["uri"].startswith(wire.account)


async def test_the_twilio_sdk_lists_and_fetches_recordings(world: World) -> None:
    done = recorded(world, ConferenceStatus.COMPLETED)
    async with served(world, "twilio2010") as wire:
        client = Client(AC, TOKEN)
        client.api.base_url = wire.server.base_url
        tapes = await asyncio.to_thread(lambda: client.conferences(done).recordings.list())
        one = await asyncio.to_thread(lambda: client.conferences(done).recordings(tapes[0].sid).fetch())
    assert [t.sid for t in tapes] == [r.sid for r in world.recordings(done)]
    assert one.status == "completed" and one.duration == str(world.recordings(done)[0].duration)
