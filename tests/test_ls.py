"""`confmon ls` as scripts meet it: a real child process against the simulator or a hostile server of
our own on loopback, a deadline that holds, a reader that goes away (`| head -1`), a server that
answers 5xx, and names in any script that keep the table's columns straight."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from aiohttp import web
from rich.cells import cell_len

from confmon.listing import render_table
from confmon.model import Conference, ConferenceStatus, Participant, ParticipantStatus, RoomKey, Unrecognized
from confmon.sim.server import SimServer
from confmon.views import MemberView, RoomView
from tests.simulated import ACCOUNT, TOKEN

PAGE_TIME = 0.05  # seconds a page of the paging-forever server takes: 1,000 pages take ~50 s


def ls_command(base_url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "confmon", "ls", "--base-url", base_url, *args]


def environment() -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    return {**base, "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN}


async def run_ls(base_url: str, *args: str, within: float = 120) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run `confmon ls` in a child while this loop keeps serving; the result and the seconds it took."""
    started = time.monotonic()
    result = await asyncio.to_thread(
        subprocess.run, ls_command(base_url, *args), env=environment(), capture_output=True, text=True,
        timeout=within, stdin=subprocess.DEVNULL,
    )
    return result, time.monotonic() - started


# ---- a server that pages for ever ---------------------------------------------------------------


@pytest_asyncio.fixture
async def paging_forever() -> AsyncIterator[tuple[str, list[int]]]:
    """Answers every conferences page with a valid, empty Twilio 2010 page whose next_page_uri is
    always a new page: a listing that never ends. Each page takes PAGE_TIME, as over a real link (the
    client stops at its 1,000th page, which would otherwise come before any deadline is tested).
    Yields its origin and the pages served."""
    served: list[int] = []

    async def page(request: web.Request) -> web.Response:
        number = int(request.query.get("Page", "0"))
        served.append(number)
        await asyncio.sleep(PAGE_TIME)
        path = request.path
        return web.json_response({
            "conferences": [],
            "page": number,
            "page_size": 50,
            "first_page_uri": f"{path}?PageSize=50&Page=0",
            "previous_page_uri": None,
            "uri": f"{path}?PageSize=50&Page={number}",
            "next_page_uri": f"{path}?PageSize=50&Page={number + 1}&PageToken=PA{number + 1}",
            "start": number * 50,
            "end": number * 50,
        })

    app = web.Application()
    app.router.add_get("/2010-04-01/Accounts/{account}/Conferences.json", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", served
    await runner.cleanup()


async def test_ls_gives_up_at_its_deadline_against_a_server_that_pages_for_ever(paging_forever):
    url, served = paging_forever
    result, took = await run_ls(url, "--deadline", "2")
    assert result.returncode == 4, result.stderr
    port = url.rpartition(":")[2]
    assert result.stderr == f"confmon: gave up after 2 s: 127.0.0.1:{port} had not finished answering (--deadline 2)\n"
    assert result.stdout == ""
    assert len(served) > 5  # it was paging, not stuck
    assert took < 2 + 8  # the deadline, plus the child's start-up on a loaded machine


# ---- a server error is an answer ----------------------------------------------------------------


async def test_a_5xx_says_the_api_answered_with_an_error(simulator: SimServer):
    simulator.faults.fail_next(50, status=503, message="Down for maintenance")  # every retry meets it too
    result, _ = await run_ls(simulator.base_url)
    assert result.returncode == 4
    assert result.stderr == "confmon: the API answered 503 Service Unavailable (code 20503): Down for maintenance\n"


async def test_a_network_failure_still_says_cannot_reach():
    result, _ = await run_ls("http://127.0.0.1:9")
    assert result.returncode == 4
    assert result.stderr.startswith("confmon: cannot reach the API: ")


# ---- odd records: what can be read is listed, the rest is said in one line ----------------------

CREATED = "Mon, 06 May 2024 09:00:00 +0000"


def sid(prefix: str, number: int) -> str:
    return f"{prefix}{number:032x}"


def conference(number: int, status: str, **odd: str) -> dict[str, object]:
    return {
        "sid": sid("CF", number), "account_sid": ACCOUNT, "friendly_name": f"Room {number}", "status": status,
        "region": "us1", "date_created": CREATED, "date_updated": CREATED, **odd,
    }


def participant(room: int, number: int, **odd: str) -> dict[str, object]:
    return {
        "call_sid": sid("CA", room * 100 + number), "conference_sid": sid("CF", room), "account_sid": ACCOUNT,
        "label": f"Caller {room}.{number}", "status": "connected", "muted": False, "hold": False,
        "coaching": False, "date_created": CREATED, "date_updated": CREATED, **odd,
    }


# Live: a room whose date is no date, one whose status no docs list, and a plain one, whose second
# caller's date is no date. Ended: a room whose date is no date, and a plain one.
LIVE = [conference(1, "in-progress", date_updated="yesterday-ish"), conference(2, "RUNNING_RECONNECTING"),
        conference(3, "in-progress")]
ENDED = [conference(4, "completed", date_created="last week"), conference(5, "completed")]
CALLERS = {sid("CF", 3): [participant(3, 1), participant(3, 2, date_created="soon")]}


@pytest_asyncio.fixture
async def odd_account() -> AsyncIterator[str]:
    """A Twilio 2010 JSON account whose listings hold the odd records above; yields its origin."""

    def page(key: str, records: list[dict[str, object]]) -> web.Response:
        return web.json_response({key: records, "page": 0, "page_size": 50, "next_page_uri": None})

    async def conferences(request: web.Request) -> web.Response:
        wanted = request.query.get("Status")
        return page("conferences", {"init": [], "in-progress": LIVE, "completed": ENDED}.get(wanted or "", []))

    async def participants(request: web.Request) -> web.Response:
        return page("participants", CALLERS.get(request.match_info["room"], []))

    app = web.Application()
    root = "/2010-04-01/Accounts/{account}/Conferences"
    app.router.add_get(f"{root}.json", conferences)
    app.router.add_get(f"{root}/{{room}}/Participants.json", participants)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


def warning(result: subprocess.CompletedProcess[str]) -> str:
    """The one line on stderr of a listing that succeeded."""
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


async def test_ls_lists_what_it_could_read_and_says_what_it_could_not_in_one_line(odd_account):
    result, _ = await run_ls(odd_account)
    # The odd room date and the odd caller date: the participants are read in the same sweep.
    assert warning(result) == f"confmon: 2 records partly read: conference {sid('CF', 1)}: date_updated is not a date"
    rows = {line.split()[0]: line.split()[3] for line in result.stdout.splitlines()[1:]}
    # An undocumented status is no evidence the room ended: it is listed, shown as the server said it.
    assert rows == {sid("CF", 1): "live", sid("CF", 2): "RUNNING_RECONNECTING", sid("CF", 3): "live"}


async def test_ls_with_participants_lists_the_caller_read_in_part(odd_account):
    result, _ = await run_ls(odd_account, "-p")
    assert warning(result).startswith("confmon: 2 records partly read: ")
    assert sid("CA", 302) in result.stdout and "Caller 3.2" in result.stdout


async def test_ls_json_gives_an_undocumented_status_as_its_text(odd_account):
    result, _ = await run_ls(odd_account, "--json", "-p")
    assert warning(result).startswith("confmon: 2 records partly read: ")
    rooms = {room["sid"]: room for room in json.loads(result.stdout)}
    assert rooms[sid("CF", 2)]["status"] == rooms[sid("CF", 2)]["state"] == "RUNNING_RECONNECTING"
    assert (rooms[sid("CF", 3)]["status"], rooms[sid("CF", 3)]["state"]) == ("in-progress", "live")
    assert rooms[sid("CF", 1)]["date_updated"] is None  # unreadable: unknown, not a guess
    callers = {p["call_sid"]: p for p in rooms[sid("CF", 3)]["participants"]}
    assert callers[sid("CA", 302)]["date_created"] is None


async def test_ls_in_progress_lists_only_the_rooms_known_to_be_in_progress(odd_account):
    result, _ = await run_ls(odd_account, "--status", "in-progress")
    assert warning(result).startswith("confmon: 2 records partly read: ")
    assert sid("CF", 2) not in result.stdout and sid("CF", 1) in result.stdout


@pytest.mark.parametrize("word", ["completed", "ended"])
async def test_ls_completed_says_what_it_could_not_read_of_the_ended_rooms(odd_account, word):
    result, _ = await run_ls(odd_account, "--status", word)
    assert warning(result) == f"confmon: 1 record partly read: conference {sid('CF', 4)}: date_created is not a date"
    assert sid("CF", 4) in result.stdout and sid("CF", 5) in result.stdout


async def test_a_listing_read_whole_says_nothing_on_stderr(simulator: SimServer):
    result, _ = await run_ls(simulator.base_url, "-p")
    assert result.returncode == 0 and result.stderr == ""


# ---- names of any width -------------------------------------------------------------------------

NAMES = [
    "Weekly sync",
    "会議室 東京",  # CJK: two cells a character
    "🎉 Launch party 🚀",  # emoji: two cells
    "Cafe\u0301 re\u0301sume\u0301",  # combining accents: no cell of their own
    "長い名前" * 12,  # wider than the column: cut by cells, never through a character
    "x" * 39 + "界",  # the cut falls in the middle of a wide character
]
PARTICIPANTS = ["山田 太郎", "🎧 Operator", "Zoe\u0308 Ng", "ゲスト" * 12]


def starts(line: str, word: str) -> int:
    """The display column where `word` starts in `line` (the columns after the name are ASCII)."""
    return cell_len(line[: line.rindex(word)])


def room(number: int, name: str) -> RoomView:
    sid = f"CF{number:032x}"
    created = datetime(2024, 5, 1, 9, number, tzinfo=UTC)
    conference = Conference(sid, ACCOUNT, name, ConferenceStatus.IN_PROGRESS, region="jp1", date_created=created)
    members = {}
    for index, label in enumerate(PARTICIPANTS):
        call = f"CA{number:016x}{index:016x}"
        participant = Participant(call, sid, ParticipantStatus.CONNECTED, label=label, muted=index % 2 == 0)
        members[call] = MemberView(participant, joined_at=0.0, last_changed=0.0)
    return RoomView(RoomKey(ACCOUNT, sid), conference, first_seen=0.0, last_changed=0.0, members=members)


def test_the_table_keeps_its_columns_straight_whatever_the_names():
    table = render_table([room(number, name) for number, name in enumerate(NAMES)], with_participants=True)
    lines = table.splitlines()
    header, rooms = lines[0], [line for line in lines[1:] if line.startswith("CF")]
    members = [line for line in lines if line.startswith("    CA")]
    assert len(rooms) == len(NAMES) and len(members) == len(NAMES) * len(PARTICIPANTS)
    # Every column after the name starts at the same display column as its heading.
    assert {starts(line, "live") for line in rooms} == {starts(header, "STATUS")}
    # The counts stand right-aligned under their headings: 4 people, 2 of them muted.
    assert {starts(line, "  4      2  jp1") for line in rooms} == {starts(header, "PPL  MUTED  REGION")}
    assert {starts(line, "jp1") for line in rooms} == {starts(header, "REGION")}
    assert {starts(line, "2024-05-01") for line in rooms} == {starts(header, "CREATED")}
    assert len({starts(line, "connected") for line in members}) == 1
    # A name too wide is cut by cells, with an ellipsis; no wide character is split.
    widest = next(line for line in rooms if "長い名前" in line)
    assert "…" in widest and "\ufffd" not in table
    cut_mid_character = next(line for line in rooms if "xxxx" in line)
    assert "界" not in cut_mid_character and "…" in cut_mid_character


async def test_ls_prints_wide_names_in_straight_columns(simulator: SimServer):
    """The same, end to end: rooms opened on the simulator by name, listed by a real `confmon ls`."""
    world = simulator.world
    for index, name in enumerate(NAMES[1:4]):
        world.create_participant(name, from_=f"+1555000{index:04d}", to="+15550009999", label=PARTICIPANTS[index])
    result, _ = await run_ls(simulator.base_url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header, rooms = lines[0], lines[1:]
    assert sum(any(name in line for name in NAMES[1:4]) for line in rooms) == 3
    status_at = starts(header, "STATUS")
    assert all(starts(line, line.split()[-6]) == status_at for line in rooms)  # the state word


async def test_ls_json_keeps_names_as_they_are(simulator: SimServer):
    simulator.world.create_participant(NAMES[2], from_="+15550000001", to="+15550009999")
    result, _ = await run_ls(simulator.base_url, "--json")
    assert result.returncode == 0, result.stderr
    assert NAMES[2] in {room["friendly_name"] for room in json.loads(result.stdout)}


def test_an_unknown_status_is_shown_whole_and_keeps_the_columns_straight():
    odd = room(1, "Odd")
    status = Unrecognized("RECONNECTING_MEDIA")
    odd = dataclasses.replace(odd, conference=dataclasses.replace(odd.conference, status=status))
    header, *rows = render_table([room(0, "Plain"), odd], with_participants=False).splitlines()
    assert "RECONNECTING_MEDIA" in rows[1]
    assert {starts(line, "jp1") for line in rows} == {starts(header, "REGION")}

