"""The simulator over real HTTP on loopback: Twilio's wire contract, checked against Twilio's OpenAPI."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any
from urllib.parse import quote

import aiohttp
import jsonschema
import pytest
import pytest_asyncio

from confmon.clock import FrozenClock
from confmon.model import ConferenceStatus
from confmon.sim.server import SimServer, is_loopback, run_standalone
from confmon.sim.world import World
from tests import reference

AC = "AC" + "0123456789abcdef" * 2
TOKEN = "sim-test-token"
API_KEY = ("SK" + "fedcba9876543210" * 2, "sim-key-secret")
FROM, TO = "+15005550006", "+15005550001"

SPEC = reference.OPENAPI
SHARED_SPEC = reference.SHARED_OPENAPI
ACCOUNT = f"/2010-04-01/Accounts/{AC}"
RFC2822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$")


# -- Twilio's OpenAPI description as JSON Schema


@cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC.read_text())


# OpenAPI 3.0 cannot mark a $ref nullable, so Twilio's spec leaves this enum bare, yet its own
# description ("When a conference is in progress, will be null") and examples say null.
NULLABLE_ENUMS = {"conference_enum_reason_conference_ended"}


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: inline $refs, turn `nullable: true` into a type union."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/components/schemas/")
        schema = to_json_schema(spec()["components"]["schemas"][name])
        return {"anyOf": [schema, {"type": "null"}]} if name in NULLABLE_ENUMS else schema
    out = {key: to_json_schema(value) for key, value in node.items() if key not in ("nullable", "examples")}
    if node.get("nullable"):
        out["type"] = [node["type"], "null"]
    return out


@cache
def validator(path: str, method: str, status: str) -> jsonschema.Draft202012Validator:
    operation = spec()["paths"][f"/2010-04-01/Accounts/{{AccountSid}}/{path}"][method]
    schema = to_json_schema(operation["responses"][status]["content"]["application/json"]["schema"])
    return jsonschema.Draft202012Validator(schema)


def conform(body: Any, path: str, method: str = "get", status: str = "200") -> Any:
    """Validate a body against the operation's response schema, and check what a schema cannot."""
    validator(path, method, status).validate(body)
    schema = validator(path, method, status).schema
    items = schema["properties"].get("conferences") or schema["properties"].get("participants")
    if items is not None:  # a list envelope: exactly the spec's keys, in it and in every item
        assert set(body) == set(schema["properties"])
        key = "conferences" if "conferences" in body else "participants"
        resources, expected = body[key], set(items["items"]["properties"])
    else:
        resources, expected = [body], set(schema["properties"])
    for resource in resources:
        assert set(resource) == expected
        for field in ("date_created", "date_updated"):
            assert RFC2822.match(resource[field]), resource[field]
            assert parsedate_to_datetime(resource[field]).utcoffset().total_seconds() == 0
    return body


def test_the_schema_conversion_accepts_twilios_own_examples() -> None:
    for path, operations in spec()["paths"].items():
        if "Recordings" in path:
            continue
        short = path.removeprefix("/2010-04-01/Accounts/{AccountSid}/")
        for method, operation in operations.items():
            if method not in ("get", "post", "delete"):
                continue  # path-level parameters, servers...
            for status, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json")
                for example in (content or {}).get("examples", {}).values():
                    validator(short, method, status).validate(example["value"])


def test_the_schemas_hold_the_enums_and_sid_patterns_we_rely_on() -> None:
    schemas = spec()["components"]["schemas"]
    assert schemas["conference_enum_status"]["enum"] == ["init", "in-progress", "completed"]
    assert set(schemas["conference_enum_reason_conference_ended"]["enum"]) == {
        "conference-ended-via-api",
        "participant-with-end-conference-on-exit-left",
        "participant-with-end-conference-on-exit-kicked",
        "last-participant-kicked",
        "last-participant-left",
    }
    participant = schemas["api.v2010.account.conference.participant"]["properties"]
    assert participant["call_sid"]["pattern"] == "^CA[0-9a-fA-F]{32}$"
    assert participant["conference_sid"]["pattern"] == "^CF[0-9a-fA-F]{32}$"
    bad = validator("Conferences/{Sid}.json", "get", "200").schema
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"sid": "CFnothex", "status": "in-progress"}, bad)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"status": "ended"}, bad)


@pytest.mark.skipif(not SHARED_SPEC.exists(), reason="shared/ is not beside the repository")
def test_the_in_repo_copy_of_the_spec_is_current() -> None:
    assert SPEC.read_bytes() == SHARED_SPEC.read_bytes()


# -- fixtures


@pytest.fixture
def world() -> World:
    return World(11, FrozenClock(), AC, traffic=False)


@pytest_asyncio.fixture
async def sim(world: World) -> AsyncIterator[SimServer]:
    server = SimServer(world, auth_token=TOKEN, api_key=API_KEY)
    await server.start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def http(sim: SimServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(sim.base_url, headers=basic(AC, TOKEN)) as session:
        yield session


async def call(http: aiohttp.ClientSession, method: str, path: str, status: int, **kwargs: Any) -> Any:
    async with http.request(method, path, **kwargs) as response:
        assert response.status == status, await response.text()
        if status == 204:
            assert await response.read() == b""
            return None
        assert response.content_type == "application/json"
        return await response.json()


def basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": aiohttp.encode_basic_auth(username, password)}


def live_sid(world: World) -> str:
    return next(c.sid for c in world.conferences() if c.status == ConferenceStatus.IN_PROGRESS)


def assert_error(body: dict[str, Any], status: int, code: int) -> None:
    assert body == {
        "code": code,
        "message": body["message"],
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


# -- the world behind the wire


async def test_the_same_seed_and_clock_serve_identical_json() -> None:
    bodies = []
    for _ in range(2):
        server = SimServer(World(4, FrozenClock(), AC), auth_token=TOKEN)
        await server.start()
        try:
            async with (
                aiohttp.ClientSession(server.base_url, headers=basic(AC, TOKEN)) as session,
                session.get(f"{ACCOUNT}/Conferences.json?PageSize=1000") as response,
            ):
                bodies.append(await response.read())
        finally:
            await server.stop()
    assert bodies[0] == bodies[1]


async def test_each_request_sees_the_world_at_the_clocks_time() -> None:
    clock = FrozenClock()
    world = World(4, clock, AC)
    server = SimServer(world, auth_token=TOKEN)
    await server.start()
    try:
        async with aiohttp.ClientSession(server.base_url, headers=basic(AC, TOKEN)) as session:
            path = f"{ACCOUNT}/Conferences.json?PageSize=1000"
            first = await call(session, "GET", path, 200)
            assert await call(session, "GET", path, 200) == first  # a frozen clock is a frozen world
            clock.advance(900)
            later = await call(session, "GET", path, 200)
    finally:
        await server.stop()
    assert later != first
    assert {c["sid"]: c["status"] for c in later["conferences"]} == {c.sid: c.status for c in world.conferences()}


def test_the_world_itself_speaks_no_http() -> None:
    probe = "import sys, confmon.sim.world; print(sorted(m for m in ('aiohttp', 'httpx') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# -- conferences


async def test_list_conferences_is_twilios_envelope_newest_first(http: aiohttp.ClientSession, world: World) -> None:
    body = conform(await call(http, "GET", f"{ACCOUNT}/Conferences.json", 200), "Conferences.json")
    assert (body["page"], body["page_size"], body["start"], body["end"]) == (0, 50, 0, len(world.conferences()) - 1)
    assert body["uri"] == body["first_page_uri"] == f"{ACCOUNT}/Conferences.json?PageSize=50&Page=0"
    assert body["next_page_uri"] is None and body["previous_page_uri"] is None
    listed = body["conferences"]
    assert {c["sid"] for c in listed} == {c.sid for c in world.conferences()}
    created = [parsedate_to_datetime(c["date_created"]) for c in listed]
    assert created == sorted(created, reverse=True)
    first = listed[0]
    assert first["api_version"] == "2010-04-01" and first["account_sid"] == AC
    assert first["uri"] == f"{ACCOUNT}/Conferences/{first['sid']}.json"
    assert first["subresource_uris"] == {
        "participants": f"{ACCOUNT}/Conferences/{first['sid']}/Participants.json",
        "recordings": f"{ACCOUNT}/Conferences/{first['sid']}/Recordings.json",
    }


async def test_page_tokens_walk_every_room_once_while_rooms_come_and_go(
    http: aiohttp.ClientSession, world: World
) -> None:
    seen: list[str] = []
    uri: str | None = f"{ACCOUNT}/Conferences.json?Status=in-progress&PageSize=3"
    pages = []
    while uri:
        body = conform(await call(http, "GET", uri, 200), "Conferences.json")
        pages.append(body)
        seen += [c["sid"] for c in body["conferences"]]
        assert all(c["status"] == "in-progress" for c in body["conferences"])
        world.create_participant(f"Opened while paging {len(pages)}", from_=FROM, to=TO)  # lands before the cursor
        uri = body["next_page_uri"]
    assert len(pages) >= 3
    assert len(seen) == len(set(seen))
    assert set(seen) == {
        c.sid for c in world.conferences() if c.status == "in-progress" and "paging" not in c.friendly_name
    }
    assert [p["page"] for p in pages] == list(range(len(pages)))
    assert "PageToken=PA" in pages[1]["uri"] and "Status=in-progress" in pages[1]["uri"]
    assert pages[1]["start"] == 3 and pages[1]["end"] == 5
    back = conform(await call(http, "GET", pages[2]["previous_page_uri"], 200), "Conferences.json")
    assert [c["sid"] for c in back["conferences"]] == [c["sid"] for c in pages[1]["conferences"]]


@pytest.mark.parametrize(
    "query",
    [
        "PageSize=0",
        "PageSize=1001",
        "PageSize=many",
        "Page=2",
        "PageToken=nonsense",
        "Page=-1",
        f"PageToken=PACF{'0' * 32}_1%0A",  # a well-formed token with a trailing newline
    ],
)
async def test_bad_paging_is_a_400(http: aiohttp.ClientSession, query: str) -> None:
    assert_error(await call(http, "GET", f"{ACCOUNT}/Conferences.json?{query}", 400), 400, 20001)


async def test_page_size_up_to_a_thousand_is_fine(http: aiohttp.ClientSession) -> None:
    body = await call(http, "GET", f"{ACCOUNT}/Conferences.json?PageSize=1000", 200)
    assert body["page_size"] == 1000


async def test_filters_by_status_name_and_dates(http: aiohttp.ClientSession, world: World) -> None:
    today = f"{world.conference(live_sid(world)).date_created:%Y-%m-%d}"
    conferences = world.conferences()

    async def sids(params: dict[str, str]) -> set[str]:
        body = conform(await call(http, "GET", f"{ACCOUNT}/Conferences.json", 200, params=params), "Conferences.json")
        return {c["sid"] for c in body["conferences"]}

    assert await sids({"Status": "completed"}) == {c.sid for c in conferences if c.status == "completed"}
    assert await sids({"Status": "init"}) == {c.sid for c in conferences if c.status == "init"}
    name = conferences[0].friendly_name
    assert await sids({"FriendlyName": name}) == {c.sid for c in conferences if c.friendly_name == name}
    assert await sids({"DateCreated": today}) == {c.sid for c in conferences if f"{c.date_created:%Y-%m-%d}" == today}
    before = await sids({"DateCreated<": "2025-11-23"})
    after = await sids({"DateCreated>": "2025-11-23"})
    assert before and after and before | after == {c.sid for c in conferences}
    assert await sids({"DateUpdated>": today, "Status": "completed"}) == {
        c.sid for c in conferences if c.status == "completed" and f"{c.date_updated:%Y-%m-%d}" >= today
    }
    # The inequality filters arrive URL-encoded, and page URIs repeat them that way.
    body = await call(http, "GET", f"{ACCOUNT}/Conferences.json?DateCreated%3C=2025-11-23&PageSize=2", 200)
    assert body["next_page_uri"].startswith(f"{ACCOUNT}/Conferences.json?DateCreated%3C=2025-11-23&PageSize=2&Page=1")


@pytest.mark.parametrize("query", ["Status=ended", "DateCreated=yesterday", "DateUpdated%3E=2025-13-01"])
async def test_bad_filters_are_a_400(http: aiohttp.ClientSession, query: str) -> None:
    assert_error(await call(http, "GET", f"{ACCOUNT}/Conferences.json?{query}", 400), 400, 20001)


async def test_fetch_a_conference_and_a_missing_one(http: aiohttp.ClientSession, world: World) -> None:
    sid = live_sid(world)
    body = conform(await call(http, "GET", f"{ACCOUNT}/Conferences/{sid}.json", 200), "Conferences/{Sid}.json")
    truth = world.conference(sid)
    assert (body["sid"], body["friendly_name"], body["status"], body["region"]) == (
        sid,
        truth.friendly_name,
        "in-progress",
        truth.region,
    )
    assert body["reason_conference_ended"] is None and body["call_sid_ending_conference"] is None
    missing = f"{ACCOUNT}/Conferences/CF{'0' * 32}.json"
    error = await call(http, "GET", missing, 404)
    assert_error(error, 404, 20404)
    assert error["message"] == f"The requested resource {missing} was not found"


async def test_end_a_conference(http: aiohttp.ClientSession, world: World) -> None:
    sid = live_sid(world)
    path = f"{ACCOUNT}/Conferences/{sid}.json"
    assert_error(await call(http, "POST", path, 400, data={"Status": "in-progress"}), 400, 20001)
    body = await call(http, "POST", path, 200, data={"Status": "completed", "AnnounceUrl": "https://example.com/a.mp3"})
    conform(body, "Conferences/{Sid}.json", "post")
    assert (body["status"], body["reason_conference_ended"]) == ("completed", "conference-ended-via-api")
    listed = await call(http, "GET", f"{ACCOUNT}/Conferences/{sid}/Participants.json", 200)
    assert conform(listed, "Conferences/{ConferenceSid}/Participants.json")["participants"] == []
    assert (await call(http, "GET", path, 200))["status"] == "completed"


# -- participants


async def test_list_participants_with_filters(http: aiohttp.ClientSession, world: World) -> None:
    sid = next(c.sid for c in world.conferences() if len(world.participants(c.sid)) >= 4)
    path = f"{ACCOUNT}/Conferences/{sid}/Participants.json"
    body = conform(await call(http, "GET", path, 200), "Conferences/{ConferenceSid}/Participants.json")
    assert [p["call_sid"] for p in body["participants"]] == [p.call_sid for p in world.participants(sid)]
    assert all(p["status"] == "connected" and p["queue_time"] is None for p in body["participants"])
    muted = await call(http, "GET", path, 200, params={"Muted": "true", "Hold": "false"})
    expected = [p.call_sid for p in world.participants(sid) if p.muted and not p.hold]
    assert [p["call_sid"] for p in muted["participants"]] == expected
    assert muted["uri"] == f"{path}?Muted=true&Hold=false&PageSize=50&Page=0"
    first = await call(http, "GET", path, 200, params={"PageSize": "2"})
    second = conform(
        await call(http, "GET", first["next_page_uri"], 200), "Conferences/{ConferenceSid}/Participants.json"
    )
    assert [p["call_sid"] for p in first["participants"] + second["participants"]][:4] == [
        p.call_sid for p in world.participants(sid)
    ][:4]
    assert_error(await call(http, "GET", path, 400, params={"Coaching": "yes"}), 400, 20001)
    assert_error(await call(http, "GET", f"{ACCOUNT}/Conferences/CF{'1' * 32}/Participants.json", 404), 404, 20404)


async def test_create_a_participant_into_a_new_named_room(http: aiohttp.ClientSession, world: World) -> None:
    path = f"{ACCOUNT}/Conferences/{quote('Release go/no-go', safe='')}/Participants.json"
    form = {"From": FROM, "To": TO, "Label": "release manager", "StartConferenceOnEnter": "false", "Muted": "true"}
    body = conform(
        await call(http, "POST", path, 201, data=form), "Conferences/{ConferenceSid}/Participants.json", "post", "201"
    )
    assert (body["label"], body["muted"], body["start_conference_on_enter"], body["queue_time"]) == (
        "release manager",
        True,
        False,
        "0",
    )
    room = world.conference(body["conference_sid"])
    assert (room.friendly_name, room.status) == ("Release go/no-go", "init")
    await call(http, "POST", path, 201, data={"From": FROM, "To": TO, "Label": "lead", "EndConferenceOnExit": "true"})
    assert world.conference(body["conference_sid"]).status == "in-progress"
    duplicate = await call(http, "POST", path, 400, data={"From": FROM, "To": TO, "Label": "lead"})
    assert_error(duplicate, 400, 16025)


@pytest.mark.parametrize(("form", "code"), [({"From": FROM}, 21201), ({"To": TO}, 21213)])
async def test_create_needs_from_and_to(http: aiohttp.ClientSession, form: dict[str, str], code: int) -> None:
    assert_error(await call(http, "POST", f"{ACCOUNT}/Conferences/Room/Participants.json", 400, data=form), 400, code)


async def test_update_fetch_and_kick_by_percent_encoded_label(http: aiohttp.ClientSession, world: World) -> None:
    sid = live_sid(world)
    await call(
        http,
        "POST",
        f"{ACCOUNT}/Conferences/{sid}/Participants.json",
        201,
        data={"From": FROM, "To": TO, "Label": "night shift"},
    )
    path = f"{ACCOUNT}/Conferences/{sid}/Participants/night%20shift.json"
    schema_path = "Conferences/{ConferenceSid}/Participants/{CallSid}.json"
    held = conform(
        await call(http, "POST", path, 200, data={"Hold": "true", "HoldUrl": "https://example.com/m.mp3"}),
        schema_path,
        "post",
    )
    assert (held["hold"], held["label"], held["queue_time"]) == (True, "night shift", None)
    assert held["uri"] == f"{ACCOUNT}/Conferences/{sid}/Participants/{held['call_sid']}.json"
    muted = await call(http, "POST", path, 200, data={"Muted": "true", "Hold": "false"})
    assert (muted["muted"], muted["hold"]) == (True, False)
    fetched = conform(await call(http, "GET", path, 200), schema_path)
    assert fetched == muted
    assert world.participant(sid, held["call_sid"]).muted
    await call(http, "DELETE", path, 204)
    assert_error(await call(http, "DELETE", path, 404), 404, 20404)
    assert_error(
        await call(http, "GET", f"{ACCOUNT}/Conferences/{sid}/Participants/{held['call_sid']}.json", 404), 404, 20404
    )


# -- authentication and routing


async def test_authentication_comes_first(sim: SimServer, world: World) -> None:
    path = f"{ACCOUNT}/Conferences.json"
    async with aiohttp.ClientSession(sim.base_url) as anonymous:
        for headers in ({}, basic(AC, "wrong"), basic(API_KEY[0], TOKEN), {"Authorization": "Basic !!!"}):
            async with anonymous.get(path, headers=headers) as response:
                assert response.status == 401
                assert response.headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'
                assert await response.json() == {
                    "code": 20003,
                    "message": "Authenticate",
                    "more_info": "https://www.twilio.com/docs/errors/20003",
                    "status": 401,
                }
        other = f"/2010-04-01/Accounts/AC{'9' * 32}/Conferences.json"
        async with anonymous.get(other, headers=basic(AC, "wrong")) as response:
            assert response.status == 401  # a stranger cannot probe which accounts exist
        async with anonymous.get(path, headers=basic(*API_KEY)) as response:
            assert response.status == 200
        async with anonymous.get(other, headers=basic(AC, TOKEN)) as response:
            assert response.status == 404 and (await response.json())["code"] == 20404


async def test_unknown_routes_methods_and_formats(http: aiohttp.ClientSession, world: World) -> None:
    sid = live_sid(world)
    assert_error(await call(http, "DELETE", f"{ACCOUNT}/Conferences/{sid}.json", 405), 405, 20004)
    assert_error(await call(http, "GET", f"{ACCOUNT}/Conferences/{sid}.csv", 404), 404, 20404)
    assert_error(await call(http, "GET", "/2010-04-01/Accounts.json", 404), 404, 20404)


# -- faults on demand


async def test_a_queued_429_carries_retry_after_and_does_nothing(
    sim: SimServer, http: aiohttp.ClientSession, world: World
) -> None:
    sid = live_sid(world)
    someone = next(p for p in world.participants(sid) if not p.muted)
    sim.faults.fail_next(1, status=429, retry_after=1.5)
    path = f"{ACCOUNT}/Conferences/{sid}/Participants/{someone.call_sid}.json"
    async with http.post(path, data={"Muted": "true"}) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "1.5"
        assert_error(await response.json(), 429, 20429)
    assert not world.participant(sid, someone.call_sid).muted  # refused, so never processed
    assert (await call(http, "POST", path, 200, data={"Muted": "true"}))["muted"] is True


async def test_queued_faults_apply_in_order(sim: SimServer, http: aiohttp.ClientSession) -> None:
    path = f"{ACCOUNT}/Conferences.json"
    sim.faults.fail_next(2, status=503)
    sim.faults.delay_next(1, 0.01)
    sim.faults.truncate_next()
    assert sim.faults.pending == 4
    for _ in range(2):
        async with http.get(path) as response:
            assert response.status == 503 and "Retry-After" not in response.headers
            assert_error(await response.json(), 503, 20503)
    await call(http, "GET", path, 200)
    with pytest.raises(aiohttp.ClientPayloadError):
        async with http.get(path) as response:
            await response.read()
    assert sim.faults.pending == 0
    await call(http, "GET", path, 200)


# -- confmon sim


def standalone(host: str, port: int = 0) -> int:
    return run_standalone(host=host, port=port, seed=1, rooms=2, account_sid=AC, auth_token=TOKEN)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("10.0.0.1", False), ("", False), ("localhost.example.com", False)],
)  # fmt: skip
def test_only_loopback_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.0.2.10", "example.com", "localhost.example.com"])
def test_standalone_refuses_a_host_off_loopback(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert standalone(host) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and "loopback only" in err


@pytest.mark.parametrize("port", [70000, -1])
def test_standalone_reports_a_bad_port_on_stderr(port: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert standalone("127.0.0.1", port) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"confmon: cannot listen on 127.0.0.1:{port}: ") and len(err.splitlines()) == 1


def test_standalone_reports_a_busy_port_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert standalone("127.0.0.1", port) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"confmon: cannot listen on 127.0.0.1:{port}: ") and len(err.splitlines()) == 1
