"""The callback receiver over real loopback HTTP: refusals change nothing, a signed event goes through."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from confmon.callbacks import signature
from confmon.callbacks.receiver import CallbackReceiver
from confmon.clock import FrozenClock
from confmon.model import ConferenceEvent, EventKind
from confmon.secret import Secret
from tests.callback_vectors import CONFERENCE_MUTE_FORM, CONFERENCE_MUTE_SENT_AT

TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC = "https://confmon.example.test/confmon/events"
FORM = CONFERENCE_MUTE_FORM
WATCHED = (FORM["AccountSid"],)

OTHER_ACCOUNT = {**FORM, "AccountSid": "AC" + "b" * 32}  # signed with our token, but not an account we watch
STALE = {**FORM, "Timestamp": "Thu, 1 Jun 2017 20:40:00 +0000"}  # 8.5 minutes before the clock below
FUTURE = {**FORM, "Timestamp": "Thu, 1 Jun 2017 21:00:00 +0000"}


def sent_time() -> FrozenClock:
    return FrozenClock(CONFERENCE_MUTE_SENT_AT + 2)  # delivered two seconds after it happened


def signed(form: dict[str, str], url: str = PUBLIC) -> dict[str, str]:
    return {"X-Twilio-Signature": signature.compute(url, form, TOKEN)}


class Running:
    def __init__(self, receiver: CallbackReceiver, queue: asyncio.Queue[ConferenceEvent], host: str, port: int) -> None:
        self.receiver, self.queue, self.host, self.port = receiver, queue, host, port
        self.local = f"http://{host}:{port}/confmon/events"


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    queue: asyncio.Queue[ConferenceEvent] = asyncio.Queue()
    receiver = CallbackReceiver(
        PUBLIC, Secret(TOKEN), queue, accounts=WATCHED, max_body=4096, body_deadline=0.3, clock=sent_time()
    )
    host, port = await receiver.start()
    try:
        yield Running(receiver, queue, host, port)
    finally:
        await receiver.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(http: aiohttp.ClientSession, url: str, body: bytes | str, headers: dict[str, str]) -> int:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    async with http.post(url, data=body, headers=headers) as response:
        await response.read()
        return response.status



async def test_a_signed_callback_is_204_and_exactly_one_event(running: Running, http: aiohttp.ClientSession) -> None:
    assert await post(http, running.local, urlencode(FORM), signed(FORM)) == 204
    event = running.queue.get_nowait()
    assert (event.kind, event.muted, event.sequence_number) == (EventKind.PARTICIPANT_MUTE, True, 3)
    assert running.queue.empty()


async def test_the_twilio_sdk_signature_is_accepted(running: Running, http: aiohttp.ClientSession) -> None:
    url = PUBLIC + "?tenant=ops&x=a%20b"  # the raw query is part of what Twilio signed
    sig = RequestValidator(TOKEN).compute_signature(url, FORM)
    assert await post(http, running.local + "?tenant=ops&x=a%20b", urlencode(FORM), {"X-Twilio-Signature": sig}) == 204
    assert running.queue.qsize() == 1


async def test_a_signature_for_the_default_port_form_is_accepted(running: Running, http: aiohttp.ClientSession) -> None:
    sig = signature.compute("https://confmon.example.test:443/confmon/events", FORM, TOKEN)
    assert await post(http, running.local, urlencode(FORM), {"X-Twilio-Signature": sig}) == 204


async def test_a_callback_function_gets_the_event() -> None:
    seen: list[ConferenceEvent] = []
    receiver = CallbackReceiver(PUBLIC, Secret(TOKEN), seen.append, accounts=WATCHED, clock=sent_time())
    host, port = await receiver.start()
    try:
        async with aiohttp.ClientSession() as http:
            assert await post(http, f"http://{host}:{port}/confmon/events", urlencode(FORM), signed(FORM)) == 204
    finally:
        await receiver.stop()
    assert [e.conference_sid for e in seen] == [FORM["ConferenceSid"]]


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (urlencode(FORM), {}, 403),  # unsigned
        (urlencode(FORM), {"X-Twilio-Signature": ""}, 403),
        (urlencode(FORM), {"X-Twilio-Signature": "not-a-signature"}, 403),
        (urlencode(FORM), {"X-Twilio-Signature": signature.compute(PUBLIC, FORM, "another-token")}, 403),
        # Forged: signed for the URL the server sees locally (a proxy's view), not the public one.
        (
            urlencode(FORM),
            {"X-Twilio-Signature": signature.compute("http://127.0.0.1/confmon/events", FORM, TOKEN)},
            403,
        ),
        # Tampered after signing.
        (urlencode({**FORM, "Muted": "false"}), signed(FORM), 403),
        # Spoofed forwarding headers change nothing: the public URL is configuration.
        (urlencode(FORM), {**signed(FORM, "https://evil.test/confmon/events"), "X-Forwarded-Host": "evil.test",
                           "X-Forwarded-Proto": "https", "Host": "evil.test"}, 403),
        # Signed, but not a conference event.
        (urlencode({**FORM, "StatusCallbackEvent": "participant-dance"}),
         signed({**FORM, "StatusCallbackEvent": "participant-dance"}), 400),
        (urlencode({k: v for k, v in FORM.items() if k != "SequenceNumber"}),
         signed({k: v for k, v in FORM.items() if k != "SequenceNumber"}), 400),
        # Not a form at all.
        (b"\xff\xfe=\x00", {"X-Twilio-Signature": "x"}, 400),
        ("just text", {"X-Twilio-Signature": signature.compute(PUBLIC, {}, TOKEN)}, 400),
        ('{"a": 1}', {"X-Twilio-Signature": "x", "Content-Type": "application/json"}, 400),
        # Oversized, whatever its signature.
        ("a=" + "x" * 5000, {"X-Twilio-Signature": "x"}, 413),
        # Rightly signed, but replayed long after it happened, or dated in the future.
        (urlencode(STALE), signed(STALE), 403),
        (urlencode(FUTURE), signed(FUTURE), 403),
        # Rightly signed and fresh, but for an account confmon does not monitor.
        (urlencode(OTHER_ACCOUNT), signed(OTHER_ACCOUNT), 403),
    ],
    ids=["unsigned", "empty-sig", "garbage-sig", "wrong-token", "local-url", "tampered", "spoofed-host",
         "unknown-kind", "missing-field", "bad-utf8", "not-urlencoded", "json", "oversized", "replayed", "future",
         "other-account"],
)
async def test_refusals_change_nothing(
    running: Running, http: aiohttp.ClientSession, body: str | bytes, headers: dict[str, str], status: int
) -> None:
    assert await post(http, running.local, body, headers) == status
    assert running.queue.empty()
    assert sum(running.receiver.refused.values()) == 1  # counted, with its reason


async def test_a_callback_for_another_account_is_refused_with_its_reason(
    running: Running, http: aiohttp.ClientSession
) -> None:
    assert await post(http, running.local, urlencode(OTHER_ACCOUNT), signed(OTHER_ACCOUNT)) == 403
    assert running.receiver.refused == {"callback for an account confmon does not monitor": 1}
    assert running.queue.empty()


async def test_an_oversized_chunked_body_is_413(running: Running, http: aiohttp.ClientSession) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length to refuse it by
        for _ in range(10):
            yield b"a=" + b"x" * 1000 + b"&"

    async with http.post(running.local, data=chunks(), headers={**signed(FORM),
                         "Content-Type": "application/x-www-form-urlencoded"}) as response:
        assert response.status == 413
    assert running.queue.empty()


async def test_other_methods_and_paths_are_refused(running: Running, http: aiohttp.ClientSession) -> None:
    async with http.get(running.local) as response:
        assert response.status == 405
    async with http.post(f"http://{running.host}:{running.port}/elsewhere", data=urlencode(FORM),
                         headers=signed(FORM)) as response:
        assert response.status == 404
    assert running.queue.empty()


async def test_a_trickling_body_is_408(running: Running) -> None:
    body = urlencode(FORM).encode()
    reader, writer = await asyncio.open_connection(running.host, running.port)
    try:
        head = (
            f"POST /confmon/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"X-Twilio-Signature: {signature.compute(PUBLIC, FORM, TOKEN)}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        writer.write(head.encode() + body[:10])  # and then nothing more: the deadline (0.3 s) must answer
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=30)  # a hang guard, not a timing check
    finally:
        writer.close()
    assert status_line.split()[1] == b"408"
    assert running.queue.empty()


async def test_a_full_queue_refuses_instead_of_dropping_silently(http: aiohttp.ClientSession) -> None:
    queue: asyncio.Queue[ConferenceEvent] = asyncio.Queue(maxsize=1)
    receiver = CallbackReceiver(PUBLIC, Secret(TOKEN), queue, accounts=WATCHED, clock=sent_time())
    host, port = await receiver.start()
    try:
        url = f"http://{host}:{port}/confmon/events"
        assert await post(http, url, urlencode(FORM), signed(FORM)) == 204
        assert await post(http, url, urlencode(FORM), signed(FORM)) == 503
    finally:
        await receiver.stop()
    assert queue.qsize() == 1


async def test_the_token_never_shows(
    caplog: pytest.LogCaptureFixture, running: Running, http: aiohttp.ClientSession
) -> None:
    caplog.set_level("DEBUG")
    await post(http, running.local, urlencode(FORM), {"X-Twilio-Signature": "bad"})
    assert TOKEN not in caplog.text and TOKEN not in repr(running.receiver)


async def test_stop_closes_the_port() -> None:
    receiver = CallbackReceiver(PUBLIC, Secret(TOKEN), asyncio.Queue(), accounts=WATCHED, clock=sent_time())
    host, port = await receiver.start()
    await receiver.stop()
    await receiver.stop()  # idempotent
    with pytest.raises(OSError):
        await asyncio.open_connection(host, port)


def test_public_url_must_be_absolute() -> None:
    with pytest.raises(ValueError):
        CallbackReceiver("/confmon/events", Secret(TOKEN), asyncio.Queue(), accounts=WATCHED)
