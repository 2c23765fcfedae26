"""The status-callback receiver: an aiohttp.web app run as tasks inside the app's own loop.

Every refusal (403 unsigned, wrongly signed, stale or for an account not monitored, 413 too big, 400
not a callback form, 408 too slow) happens before the event is handed over, so a refused request
changes nothing.

A signature has no time or nonce in it: a captured request stays valid forever. The signed
Timestamp is what makes a replay visible, so an event from outside `max_age` of now is refused.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Collection
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from aiohttp import web
from multidict import MultiDict

from confmon.callbacks import signature
from confmon.callbacks.events import FormError, parse_event
from confmon.clock import Clock, SystemClock
from confmon.model import ConferenceEvent
from confmon.secret import Secret

log = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"
MAX_BODY = 16 * 1024  # a conference callback is well under 2 KiB
MAX_FIELDS = 100  # Twilio sends about 20
BODY_DEADLINE = 5.0  # seconds; Twilio itself gives up at 15 s
KEEPALIVE = 10.0  # seconds an idle connection may stay open (aiohttp's default is an hour)
SHUTDOWN = 0.5  # seconds stop() waits for requests in flight: quitting must not hang on a slow client
MAX_AGE = 300.0  # seconds; Twilio gives up delivering after 15 s, the rest is for clock skew

Sink = Callable[[ConferenceEvent], None] | asyncio.Queue[ConferenceEvent]


class _TooLarge(Exception):
    pass


class CallbackReceiver:
    """Receives conference status callbacks POSTed to `public_url`'s path, checks, hands them over.

    The signature is checked against `public_url` as configured (plus the request's raw query),
    never against a URL rebuilt from Host or X-Forwarded-* headers, which a client controls.
    """

    def __init__(
        self,
        public_url: str,
        token: Secret,
        on_event: Sink,
        *,
        accounts: Collection[str],
        host: str = "127.0.0.1",
        port: int = 0,
        max_body: int = MAX_BODY,
        body_deadline: float = BODY_DEADLINE,
        clock: Clock | None = None,
        max_age: float = MAX_AGE,
    ) -> None:
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("public_url must be an absolute http(s) URL")
        # Twilio leaves connection-override #fragments out of the signature; the query comes from
        # each request, byte for byte, so the configured one is only used to find the path.
        self._base = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
        self.path = parts.path or "/"
        self._token = token
        # A token may sign for more than the accounts we watch (a subaccount's callbacks are signed with
        # the parent's token): an event of any other account is refused, never shown as one of ours.
        self._accounts = frozenset(accounts)
        self._on_event = on_event
        self._host = host
        self._port = port
        self._max_body = max_body
        self._deadline = body_deadline
        self._clock = clock or SystemClock()
        self._max_age = max_age
        self._runner: web.AppRunner | None = None
        # What was refused, by reason: a public URL that is not the one the provider signs makes
        # every callback a 403, and the operator must be able to see that from the status bar.
        self.refused: Counter[str] = Counter()
        self.last_refusal: str | None = None
        self.on_refusal: Callable[[str], None] | None = None  # told each refusal's reason, as it happens

    def __repr__(self) -> str:
        return f"CallbackReceiver({self._base!r}, token={self._token!r})"

    async def start(self) -> tuple[str, int]:
        """Listen; returns the (host, port) actually bound (port 0 picks a free one)."""
        if self._runner is not None:
            raise RuntimeError("receiver already started")
        app = web.Application(client_max_size=self._max_body)
        app.router.add_post(self.path, self._handle)  # other methods: 405 from the router
        runner = web.AppRunner(
            app, handle_signals=False, access_log=None, keepalive_timeout=KEEPALIVE, shutdown_timeout=SHUTDOWN
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        return host, port

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _read_body(self, request: web.Request) -> bytes:
        if request.content_length is not None and request.content_length > self._max_body:
            raise _TooLarge  # refuse before reading a byte of it
        chunks: list[bytes] = []
        size = 0
        # aiohttp has no server-side deadline for a body: a trickle would hold the handler forever.
        async with asyncio.timeout(self._deadline):
            while chunk := await request.content.read(8192):
                size += len(chunk)
                if size > self._max_body:  # chunked bodies carry no Content-Length to check
                    raise _TooLarge
                chunks.append(chunk)
        return b"".join(chunks)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        given = request.headers.get(signature.HEADER)
        if not given:
            return self._refuse(403, "unsigned callback", close=True)  # its body is never read
        try:
            body = await self._read_body(request)
        except _TooLarge:
            return self._refuse(413, "callback body over the limit", close=True)
        except TimeoutError:
            return self._refuse(408, "callback body too slow", close=True)
        if request.content_type != FORM:
            return self._refuse(400, "callback is not a form")
        try:
            pairs = parse_qsl(
                body.decode("utf-8"), keep_blank_values=True, strict_parsing=True, max_num_fields=MAX_FIELDS
            )
        except ValueError:  # bad UTF-8, a field without "=", too many fields
            return self._refuse(400, "callback form does not parse")
        form: MultiDict[str] = MultiDict(pairs)
        # The raw query, byte for byte: Twilio signed the URL exactly as it requested it.
        _, _, query = request.raw_path.partition("?")
        url = f"{self._base}?{query}" if query else self._base
        if not signature.valid(url, form, given, self._token.reveal()):
            return self._refuse(403, "bad callback signature")
        try:
            event = parse_event(form)
        except FormError as error:
            return self._refuse(400, f"signed callback is not a conference event: {error}")
        if abs(self._clock.now() - event.timestamp.timestamp()) > self._max_age:
            return self._refuse(403, "callback timestamp too far from now (a replay?)")
        if event.account_sid not in self._accounts:
            return self._refuse(403, "callback for an account confmon does not monitor")
        try:
            if isinstance(self._on_event, asyncio.Queue):
                self._on_event.put_nowait(event)
            else:
                self._on_event(event)
        except asyncio.QueueFull:
            return self._refuse(503, "event queue full")
        except Exception:
            log.exception("callback consumer failed")
            return self._refuse(500, "callback consumer failed")
        return web.Response(status=204)

    def _refuse(self, status: int, why: str, *, close: bool = False) -> web.Response:
        # The reason is ours, never the request's headers, so neither token nor signature is logged.
        log.info("refused callback: %s (%d)", why, status)
        self.refused[why] += 1
        self.last_refusal = why
        if self.on_refusal is not None:
            self.on_refusal(why)
        response = web.Response(status=status, text=why)
        if close:
            response.force_close()  # the rest of that body is not worth waiting for
        return response
