"""A bad server on demand, for tests over loopback.

`HostileProxy` listens on 127.0.0.1 and passes every request through to a real upstream (a running
simulator) while it is healthy. `inject` makes it answer with one fault instead, request after
request, until `heal`. `only` limits a fault to the paths a regular expression finds, so one room's
participants can fail while everything else answers:

    async with HostileProxy(simulator.base_url) as proxy:
        await proxy.inject(Fault.UNAVAILABLE, only=participants_of(sid))
        ...
        await proxy.heal()

`inject` and `heal` are coroutines because REFUSED really stops listening (and drops the open
connections), and healing listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import re
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

MB = 1024 * 1024
CHUNK = 64 * 1024
# Paths as the twilio2010 dialect asks for them: regular expressions for `only`.
CONFERENCE_LIST = r"/Conferences\.json$"
PARTICIPANTS = r"/Participants\.json$"


def participants_of(conference_sid: str) -> str:
    """`only` for one room's participant listing."""
    return rf"/Conferences/{re.escape(conference_sid)}/Participants\.json$"


class Fault(enum.Enum):
    """What the proxy answers instead of the upstream's answer. The values are short test ids."""

    RATE_LIMITED = "429-retry-after"  # 429 with Retry-After: `retry_after` seconds
    RATE_LIMITED_BARE = "429"  # 429 without Retry-After
    SERVER_ERROR = "500"  # Twilio's error JSON
    BAD_GATEWAY = "502"  # a gateway's HTML page, as a load balancer in front would send
    UNAVAILABLE = "503"  # Twilio's error JSON
    STALL = "stall"  # nothing for `seconds`, then the real answer
    TRICKLE = "trickle"  # the real answer, one byte every `every` seconds
    REFUSED = "refused"  # nobody listens on the port
    RESET = "reset"  # headers and half the body, then a TCP reset
    TRUNCATED = "truncated"  # headers and half the body, then a clean close short of Content-Length
    MALFORMED = "malformed"  # 200 application/json, not JSON
    HTML = "html-200"  # 200 text/html: a maintenance page
    UNAUTHORIZED_MIDWAY = "401-midway"  # `after` good answers, then 401 with Twilio's error JSON
    OVERSIZED = "oversized"  # 200, valid JSON of `size` bytes and more, with Content-Length
    OVERSIZED_CHUNKED = "oversized-chunked"  # the same, chunked
    PAGING_LOOP = "paging-loop"  # every listing page links to a next page, forever
    WRONG_CONTENT_TYPE = "text-plain"  # the real JSON, labelled text/plain
    INVALID_UTF8 = "invalid-utf8"  # the real JSON, with bytes that are not UTF-8 in a room's name
    ODD_RECORD = "odd-record"  # the real JSON, one room's date unreadable and another's status undocumented


@dataclass(frozen=True)
class Injected:
    fault: Fault
    only: re.Pattern[str] | None
    retry_after: float
    seconds: float
    every: float
    after: int
    size: int

    def applies_to(self, path: str) -> bool:
        return self.only is None or self.only.search(path) is not None


@dataclass(frozen=True)
class Upstream:
    """The upstream's answer, read whole (the simulator's bodies are small)."""

    status: int
    headers: dict[str, str]
    body: bytes


# Headers passed through each way; hop-by-hop ones (length, encoding, connection) are our own.
REQUEST_HEADERS = ("Authorization", "Accept", "Content-Type", "User-Agent")
RESPONSE_HEADERS = ("Content-Type", "WWW-Authenticate", "Retry-After")
JSON_TYPE = {"Content-Type": "application/json; charset=utf-8"}


def twilio_error(status: int, code: int, message: str) -> bytes:
    more_info = f"https://www.twilio.com/docs/errors/{code}"
    return json.dumps({"code": code, "message": message, "more_info": more_info, "status": status}).encode()


GATEWAY_PAGE = b"""<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>
"""
MAINTENANCE_PAGE = b"""<!DOCTYPE html>
<html><head><title>Scheduled maintenance</title></head>
<body><h1>We'll be right back</h1><p>The service is down for scheduled maintenance.</p></body></html>
"""
NOT_JSON = b'{"conferences": [ this is not JSON'


class HostileProxy:
    def __init__(self, upstream: str, *, host: str = "127.0.0.1") -> None:
        self.upstream = upstream.rstrip("/")
        self.host = host
        self.port = 0  # 0 until the first listen picks a free port; kept for the proxy's life
        self.requests = 0  # requests seen (a refused connection is never seen)
        self.faulted = 0  # of those, the ones a fault applied to (its path matched)
        self._fault: Injected | None = None
        self._matched = 0  # requests the fault applied to since it was injected
        self._healed = asyncio.Event()  # cuts stalls and trickles short
        self._healed.set()
        self._runner: web.ServerRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def fault(self) -> Fault | None:
        return self._fault.fault if self._fault is not None else None

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        await self._listen()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._healed.set()
        await self._stop_listening()
        if self._session is not None:
            await self._session.close()

    async def inject(
        self,
        fault: Fault,
        *,
        only: str | None = None,
        retry_after: float = 3600,
        seconds: float = 60.0,
        every: float = 0.2,
        after: int = 3,
        size: int = 50 * MB,
    ) -> None:
        """From now on, answer requests whose path `only` finds (all, without it) with `fault`."""
        await self.heal()
        self._fault = Injected(
            fault, re.compile(only) if only is not None else None, retry_after, seconds, every, after, size
        )
        self._matched = 0
        self._healed.clear()
        if fault is Fault.REFUSED:
            await self._stop_listening()

    async def heal(self) -> None:
        """Pass everything through again; stalled and trickling answers finish at once."""
        refused = self.fault is Fault.REFUSED
        self._fault = None
        self._healed.set()
        if refused:
            await self._listen()

    # ---- listening --------------------------------------------------------------------------

    async def _listen(self) -> None:
        # A fresh low-level server each time: an aiohttp server cannot start again once cleaned up.
        runner = web.ServerRunner(web.Server(self._handle, access_log=None), shutdown_timeout=0.5)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def _stop_listening(self) -> None:
        """Close the port and every open connection: a pooled keep-alive connection must not
        carry on as if the server were still there."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # ---- answering --------------------------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        self.requests += 1
        injected = self._fault
        if injected is None or not injected.applies_to(request.path):
            return await self._pass(request)
        self._matched += 1
        self.faulted += 1
        return await ANSWERS[injected.fault](self, request, injected)

    async def _fetch(self, request: web.BaseRequest, *, drop_params: tuple[str, ...] = ()) -> Upstream:
        assert self._session is not None
        query = {k: v for k, v in request.query.items() if k not in drop_params}
        headers = {name: request.headers[name] for name in REQUEST_HEADERS if name in request.headers}
        async with self._session.request(
            request.method,
            self.upstream + request.path,
            params=query,
            headers=headers,
            data=await request.read() if request.can_read_body else None,
            allow_redirects=False,
        ) as answer:
            kept = {name: answer.headers[name] for name in RESPONSE_HEADERS if name in answer.headers}
            return Upstream(answer.status, kept, await answer.read())

    async def _pass(self, request: web.BaseRequest) -> web.Response:
        upstream = await self._fetch(request)
        return web.Response(status=upstream.status, body=upstream.body, headers=upstream.headers)

    async def _pause(self, seconds: float) -> None:
        """Wait `seconds`, or less if healed meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._healed.wait(), seconds)

    # One coroutine per fault, in the order of the enum.

    async def _rate_limited(self, request: web.BaseRequest, injected: Injected) -> web.StreamResponse:
        headers = dict(JSON_TYPE)
        if injected.fault is Fault.RATE_LIMITED:
            headers["Retry-After"] = f"{injected.retry_after:g}"
        return web.Response(status=429, body=twilio_error(429, 20429, "Too Many Requests"), headers=headers)

    async def _server_error(self, request: web.BaseRequest, injected: Injected) -> web.StreamResponse:
        if injected.fault is Fault.BAD_GATEWAY:
            return web.Response(status=502, body=GATEWAY_PAGE, content_type="text/html")
        status, message = (500, "Internal Server Error") if injected.fault is Fault.SERVER_ERROR else (
            503, "Service Unavailable"
        )
        return web.Response(status=status, body=twilio_error(status, 20000 + status, message), headers=JSON_TYPE)

    async def _stall(self, request: web.BaseRequest, injected: Injected) -> web.StreamResponse:
        await self._pause(injected.seconds)
        return await self._pass(request)

    async def _trickle(self, request: web.BaseRequest, injected: Injected) -> web.StreamResponse:
        upstream = await self._fetch(request)
        response = await self._start(request, upstream, len(upstream.body))
        with contextlib.suppress(ConnectionError):  # the client gave up waiting
            for i in range(len(upstream.body)):
                if not self._healed.is_set():
                    await self._pause(injected.every)
                await response.write(upstream.body[i : i + 1])
            await response.write_eof()
        return response

    async def _refused(self, request: web.BaseRequest, injected: Injected) -> web.StreamResponse:
        # Only a request already on its way when the port closed gets here: drop it unanswered.
        _hang_up(request, reset=True)
        return web.Response(status=599)

    async def _cut_short(self, request: web.BaseRequest, injected: Injected) -> web.StreamResponse:
        """Headers and half the body, then a reset (RESET) or a clean close (TRUNCATED)."""
        upstream = await self._fetch(request)
        response = await self._start(request, upstream, len(upstream.body))
        await response.write(upstream.body[: len(upstream.body) // 2])
        _hang_up(request, reset=injected.fault is Fault.RESET)
        return response

    async def _malformed(self, request: web.BaseRequest, injected: Injected) -> web.StreamResponse:
        return web.Response(status=200, body=NOT_JSON, headers=JSON_TYPE)

    async def _html(self, request: web.BaseRequest, injected: Injected) -> web.StreamResponse:
        return web.Response(status=200, body=MAINTENANCE_PAGE, content_type="text/html")

    async def _unauthorized_midway(self, request: web.BaseRequest, injected: Injected) -> web.StreamResponse:
        if self._matched <= injected.after:
            return await self._pass(request)
        challenge = {**JSON_TYPE, "WWW-Authenticate": 'Basic realm="Twilio API"'}
        return web.Response(status=401, body=twilio_error(401, 20003, "Authenticate"), headers=challenge)

    async def _oversized(self, request: web.BaseRequest, injected: Injected) -> web.StreamResponse:
        """The real answer with a padding field of `size` bytes in front: valid JSON, only too big.
        Streamed from one reused chunk, so the proxy never holds it."""
        upstream = await self._fetch(request)
        head = b'{"padding": "'
        tail = b'", ' + upstream.body[1:] if upstream.body.startswith(b"{") else b'"}'
        chunked = injected.fault is Fault.OVERSIZED_CHUNKED
        response = await self._start(request, upstream, None if chunked else len(head) + injected.size + len(tail))
        chunk = b"x" * CHUNK
        with contextlib.suppress(ConnectionError):  # a client that stops reading hangs up
            await response.write(head)
            sent = 0
            while sent < injected.size:
                piece = chunk if injected.size - sent >= CHUNK else chunk[: injected.size - sent]
                await response.write(piece)
                sent += len(piece)
            await response.write(tail)
            await response.write_eof()
        return response

    async def _paging_loop(self, request: web.BaseRequest, injected: Injected) -> web.StreamResponse:
        """A listing's real first page, whose next_page_uri names the page after this one, forever."""
        upstream = await self._fetch(request, drop_params=("Page", "PageToken"))
        listing = json.loads(upstream.body) if upstream.status == 200 else None
        if not isinstance(listing, dict) or "next_page_uri" not in listing:
            return web.Response(status=upstream.status, body=upstream.body, headers=upstream.headers)
        page = int(request.query.get("Page", "0")) + 1
        query = {k: v for k, v in request.query.items() if k not in ("Page", "PageToken")}
        query |= {"Page": str(page), "PageToken": f"PT{page}"}
        listing["page"] = page - 1
        listing["next_page_uri"] = f"{request.path}?{urlencode(query)}"
        return web.Response(status=200, body=json.dumps(listing).encode(), headers=upstream.headers)

    async def _wrong_content_type(self, request: web.BaseRequest, injected: Injected) -> web.StreamResponse:
        upstream = await self._fetch(request)
        headers = {**upstream.headers, "Content-Type": "text/plain; charset=utf-8"}
        return web.Response(status=upstream.status, body=upstream.body, headers=headers)

    async def _invalid_utf8(self, request: web.BaseRequest, injected: Injected) -> web.StreamResponse:
        """The first room's name starts with bytes no UTF-8 text contains (a lone 0xFF, 0xFE)."""
        upstream = await self._fetch(request)
        body = upstream.body.replace(b'"friendly_name": "', b'"friendly_name": "\xff\xfe', 1)
        return web.Response(status=upstream.status, body=body, headers=upstream.headers)

    async def _odd_record(self, request: web.BaseRequest, injected: Injected) -> web.StreamResponse:
        """The first room's date_updated is no date; the second room's status is one no docs list."""
        upstream = await self._fetch(request)
        try:
            document = json.loads(upstream.body)
            rooms = document["conferences"]
            rooms[0]["date_updated"] = "yesterday-ish"
            rooms[1]["status"] = "RUNNING_RECONNECTING"
            body = json.dumps(document).encode()
        except (ValueError, KeyError, IndexError, TypeError):  # not a listing of two rooms: as it came
            body = upstream.body
        return web.Response(status=upstream.status, body=body, headers=upstream.headers)

    async def _start(self, request: web.BaseRequest, upstream: Upstream, length: int | None) -> web.StreamResponse:
        """Send the status line and headers of a body to come: `length` declared, or chunked."""
        response = web.StreamResponse(status=upstream.status, headers=upstream.headers)
        if length is None:
            response.enable_chunked_encoding()
        else:
            response.content_length = length
        await response.prepare(request)
        return response


def _hang_up(request: web.BaseRequest, *, reset: bool) -> None:
    """Close the connection under the request: with a TCP reset (SO_LINGER 0), or a clean FIN."""
    transport = request.transport
    if transport is None:
        return
    if not reset:
        transport.close()
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


Answer = Callable[[HostileProxy, web.BaseRequest, Injected], Awaitable[web.StreamResponse]]
ANSWERS: dict[Fault, Answer] = {
    Fault.RATE_LIMITED: HostileProxy._rate_limited,
    Fault.RATE_LIMITED_BARE: HostileProxy._rate_limited,
    Fault.SERVER_ERROR: HostileProxy._server_error,
    Fault.BAD_GATEWAY: HostileProxy._server_error,
    Fault.UNAVAILABLE: HostileProxy._server_error,
    Fault.STALL: HostileProxy._stall,
    Fault.TRICKLE: HostileProxy._trickle,
    Fault.REFUSED: HostileProxy._refused,
    Fault.RESET: HostileProxy._cut_short,
    Fault.TRUNCATED: HostileProxy._cut_short,
    Fault.MALFORMED: HostileProxy._malformed,
    Fault.HTML: HostileProxy._html,
    Fault.UNAUTHORIZED_MIDWAY: HostileProxy._unauthorized_midway,
    Fault.OVERSIZED: HostileProxy._oversized,
    Fault.OVERSIZED_CHUNKED: HostileProxy._oversized,
    Fault.PAGING_LOOP: HostileProxy._paging_loop,
    Fault.WRONG_CONTENT_TYPE: HostileProxy._wrong_content_type,
    Fault.INVALID_UTF8: HostileProxy._invalid_utf8,
    Fault.ODD_RECORD: HostileProxy._odd_record,
}
