"""Unit tests of the retry rules, one rule per test, over httpx.MockTransport (no sockets, no waiting)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import pytest
import stamina

from confmon.api import ConferenceClient, NotFound, RateLimited, Unavailable
from confmon.api.client import retry_wait
from confmon.secret import Secret

AC = "AC" + "a" * 32
CF = "CF" + "b" * 32
CA = "CA" + "c" * 32
PARTICIPANT = {
    "account_sid": AC,
    "call_sid": CA,
    "conference_sid": CF,
    "status": "connected",
    "muted": True,
    "hold": False,
}
RATE_LIMITED = httpx.Response(
    429,
    headers={"Retry-After": "1"},
    json={"code": 20429, "message": "Too Many Requests", "more_info": "", "status": 429},
)

Handler = Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]


@pytest.fixture(autouse=True)
def instant_retries() -> object:
    with stamina.set_testing(True, attempts=3):  # no backoff sleeps; at most 3 attempts
        yield


def scripted(*outcomes: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler that answers with `outcomes` in turn (the last one repeats), and the requests it saw."""
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        outcome = outcomes[min(len(seen), len(outcomes)) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return handler, seen


def client(handler: Handler, **options: Any) -> ConferenceClient:
    return ConferenceClient(
        base_url="http://api.test",
        account_sid=AC,
        username=AC,
        password=Secret("token"),
        transport=httpx.MockTransport(handler),
        **options,
    )


def ok(payload: dict[str, object] = PARTICIPANT) -> httpx.Response:
    return httpx.Response(200, json=payload)


# The rule itself


@pytest.mark.parametrize(
    ("error", "idempotent", "expected"),
    [
        (RateLimited(retry_after=2.5), False, 2.5),  # any method, after Retry-After
        (RateLimited(), False, True),  # any method, after jittered backoff
        (Unavailable("refused", request_sent=False), False, True),  # never left: safe to re-send a POST
        (Unavailable("timed out"), False, False),  # a POST that may have landed is not re-sent
        (Unavailable("timed out"), True, True),
        (NotFound(), True, False),
    ],
)
def test_retry_wait(error: Exception, idempotent: bool, expected: bool | float) -> None:
    assert retry_wait(error, idempotent=idempotent) == expected


# The rule, applied to requests


async def test_get_waits_out_a_429_then_succeeds() -> None:
    handler, seen = scripted(RATE_LIMITED, ok())
    async with client(handler) as api:
        assert (await api.fetch_participant(CF, CA)).muted
    assert [r.method for r in seen] == ["GET", "GET"]


async def test_post_is_resent_after_a_429() -> None:
    handler, seen = scripted(RATE_LIMITED, ok())
    async with client(handler) as api:
        await api.update_participant(CF, CA, muted=True)
    assert [r.method for r in seen] == ["POST", "POST"]
    assert all(r.content == b"Muted=true" for r in seen)


async def test_post_is_resent_when_it_never_left() -> None:
    handler, seen = scripted(httpx.ConnectError("refused"), ok())
    async with client(handler) as api:
        await api.update_participant(CF, CA, muted=True)
    assert len(seen) == 2


async def test_post_is_not_resent_after_a_read_timeout() -> None:
    handler, seen = scripted(httpx.ReadTimeout("slow"), ok())
    async with client(handler) as api:
        with pytest.raises(Unavailable) as caught:
            await api.update_participant(CF, CA, muted=True)
    assert len(seen) == 1
    assert caught.value.request_sent  # the caller must re-read before trying again


async def test_delete_is_not_resent_after_a_5xx() -> None:
    handler, seen = scripted(httpx.Response(502), httpx.Response(204))
    async with client(handler) as api:
        with pytest.raises(Unavailable, match="502"):
            await api.kick(CF, CA)
    assert len(seen) == 1


async def test_get_is_retried_after_a_5xx_until_attempts_run_out() -> None:
    handler, seen = scripted(httpx.Response(503))
    async with client(handler) as api:
        with pytest.raises(Unavailable) as caught:
            await api.fetch_participant(CF, CA)
    assert len(seen) == 3
    assert caught.value.status == 503


async def test_a_retry_after_beyond_the_budget_is_reported_at_once() -> None:
    long_wait = httpx.Response(429, headers={"Retry-After": "60"}, json={"code": 20429, "message": "slow down"})
    handler, seen = scripted(long_wait, ok())
    async with client(handler) as api:
        with pytest.raises(RateLimited) as caught:
            await api.fetch_participant(CF, CA)
    assert len(seen) == 1
    assert caught.value.retry_after == 60
    assert str(caught.value) == "rate limited (429, code 20429): slow down (retry after 60 s)"


async def test_the_deadline_bounds_the_whole_call() -> None:
    async def never(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async with client(never, deadline=0.2) as api:
        with pytest.raises(Unavailable, match="deadline exceeded"):
            await api.fetch_participant(CF, CA)


async def test_retries_are_logged_not_printed(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    handler, _ = scripted(RATE_LIMITED, ok())
    with caplog.at_level("INFO", logger="confmon.api.client"):
        async with client(handler) as api:
            await api.fetch_participant(CF, CA)
    assert capsys.readouterr().err == ""  # stderr is the TUI's screen
    assert any("rate limited" in record.getMessage() for record in caplog.records)
