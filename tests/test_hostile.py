"""The hostile proxy does what each fault says, to a plain httpx client, and heals."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from confmon.model import ConferenceStatus
from confmon.sim.server import SimServer
from tests.hostile import CONFERENCE_LIST, MB, Fault, HostileProxy, participants_of
from tests.simulated import ACCOUNT, TOKEN
from tests.waiting import wait_until

CONFERENCES = f"/2010-04-01/Accounts/{ACCOUNT}/Conferences.json"


def participants(conference_sid: str) -> str:
    return f"/2010-04-01/Accounts/{ACCOUNT}/Conferences/{conference_sid}/Participants.json"


@pytest_asyncio.fixture
async def proxy(simulator: SimServer) -> AsyncIterator[HostileProxy]:
    async with HostileProxy(simulator.base_url or "") as proxy:
        yield proxy


@pytest_asyncio.fixture
async def client(proxy: HostileProxy) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=proxy.url, auth=(ACCOUNT, TOKEN), timeout=10) as client:
        yield client


def rooms(simulator: SimServer) -> list[str]:
    return [c.sid for c in simulator.world.conferences() if c.status is ConferenceStatus.IN_PROGRESS]


async def upstream(simulator: SimServer, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=simulator.base_url or "", auth=(ACCOUNT, TOKEN)) as direct:
        return await direct.get(path)


async def test_a_healthy_proxy_passes_everything_through(
    proxy: HostileProxy, client: httpx.AsyncClient, simulator: SimServer
) -> None:
    answer = await client.get(CONFERENCES)
    truth = await upstream(simulator, CONFERENCES)
    assert (answer.status_code, answer.headers["content-type"], answer.content) == (
        truth.status_code, truth.headers["content-type"], truth.content,
    )
    refused = await client.get(CONFERENCES, auth=(ACCOUNT, "wrong"))
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
    assert proxy.url == f"http://127.0.0.1:{proxy.port}" and proxy.port > 0
    assert (proxy.requests, proxy.faulted) == (2, 0)


@pytest.mark.parametrize(
    ("fault", "status", "content_type", "code"),
    [
        (Fault.RATE_LIMITED_BARE, 429, "application/json", 20429),
        (Fault.SERVER_ERROR, 500, "application/json", 20500),
        (Fault.BAD_GATEWAY, 502, "text/html", None),
        (Fault.UNAVAILABLE, 503, "application/json", 20503),
        (Fault.MALFORMED, 200, "application/json", None),
        (Fault.HTML, 200, "text/html", None),
    ],
    ids=lambda value: value.value if isinstance(value, Fault) else None,
)
async def test_an_answer_fault_lasts_until_healed(
    proxy: HostileProxy, client: httpx.AsyncClient, fault: Fault, status: int, content_type: str, code: int | None
) -> None:
    await proxy.inject(fault)
    for _ in range(2):
        answer = await client.get(CONFERENCES)
        assert answer.status_code == status and answer.headers["content-type"].startswith(content_type)
        assert "retry-after" not in answer.headers
        if code is not None:
            assert answer.json()["code"] == code
        else:
            with pytest.raises(json.JSONDecodeError):
                answer.json()
    await proxy.heal()
    assert (await client.get(CONFERENCES)).json()["conferences"]
    assert (proxy.requests, proxy.faulted) == (3, 2)


async def test_a_429_says_when_to_retry(proxy: HostileProxy, client: httpx.AsyncClient) -> None:
    await proxy.inject(Fault.RATE_LIMITED, retry_after=3600)
    answer = await client.get(CONFERENCES)
    assert answer.status_code == 429 and answer.headers["retry-after"] == "3600"
    assert answer.json() == {
        "code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429",
        "status": 429,
    }


async def test_only_the_paths_asked_for_are_faulted(
    proxy: HostileProxy, client: httpx.AsyncClient, simulator: SimServer
) -> None:
    first, second, *_ = rooms(simulator)
    await proxy.inject(Fault.UNAVAILABLE, only=participants_of(first))
    assert (await client.get(participants(first))).status_code == 503
    assert (await client.get(participants(second))).status_code == 200
    assert (await client.get(CONFERENCES)).status_code == 200
    await proxy.inject(Fault.UNAVAILABLE, only=CONFERENCE_LIST)  # a new fault replaces the last
    assert (await client.get(CONFERENCES)).status_code == 503
    assert (await client.get(participants(first))).status_code == 200


async def test_a_stall_outlasts_a_read_timeout_and_ends_when_healed(
    proxy: HostileProxy, client: httpx.AsyncClient
) -> None:
    await proxy.inject(Fault.STALL, seconds=60)
    with pytest.raises(httpx.ReadTimeout):
        await client.get(CONFERENCES, timeout=0.3)
    stalled = asyncio.create_task(client.get(CONFERENCES))
    await wait_until(lambda: proxy.faulted == 2)  # stalling at the proxy now
    await proxy.heal()
    answer = await asyncio.wait_for(stalled, 10)  # far less than the 60 s stall
    assert answer.status_code == 200 and answer.json()["conferences"]


async def test_a_trickle_sends_a_byte_at_a_time_until_healed(
    proxy: HostileProxy, client: httpx.AsyncClient, simulator: SimServer
) -> None:
    await proxy.inject(Fault.TRICKLE, every=0.1)
    async with client.stream("GET", CONFERENCES) as answer:
        pieces = answer.aiter_raw()
        first = [await anext(pieces) for _ in range(3)]
        assert sum(map(len, first)) < 30  # a byte at a time (a slow reader may take two at once)
        await proxy.heal()
        body = b"".join(first) + b"".join([piece async for piece in pieces])
    assert body == (await upstream(simulator, CONFERENCES)).content


async def test_refused_stops_listening_and_healing_listens_on_the_same_port(
    proxy: HostileProxy, client: httpx.AsyncClient
) -> None:
    assert (await client.get(CONFERENCES)).status_code == 200  # a pooled keep-alive connection now
    url = proxy.url
    await proxy.inject(Fault.REFUSED)
    for _ in range(2):
        with pytest.raises(httpx.ConnectError):
            await client.get(CONFERENCES)
    await proxy.heal()
    assert proxy.url == url
    assert (await client.get(CONFERENCES)).status_code == 200


@pytest.mark.parametrize(
    ("fault", "error"),
    [(Fault.RESET, httpx.ReadError), (Fault.TRUNCATED, httpx.RemoteProtocolError)],
    ids=["reset", "truncated"],
)
async def test_a_body_cut_short(
    proxy: HostileProxy, client: httpx.AsyncClient, fault: Fault, error: type[Exception]
) -> None:
    await proxy.inject(fault)
    async with client.stream("GET", CONFERENCES) as answer:
        assert answer.status_code == 200 and int(answer.headers["content-length"]) > 0
        with pytest.raises(error):
            await answer.aread()
    await proxy.heal()
    assert (await client.get(CONFERENCES)).status_code == 200


async def test_401_after_some_good_answers(proxy: HostileProxy, client: httpx.AsyncClient) -> None:
    await proxy.inject(Fault.UNAUTHORIZED_MIDWAY, after=2)
    statuses = [(await client.get(CONFERENCES)).status_code for _ in range(4)]
    assert statuses == [200, 200, 401, 401]
    answer = await client.get(CONFERENCES)
    assert answer.json()["code"] == 20003 and answer.headers["www-authenticate"] == 'Basic realm="Twilio API"'


async def test_oversized_streams_50_mb_with_its_length_declared(
    proxy: HostileProxy, client: httpx.AsyncClient
) -> None:
    await proxy.inject(Fault.OVERSIZED)
    async with client.stream("GET", CONFERENCES) as answer:
        declared = int(answer.headers["content-length"])
        received, head = 0, b""
        async for piece in answer.aiter_raw():  # counted, never held
            head = head or piece[:13]
            received += len(piece)
    assert head == b'{"padding": "' and received == declared > 50 * MB


async def test_oversized_chunked_is_valid_json_only_too_big(
    proxy: HostileProxy, client: httpx.AsyncClient
) -> None:
    await proxy.inject(Fault.OVERSIZED_CHUNKED, size=2 * MB)  # small enough to parse here
    answer = await client.get(CONFERENCES)
    assert "content-length" not in answer.headers and answer.headers["transfer-encoding"] == "chunked"
    listing = answer.json()
    assert len(listing["padding"]) == 2 * MB and listing["conferences"]


async def test_a_paging_loop_always_has_a_new_next_page(proxy: HostileProxy, client: httpx.AsyncClient) -> None:
    await proxy.inject(Fault.PAGING_LOOP)
    uri, seen = CONFERENCES + "?PageSize=50", set()
    for page in range(5):
        listing = (await client.get(uri)).json()
        assert listing["conferences"] and listing["page"] == page
        uri = listing["next_page_uri"]
        assert uri.startswith(CONFERENCES + "?") and f"Page={page + 1}" in uri and uri not in seen
        seen.add(uri)


async def test_wrong_content_type_labels_the_real_json_as_text(
    proxy: HostileProxy, client: httpx.AsyncClient, simulator: SimServer
) -> None:
    await proxy.inject(Fault.WRONG_CONTENT_TYPE)
    answer = await client.get(CONFERENCES)
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.content == (await upstream(simulator, CONFERENCES)).content


async def test_invalid_utf8_inside_a_room_name(proxy: HostileProxy, client: httpx.AsyncClient) -> None:
    await proxy.inject(Fault.INVALID_UTF8)
    body = (await client.get(CONFERENCES)).content
    with pytest.raises(UnicodeDecodeError):
        body.decode()
    names = [room["friendly_name"] for room in json.loads(body.decode(errors="replace"))["conferences"]]
    assert names[0].startswith("\ufffd\ufffd") and not any("\ufffd" in name for name in names[1:])
