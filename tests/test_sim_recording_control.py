"""Pausing, resuming, stopping and deleting a conference's recording: in the world, and over every
2010-style dialect (JSON, XML, SignalWire, Telnyx), each answer checked against Twilio's OpenAPI.

The official SDK's side of it is in test_sim_sdk.py."""

from __future__ import annotations

from typing import Any

import pytest

from confmon.clock import FrozenClock
from confmon.model import ConferenceStatus
from confmon.sim.world import CURRENT_RECORDING, Invalid, NotFound, World
from tests.test_sim_recordings import conform_list, conform_recording, recorded
from tests.test_sim_wire_support import AC, FROM, TO, served, tags, texts


@pytest.fixture
def world(clock: FrozenClock) -> World:
    return World(11, clock, AC, target_rooms=30, traffic=False)


def taping(world: World) -> tuple[str, str]:
    """(conference SID, recording SID) of a live room whose recording is under way."""
    sid = recorded(world, ConferenceStatus.IN_PROGRESS)
    return sid, world.recordings(sid)[0].sid


def fresh(world: World) -> tuple[str, str]:
    """(conference SID, recording SID) of a room dialled now with ConferenceRecord: it records from now."""
    caller = world.create_participant("Recorded from now", from_=FROM, to=TO, record=True)
    return caller.conference_sid, world.recordings(caller.conference_sid)[0].sid


def status_of(world: World, sid: str) -> list[str]:
    return [r.status for r in world.recordings(sid)]


# -- the world


def test_pause_resume_and_stop_are_listed_and_the_file_completes_when_the_room_ends(
    world: World, clock: FrozenClock
) -> None:
    sid, rec = fresh(world)
    started = world.recording(sid, rec).start_time
    for status in ("paused", "in-progress", "paused", "in-progress", "stopped"):
        clock.advance(10)
        answered = world.update_recording(sid, rec, status)
        assert answered.status == status and status_of(world, sid) == [status]
        assert answered.date_updated is not None and answered.date_updated.timestamp() == clock.now()
        assert answered.duration is None and answered.start_time == started
    clock.advance(100)
    world.end_conference(sid)
    (done,) = world.recordings(sid)
    assert done.status == "completed" and done.start_time == started
    assert done.duration == 50  # up to the stop; silent pauses are in the file
    assert done.date_updated == world.conference(sid).date_updated


def test_asking_for_the_status_it_has_changes_nothing(world: World, clock: FrozenClock) -> None:
    sid, rec = taping(world)
    before = world.recording(sid, rec)
    clock.advance(5)
    assert world.update_recording(sid, rec, "in-progress") == before
    world.update_recording(sid, rec, "paused")
    paused = world.recording(sid, rec)
    clock.advance(5)
    assert world.update_recording(sid, rec, "paused", "skip") == paused


def test_a_skipped_pause_is_cut_from_the_file_even_one_the_room_ends_in(world: World, clock: FrozenClock) -> None:
    sid, rec = fresh(world)
    clock.advance(20)
    world.update_recording(sid, rec, "paused", "skip")
    clock.advance(30)  # cut
    world.update_recording(sid, rec, "in-progress")
    clock.advance(40)
    world.update_recording(sid, rec, "paused", "silence")
    clock.advance(50)  # kept, as silence
    world.update_recording(sid, rec, "in-progress")
    clock.advance(60)
    world.update_recording(sid, rec, "paused", "skip")
    clock.advance(70)  # cut, up to the room's end
    world.end_conference(sid)
    (done,) = world.recordings(sid)
    assert done.status == "completed" and done.duration == 20 + 40 + 50 + 60


def test_twilio_current_names_the_recording_under_way_until_it_stops(world: World) -> None:
    sid, rec = taping(world)
    assert world.update_recording(sid, CURRENT_RECORDING, "paused").sid == rec
    assert status_of(world, sid) == ["paused"]
    assert world.update_recording(sid, CURRENT_RECORDING, "stopped").sid == rec
    with pytest.raises(NotFound):
        world.update_recording(sid, CURRENT_RECORDING, "in-progress")
    quiet = world.create_participant("Never recorded", from_=FROM, to=TO).conference_sid
    with pytest.raises(NotFound):
        world.update_recording(quiet, CURRENT_RECORDING, "paused")


def test_a_stopped_or_completed_recording_cannot_change_again(world: World) -> None:
    sid, rec = taping(world)
    world.update_recording(sid, rec, "stopped")
    done = recorded(world, ConferenceStatus.COMPLETED)
    finished = world.recordings(done)[0]
    for room, tape, was in ((sid, rec, "stopped"), (done, finished.sid, "completed")):
        for status in ("in-progress", "paused", "stopped"):
            with pytest.raises(Invalid) as refused:
                world.update_recording(room, tape, status)
            assert refused.value.code == 21220 and was in str(refused.value)
    assert status_of(world, sid) == ["stopped"] and world.recordings(done) == [finished]


@pytest.mark.parametrize(
    ("status", "behavior"), [("", None), ("completed", None), ("PAUSED", None), ("paused", "mute"), ("paused", "")]
)
def test_a_bad_status_or_pause_behavior_is_refused_and_changes_nothing(
    world: World, status: str, behavior: str | None
) -> None:
    sid, rec = taping(world)
    before = world.recordings(sid)
    with pytest.raises(Invalid) as refused:
        world.update_recording(sid, rec, status, behavior)
    assert refused.value.code == 20001 and world.recordings(sid) == before


def test_a_deleted_recording_is_gone_and_the_room_records_no_more(world: World) -> None:
    sid, rec = taping(world)
    world.delete_recording(sid, rec)
    assert world.recordings(sid) == []
    for act in (
        lambda: world.recording(sid, rec),
        lambda: world.update_recording(sid, rec, "paused"),
        lambda: world.update_recording(sid, CURRENT_RECORDING, "paused"),
        lambda: world.delete_recording(sid, rec),
    ):
        with pytest.raises(NotFound):
            act()
    world.create_participant(sid, from_=FROM, to=TO)
    world.end_conference(sid)
    assert world.recordings(sid) == []
    done = recorded(world, ConferenceStatus.COMPLETED)
    world.delete_recording(done, world.recordings(done)[0].sid)  # a completed one goes too
    assert world.recordings(done) == []


def test_a_recording_of_another_room_is_not_found(world: World) -> None:
    sid, rec = taping(world)
    other = recorded(world, ConferenceStatus.COMPLETED)
    with pytest.raises(NotFound):
        world.update_recording(other, rec, "paused")
    with pytest.raises(NotFound):
        world.delete_recording(other, rec)
    assert status_of(world, sid) == ["in-progress"]


# -- the wire


async def test_update_fetch_and_delete_in_2010_json_are_twilios_schemas(world: World, clock: FrozenClock) -> None:
    sid, rec = taping(world)
    path, listing = f"/Conferences/{sid}/Recordings/{rec}.json", f"/Conferences/{sid}/Recordings.json"
    async with served(world, "twilio2010") as wire:
        answers: dict[str, Any] = {}
        for status in ("paused", "in-progress", "stopped"):
            clock.advance(15)
            answers[status] = conform_recording((await wire("POST", path, 200, data={"Status": status})).json(), "post")
            assert status_of(world, sid) == [status]
            fetched = conform_recording((await wire("GET", path, 200)).json())
            listed = conform_list((await wire("GET", listing, 200)).json())
            assert fetched == answers[status] == listed["recordings"][0]
        deleted = await wire("DELETE", path, 204)
        assert deleted.body == b"" and world.recordings(sid) == []
        missing = (await wire("GET", path, 404)).json()
        empty = conform_list((await wire("GET", listing, 200)).json())
        again = (await wire("POST", path, 404, data={"Status": "paused"})).json()
        twice = (await wire("DELETE", path, 404)).json()
    paused = answers["paused"]
    assert (paused["sid"], paused["conference_sid"], paused["account_sid"]) == (rec, sid, AC)
    assert (paused["duration"], paused["price"]) == (None, None)
    assert paused["uri"] == f"/2010-04-01/Accounts/{AC}/Conferences/{sid}/Recordings/{rec}.json"
    assert paused["date_updated"] != answers["stopped"]["date_updated"]
    assert empty["recordings"] == []
    assert missing["code"] == again["code"] == twice["code"] == 20404


async def test_twilio_current_and_pause_behavior_over_the_wire(world: World, clock: FrozenClock) -> None:
    sid, rec = fresh(world)
    current = f"/Conferences/{sid}/Recordings/{CURRENT_RECORDING}.json"
    async with served(world, "twilio2010") as wire:
        clock.advance(30)
        paused = (await wire("POST", current, 200, data={"Status": "paused", "PauseBehavior": "skip"})).json()
        clock.advance(45)
        await wire("POST", current, 200, data={"Status": "stopped", "PlayBeep": "true"})
        gone = (await wire("POST", current, 404, data={"Status": "paused"})).json()
        unfetchable = await wire("GET", current, 404)  # Twilio.CURRENT is for updates only
    assert conform_recording(paused, "post")["sid"] == rec and paused["status"] == "paused"
    assert gone["code"] == 20404 and unfetchable.json()["code"] == 20404
    world.end_conference(sid)
    assert world.recording(sid, rec).duration == 30  # the pause, skipped, ran until the stop


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({}, 20001),
        ({"Status": "completed"}, 20001),
        ({"Status": "paused", "PauseBehavior": "mute"}, 20001),
    ],
)
async def test_bad_updates_are_400s_in_twilios_error_shape(world: World, form: dict[str, str], code: int) -> None:
    sid, rec = taping(world)
    async with served(world, "twilio2010") as wire:
        body = (await wire("POST", f"/Conferences/{sid}/Recordings/{rec}.json", 400, data=form)).json()
    assert set(body) == {"code", "message", "more_info", "status"}
    assert (body["code"], body["status"]) == (code, 400)
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert status_of(world, sid) == ["in-progress"]


async def test_stopped_completed_and_unknown_recordings_over_the_wire(world: World) -> None:
    sid, rec = taping(world)
    done = recorded(world, ConferenceStatus.COMPLETED)
    finished = world.recordings(done)[0].sid
    mine, theirs = f"/Conferences/{sid}/Recordings/{rec}.json", f"/Conferences/{done}/Recordings/{finished}.json"
    nobody = f"/Conferences/{sid}/Recordings/RE{'0' * 32}.json"
    async with served(world, "twilio2010") as wire:
        await wire("POST", mine, 200, data={"Status": "stopped"})
        stopped = await wire("POST", mine, 400, data={"Status": "in-progress"})
        completed = await wire("POST", theirs, 400, data={"Status": "paused"})
        unknown = await wire("POST", nobody, 404, data={"Status": "paused"})
        elsewhere = await wire("DELETE", f"/Conferences/{done}/Recordings/{rec}.json", 404)
        no_room = await wire("DELETE", f"/Conferences/CF{'0' * 32}/Recordings/{rec}.json", 404)
        unrouted = await wire("PUT", mine, 405)
    assert stopped.json()["code"] == completed.json()["code"] == 21220
    assert unknown.json()["code"] == elsewhere.json()["code"] == no_room.json()["code"] == 20404
    assert unrouted.json()["code"] == 20004
    assert status_of(world, sid) == ["stopped"] and status_of(world, done) == ["completed"]


async def test_recording_control_in_2010_xml(world: World) -> None:
    sid, rec = taping(world)
    path = f"/Conferences/{sid}/Recordings/{rec}"
    async with served(world, "twilio2010") as wire:
        paused = (await wire("POST", path, 200, data={"Status": "paused"})).xml()
        assert status_of(world, sid) == ["paused"]
        resumed = await wire("POST", path + ".xml", 200, data={"Status": "in-progress"})
        assert status_of(world, sid) == ["in-progress"]
        bad = (await wire("POST", path, 400, data={"Status": "bogus"})).xml()
        deleted = await wire("DELETE", path, 204)
        assert world.recordings(sid) == []
        missing = (await wire("GET", path, 404)).xml()
        listing = (await wire("GET", f"/Conferences/{sid}/Recordings", 200)).xml()
    assert tags(paused) == ["Recording"]
    values = texts(paused[0])
    assert (values["Sid"], values["Status"], values["ConferenceSid"], values["Duration"]) == (rec, "paused", sid, None)
    assert values["Uri"] == f"/2010-04-01/Accounts/{AC}/Conferences/{sid}/Recordings/{rec}"
    assert texts(resumed.xml()[0])["Status"] == "in-progress"
    assert tags(bad) == ["RestException"] and texts(bad[0])["Code"] == "20001"
    assert deleted.body == b""
    assert tags(missing) == ["RestException"] and texts(missing[0])["Code"] == "20404"
    assert listing[0].attrib["total"] == "0" and tags(listing[0]) == []


@pytest.mark.parametrize("dialect", ["signalwire", "telnyx"])
async def test_the_compatible_apis_control_recordings_too(world: World, dialect: str) -> None:
    sid, rec = taping(world)
    suffix = ".json" if dialect == "signalwire" else ""
    path = f"/Conferences/{sid}/Recordings/{rec}{suffix}"
    async with served(world, dialect) as wire:
        paused = conform_recording((await wire("POST", path, 200, data={"Status": "paused"})).json(), "post")
        assert status_of(world, sid) == ["paused"]
        stopped = conform_recording((await wire("POST", path, 200, data={"Status": "stopped"})).json(), "post")
        assert status_of(world, sid) == ["stopped"]
        refused = (await wire("POST", path, 400, data={"Status": "in-progress"})).json()
        await wire("DELETE", path, 204)
        assert world.recordings(sid) == []
        missing = (await wire("GET", path, 404)).json()
    assert (paused["status"], stopped["status"]) == ("paused", "stopped")
    assert paused["uri"] == f"{wire.account}/Conferences/{sid}/Recordings/{rec}.json"
    if dialect == "telnyx":
        assert paused["api_version"] == "v2/texml"
        assert refused["errors"][0]["code"] == "21220" and missing["errors"][0]["code"] == "20404"
    else:
        assert refused["code"] == 21220 and missing["code"] == 20404


@pytest.mark.parametrize("dialect", ["twilio2008", "restcomm"])
async def test_dialects_without_recordings_still_do_not_serve_them(world: World, dialect: str) -> None:
    sid, rec = taping(world)
    suffix = ".json" if dialect == "restcomm" else ""
    async with served(world, dialect) as wire:
        for method in ("GET", "POST", "DELETE"):
            await wire(method, f"/Conferences/{sid}/Recordings/{rec}{suffix}", 404, data={"Status": "paused"})
    assert status_of(world, sid) == ["in-progress"]
