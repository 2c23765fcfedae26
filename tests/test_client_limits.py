"""Nothing a server sends is read without bound: a body past the client's limit is refused as a bad
response while it streams in (memory stays flat), and an error body is read only as far as its
message. Against a real server on loopback that sends what no API would."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web

from confmon.api.client import ConferenceClient
from confmon.api.errors import AuthFailed, BadResponse
from confmon.secret import Secret
from tests.waiting import wait_until

ACCOUNT = "AC" + "7c" * 16
HUGE = 50 * 2**20
CHUNK = b" " * 2**16
@dataclass
class Behaviour:
    mode: str = "fine"


BEHAVIOUR = web.AppKey("behaviour", Behaviour)
EMPTY_PAGE = json.dumps({"conferences": [], "next_page_uri": None}).encode()


async def _huge(request: web.Request, *, declared: bool, status: int = 200) -> web.StreamResponse:
    """A valid-looking JSON start, then 50 MB of blanks, streamed: never held in this process either."""
    response = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
    if declared:
        response.content_length = HUGE
    await response.prepare(request)
    head = b'{"code": 20003, "message": "no such token", "padding": "' if status != 200 else b'{"conferences": ['
    await response.write(head)
    try:
        for _ in range((HUGE - len(head)) // len(CHUNK)):
            await response.write(CHUNK)
    except (ConnectionError, RuntimeError):  # the client hung up, as it should
        pass
    return response


async def handler(request: web.Request) -> web.StreamResponse:
    mode = request.app[BEHAVIOUR].mode
    if mode == "fine":
        return web.Response(body=EMPTY_PAGE, content_type="application/json")
    if mode == "huge-error":
        return await _huge(request, declared=False, status=401)
    return await _huge(request, declared=mode == "declared")


def client_of(url: str, **options: int) -> ConferenceClient:
    return ConferenceClient(base_url=url, account_sid=ACCOUNT, username=ACCOUNT, password=Secret("t" * 12), **options)


@pytest.fixture
async def server() -> AsyncIterator[tuple[web.Application, str]]:
    app = web.Application()
    app[BEHAVIOUR] = Behaviour()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield app, f"http://{host}:{port}"
    await runner.cleanup()


@pytest.mark.parametrize("mode", ["declared", "chunked"])
async def test_a_body_past_the_limit_is_a_bad_response_and_memory_stays_flat(server, mode: str) -> None:
    app, url = server
    async with client_of(url) as client:
        app[BEHAVIOUR].mode = mode
        tracemalloc.start()
        try:
            with pytest.raises(BadResponse, match="over the 16 MiB limit"):
                await client.list_conferences()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 40 * 2**20  # the limit and a chunk or two, never the 50 MB
        app[BEHAVIOUR].mode = "fine"
        assert await client.list_conferences() == []  # and the client goes on


async def test_the_limit_is_configurable(server) -> None:
    _, url = server
    async with client_of(url, max_body=10) as small:
        with pytest.raises(BadResponse, match="over the 10 bytes limit"):
            await small.list_conferences()


async def test_an_endless_error_body_is_read_only_as_far_as_its_message(server) -> None:
    app, url = server
    app[BEHAVIOUR].mode = "huge-error"
    async with client_of(url) as client:
        tracemalloc.start()
        try:
            with pytest.raises(AuthFailed) as failed:
                await client.list_conferences()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert failed.value.status == 401  # the head of the body is not JSON on its own: the status speaks
    assert peak < 4 * 2**20  # the 64 KiB head and a chunk or two, never the 50 MB


async def test_one_retry_after_of_an_hour_holds_polling_back_only_to_the_longest_backoff(simulator, clock) -> None:
    """Over loopback, with the real client: the server's figure is shown, the wait is capped, and a
    refresh (the `r` key) still polls at once."""
    from confmon.feed import Poller
    from confmon.store import Store
    from tests.simulated import ACCOUNT as SIM_ACCOUNT
    from tests.simulated import TOKEN

    store = Store(clock)
    sim_client = ConferenceClient(
        base_url=simulator.base_url, account_sid=SIM_ACCOUNT, username=SIM_ACCOUNT, password=Secret(TOKEN)
    )
    async with sim_client:
        poller = Poller(sim_client, store, clock, account=SIM_ACCOUNT, on_changes=lambda _: None)
        simulator.faults.fail_next(status=429, retry_after=3600)
        task = asyncio.create_task(poller.run())
        try:
            await wait_until(lambda: clock.sleepers == 1)  # failed, and waiting on the (frozen) clock
            health = store.health_of(SIM_ACCOUNT)
            assert health.last_error is not None and "retry after 3600 s" in health.last_error
            assert "polling again in 30 s" in health.last_error
            assert poller.due_at == clock.now() + 30
            poller.refresh_now()  # the `r` key
            await wait_until(lambda: store.health_of(SIM_ACCOUNT).last_success_at is not None)
        finally:
            task.cancel()
    assert store.health_of(SIM_ACCOUNT).last_error is None
