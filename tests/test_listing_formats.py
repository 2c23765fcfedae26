"""`confmon ls --format table|json|csv` and its one vocabulary of room states: the words the screen
uses (waiting, live, ended), `--status` in those words or the API's, and CSV a spreadsheet can open
without running a caller's name as a formula. End to end: a real `confmon ls` against the simulator,
its CSV parsed by the csv module and checked against the simulator's world."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import datetime

import pytest

from confmon import cli
from confmon.listing import ENDED, RENDERERS, STATUSES, render_csv
from confmon.model import Conference, ConferenceStatus, Participant, ParticipantStatus, RoomKey, Unrecognized
from confmon.sim.server import SimServer
from confmon.sim.world import World
from confmon.views import MemberView, RoomView, room_state
from tests.simulated import ACCOUNT
from tests.test_ls import run_ls

# ---- one vocabulary -----------------------------------------------------------------------------

KNOWN_AND_ODD = [*ConferenceStatus, Unrecognized("RUNNING_RECONNECTING")]


def test_room_states_are_the_screens_words_and_an_unknown_status_is_shown_as_sent():
    assert [room_state(status) for status in KNOWN_AND_ODD] == ["waiting", "live", "ended", "RUNNING_RECONNECTING"]


@pytest.mark.parametrize(("ours", "apis"), [("waiting", "init"), ("ended", "completed")])
def test_status_words_of_both_vocabularies_list_the_same_rooms(ours, apis):
    assert [STATUSES[ours](s) for s in KNOWN_AND_ODD] == [STATUSES[apis](s) for s in KNOWN_AND_ODD]


def test_live_is_every_room_not_ended_and_in_progress_only_the_rooms_shown_as_live():
    assert [STATUSES["live"](s) for s in KNOWN_AND_ODD] == [True, True, False, True]
    assert [s for s in KNOWN_AND_ODD if STATUSES["in-progress"](s)] == [
        s for s in KNOWN_AND_ODD if room_state(s) == "live"
    ]
    assert {word for word in STATUSES if STATUSES[word](ConferenceStatus.COMPLETED)} == ENDED


def test_the_command_line_offers_exactly_the_words_the_listing_knows():
    """cli spells them out so as not to import the listing at start-up; this keeps the copies equal."""
    assert set(cli.LS_STATUSES) == set(STATUSES)
    assert tuple(RENDERERS) == cli.LS_FORMATS
    assert {room_state(status) for status in ConferenceStatus} <= set(STATUSES)


# ---- CSV, from views ------------------------------------------------------------------------------

TRICKY = ['Say "hi", all', "two\nlines", "=HYPERLINK(\"http://evil.test\",\"x\")", "+12125550181", "-2+3",
          "@SUM(A1)", "plain", "  =leading blank"]


def defused(text: str) -> str:
    """What a cell of `text` should read: a spreadsheet formula's first character made text by a '."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def view(number: int, name: str, labels: list[str]) -> RoomView:
    sid = f"CF{number:032x}"
    conference = Conference(sid, ACCOUNT, name, ConferenceStatus.IN_PROGRESS, region="us1")
    members = {}
    for index, label in enumerate(labels):
        call = f"CA{number:016x}{index:016x}"
        participant = Participant(call, sid, ParticipantStatus.CONNECTED, label=label, muted=index == 0)
        members[call] = MemberView(participant, joined_at=0.0, last_changed=0.0)
    return RoomView(RoomKey(ACCOUNT, sid), conference, first_seen=0.0, last_changed=0.0, members=members)


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text + "\n")))


def test_csv_keeps_quotes_commas_and_newlines_and_defuses_formulas():
    rooms = [view(n, name, [name, "chair"]) for n, name in enumerate(TRICKY)]
    rows = parse(render_csv(rooms, with_participants=False))
    assert [row["friendly_name"] for row in rows] == [defused(name) for name in TRICKY]
    assert {(row["state"], row["status"], row["participants"], row["muted"]) for row in rows} == {
        ("live", "in-progress", "2", "1")
    }
    callers = parse(render_csv(rooms, with_participants=True))
    assert [(row["conference_name"], row["label"]) for row in callers] == [
        (defused(name), label) for name in TRICKY for label in (defused(name), "chair")
    ]
    assert [row["muted"] for row in callers[:2]] == ["true", "false"]


def test_csv_of_no_rooms_is_its_header():
    header = "sid,friendly_name,state,status,region,date_created,participants,muted"
    assert render_csv([], with_participants=False) == header
    assert parse(render_csv([], with_participants=True)) == []


# ---- end to end, against the simulator ----------------------------------------------------------

ODD_NAMES = ['Board, "quarterly"', "=cmd|' /C calc'!A0", "@ops bridge"]


def expected_room(world: World, sid: str) -> dict[str, str]:
    room, present = world.conference(sid), world.participants(sid)
    assert room.date_created is not None
    return {
        "sid": sid, "friendly_name": defused(room.friendly_name), "state": room_state(room.status),
        "status": str(room.status), "region": room.region or "",
        # the wire carries whole seconds
        "date_created": room.date_created.replace(microsecond=0).isoformat(),
        "participants": str(len(present)), "muted": str(sum(p.muted for p in present)),
    }


def flag(on: bool) -> str:
    return "true" if on else "false"


async def test_ls_csv_lists_the_worlds_live_rooms(simulator: SimServer):
    world = simulator.world
    for index, name in enumerate(ODD_NAMES):
        world.create_participant(name, from_=f"+1555000{index:04d}", to="+15550009999", muted=True)
    result, _ = await run_ls(simulator.base_url, "--format", "csv")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    live = [room.sid for room in world.conferences() if room.status is not ConferenceStatus.COMPLETED]
    assert {row["sid"]: row for row in rows} == {sid: expected_room(world, sid) for sid in live}
    assert {defused(name) for name in ODD_NAMES} <= {row["friendly_name"] for row in rows}
    datetime.fromisoformat(rows[0]["date_created"])  # ISO 8601, as the JSON gives it


async def test_ls_csv_with_participants_has_a_row_per_caller_after_its_room(simulator: SimServer):
    world = simulator.world
    room = world.create_participant(ODD_NAMES[0], from_="+15550000001", to="+15550009999", label="+1 212 555 0181")
    world.create_participant(ODD_NAMES[0], from_="+15550000002", to="+15550009999", label="guest", hold=True)
    result, _ = await run_ls(simulator.base_url, "--format", "csv", "-p")
    assert result.returncode == 0, result.stderr
    reader = csv.DictReader(io.StringIO(result.stdout))
    assert reader.fieldnames == [
        "conference_sid", "conference_name", "call_sid", "label", "status", "muted", "hold", "coaching"
    ]
    rows = [(row["conference_sid"], row["conference_name"], row["call_sid"], row["label"], row["status"],
             row["muted"], row["hold"], row["coaching"]) for row in reader]
    expected = [
        (c.sid, defused(c.friendly_name), p.call_sid, defused(p.label or ""), str(p.status), flag(p.muted),
         flag(p.hold), flag(p.coaching))
        for c in world.conferences() if c.status is not ConferenceStatus.COMPLETED
        for p in world.participants(c.sid)
    ]
    assert sorted(rows) == sorted(expected)
    assert (room.conference_sid, "'+1 212 555 0181") in {(row[0], row[3]) for row in rows}


async def test_ls_json_says_the_apis_status_and_confmons_state(simulator: SimServer):
    world = simulator.world
    waiting = world.create_participant("Lobby", from_="+15550000001", to="+15550009999",
                                       start_conference_on_enter=False).conference_sid
    result, _ = await run_ls(simulator.base_url, "--format", "json")
    assert result.returncode == 0, result.stderr
    rooms = {room["sid"]: room for room in json.loads(result.stdout)}
    assert (rooms[waiting]["status"], rooms[waiting]["state"]) == ("init", "waiting")
    others = {(room["status"], room["state"]) for sid, room in rooms.items() if sid != waiting}
    assert others == {("in-progress", "live")}
    same, _ = await run_ls(simulator.base_url, "--json", "--format", "json")  # the synonym, and both agreeing
    assert (same.returncode, same.stdout) == (0, result.stdout)


async def test_ls_status_takes_confmons_words_and_the_apis(simulator: SimServer):
    world = simulator.world
    waiting = world.create_participant("Lobby", from_="+15550000001", to="+15550009999",
                                       start_conference_on_enter=False).conference_sid
    ended = world.end_conference(world.conferences()[0].sid).sid
    runs = await asyncio.gather(*(run_ls(simulator.base_url, "--format", "csv", "--status", word) for word in STATUSES))
    listed = {}
    for word, (result, _) in zip(STATUSES, runs, strict=True):
        assert result.returncode == 0, result.stderr
        listed[word] = {row["sid"]: row["state"] for row in csv.DictReader(io.StringIO(result.stdout))}

    def world_rooms(status: ConferenceStatus) -> dict[str, str]:
        return {room.sid: room_state(status) for room in world.conferences() if room.status is status}

    assert listed["waiting"] == listed["init"] == world_rooms(ConferenceStatus.INIT)
    assert listed["waiting"][waiting] == "waiting"
    assert listed["ended"] == listed["completed"] == world_rooms(ConferenceStatus.COMPLETED)
    assert listed["ended"][ended] == "ended"
    assert listed["in-progress"] == world_rooms(ConferenceStatus.IN_PROGRESS) != {}
    assert listed["live"] == {**listed["waiting"], **listed["in-progress"]}  # every room not ended
