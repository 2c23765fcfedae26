"""The client over real loopback sockets, against tiny aiohttp servers written here for one behaviour each."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import stamina
from aiohttp import web

from confmon.api import AuthFailed, BadResponse, ConferenceClient, NotFound, Unavailable
from confmon.clock import FrozenClock
from confmon.model import ConferenceStatus
from confmon.secret import Secret

AC = "AC" + "a" * 32
TOKEN = "s3cr3t-auth-token"
ROOT = f"/2010-04-01/Accounts/{AC}/Conferences"


def sid(n: int) -> str:
    return f"CF{n:032x}"


def room(n: int, status: str = "in-progress") -> dict[str, object]:
    return {"sid": sid(n), "account_sid": AC, "friendly_name": f"room {n}", "status": status}


def participant(n: int) -> dict[str, object]:
    return {"call_sid": f"CA{n:032x}", "conference_sid": sid(n), "account_sid": AC, "status": "connected"}


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def client(base_url: str, **options: Any) -> ConferenceClient:
    return ConferenceClient(base_url=base_url, account_sid=AC, username=AC, password=Secret(TOKEN), **options)


def sweep_server(participant_status: dict[int, int], asked: list[int]) -> web.Application:
    """Rooms 1-3 in progress, room 4 starting, and room 2 caught in both listings (it started between them).

    Participants answer with the status in `participant_status` (200 by default) and record the order
    in which rooms were asked for in `asked`.
    """

    async def conferences(request: web.Request) -> web.Response:
        if request.query["Status"] == "in-progress":
            rooms = [room(1), room(2), room(3)]
        else:
            rooms = [room(4, "init"), room(2, "init")]
        return web.json_response({"conferences": rooms, "next_page_uri": None})

    async def participants(request: web.Request) -> web.Response:
        n = int(request.match_info["sid"][2:], 16)
        asked.append(n)
        status = participant_status.get(n, 200)
        if status != 200:
            return web.json_response({"code": 20404 if status == 404 else None, "message": "no"}, status=status)
        return web.json_response({"participants": [participant(n)], "next_page_uri": None})

    app = web.Application()
    app.router.add_get(f"{ROOT}.json", conferences)
    app.router.add_get(f"{ROOT}/{{sid}}/Participants.json", participants)
    return app


async def test_sweep_fetches_priority_rooms_first_and_skips_rooms_that_ended() -> None:
    asked: list[int] = []
    clock = FrozenClock()
    async with serve(sweep_server({3: 404}, asked)) as base, client(base, max_concurrency=1, clock=clock) as api:
        snapshot = await api.sweep(priority=[sid(4), "CF" + "f" * 32, sid(3)])  # the second is not live: ignored

    assert asked == [4, 3, 1, 2]
    assert [(c.sid, c.status) for c in snapshot.conferences] == [
        (sid(1), ConferenceStatus.IN_PROGRESS),
        (sid(2), ConferenceStatus.IN_PROGRESS),
        (sid(3), ConferenceStatus.IN_PROGRESS),
        (sid(4), ConferenceStatus.INIT),
    ]
    assert sorted(snapshot.participants) == [sid(1), sid(2), sid(4)]  # room 3 ended: no entry
    assert snapshot.participants[sid(4)][0].conference_sid == sid(4)
    assert snapshot.taken_at == clock.now()
    assert snapshot.complete


async def test_sweep_fails_whole_on_any_other_error() -> None:
    async with serve(sweep_server({2: 500}, [])) as base, client(base) as api:
        with stamina.set_testing(True, attempts=2), pytest.raises(Unavailable, match="500"):
            await api.sweep()


async def test_pages_are_followed_under_a_path_prefix() -> None:
    """Page URIs are host-relative; a gateway under /twilio may or may not echo its prefix in them."""
    seen: list[web.Request] = []
    next_pages = {
        "0": f"{ROOT}.json?PageSize=2&Page=1&PageToken=PA1",  # without the prefix, as Twilio writes it
        "1": f"/twilio{ROOT}.json?PageSize=2&Page=2&PageToken=PA2",  # with it
        "2": None,
    }

    async def conferences(request: web.Request) -> web.Response:
        seen.append(request)
        page = request.query.get("Page", "0")
        rooms = [room(2 * int(page)), room(2 * int(page) + 1)]
        return web.json_response({"conferences": rooms, "next_page_uri": next_pages[page]})

    app = web.Application()
    app.router.add_get(f"/twilio{ROOT}.json", conferences)
    async with serve(app) as base, client(base + "/twilio/") as api:
        rooms = await api.list_conferences(page_size=2)

    assert [r.friendly_name for r in rooms] == [f"room {n}" for n in range(6)]
    assert [r.query.get("PageToken") for r in seen] == [None, "PA1", "PA2"]
    first = seen[0]
    assert first.query["PageSize"] == "2"
    assert first.headers["Authorization"] == "Basic " + base64.b64encode(f"{AC}:{TOKEN}".encode()).decode()
    assert first.headers["Accept"] == "application/json"
    assert first.headers["User-Agent"].startswith("confmon/")


async def test_a_paging_loop_is_a_bad_response() -> None:
    async def conferences(request: web.Request) -> web.Response:
        return web.json_response({"conferences": [room(1)], "next_page_uri": f"{ROOT}.json?Page=1"})

    app = web.Application()
    app.router.add_get(f"{ROOT}.json", conferences)
    async with serve(app) as base, client(base) as api:
        with pytest.raises(BadResponse, match="paging"):
            await api.list_conferences()


@pytest.mark.parametrize(
    ("status", "payload", "error", "text"),
    [
        (401, {"code": 20003, "message": "Authenticate"}, AuthFailed, "auth failed (401, code 20003): Authenticate"),
        (404, {"code": 20404, "message": "\x1b[2Jgone"}, NotFound, "not found (404, code 20404): \\x1b[2Jgone"),
        (400, {"code": 21211, "message": "Invalid"}, BadResponse, "bad response (400, code 21211): Invalid"),
        # A redirect is not followed: it would carry our credentials elsewhere.
        (302, None, BadResponse, "bad response (302): Found"),
        (200, "<html>hello</html>", BadResponse, "bad response: body is an HTML page, not JSON"),
        (200, {"sid": "CF1"}, BadResponse, "bad response: conference: sid is not a CF sid"),
    ],
)
async def test_statuses_and_bodies_map_to_typed_errors(
    status: int, payload: object, error: type[Exception], text: str
) -> None:
    async def answer(request: web.Request) -> web.Response:
        body = payload if isinstance(payload, str) else json.dumps(payload)
        headers = {"Location": "http://elsewhere.invalid/"} if status == 302 else None
        return web.Response(status=status, text=body, headers=headers)

    app = web.Application()
    app.router.add_get(f"{ROOT}/{{sid}}.json", answer)
    async with serve(app) as base, client(base) as api:
        with pytest.raises(error) as caught:
            await api.fetch_conference("CF" + "0" * 32)
    assert str(caught.value) == text
    assert TOKEN not in repr(caught.value)
    assert TOKEN not in repr(api)


async def test_an_unreachable_host_is_unavailable() -> None:
    with socket.socket() as probe:  # a port that was just free, so nothing listens on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with client(f"http://127.0.0.1:{port}", deadline=1.0) as api:
        with pytest.raises(Unavailable) as caught:
            await api.list_conferences()
    assert str(caught.value) == f"unavailable: connection refused to 127.0.0.1:{port}"
    assert caught.value.request_sent is False


async def test_a_trickling_body_hits_the_deadline() -> None:
    """One byte every 0.2 s never trips the per-read timeout; only the total deadline stops it."""

    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = 1000
        await response.prepare(request)
        for _ in range(1000):
            await response.write(b" ")
            await asyncio.sleep(0.2)
        return response

    app = web.Application()
    app.router.add_get(f"{ROOT}.json", trickle)
    async with serve(app) as base, client(base, timeout=0.5, deadline=1.5) as api:
        with pytest.raises(Unavailable, match="deadline exceeded"):
            await api.list_conferences()


def test_credentials_in_the_base_url_are_refused_without_echo() -> None:
    with pytest.raises(ValueError, match="must not carry credentials") as caught:
        client(f"https://{AC}:{TOKEN}@api.twilio.com")
    assert TOKEN not in str(caught.value)
