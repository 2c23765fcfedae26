"""ConferenceClient: the conference REST API over httpx, through one dialect.

Every call runs inside a total deadline and retries by the rules in `retry_wait`. Every failure
surfaces as one of the typed errors in `confmon.api.errors`. The dialect supplies paths, parameters
and parsing, so this module knows HTTP and nothing of any wire format.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp
import httpx
import stamina
from httpx_aiohttp import AiohttpTransport

from confmon.api.dialects import Dialect, Page, twilio2010
from confmon.api.errors import BadResponse, NotFound, RateLimited, Unavailable, error_for_status
from confmon.clock import Clock, SystemClock
from confmon.model import Conference, ConferenceStatus, Participant, Snapshot
from confmon.secret import Secret

log = logging.getLogger(__name__)

RETRY_BUDGET = 5.0  # seconds one call may spend retrying; never more than half its deadline
RETRY_ATTEMPTS = 6
try:
    USER_AGENT = f"confmon/{version('confmon')}"
except PackageNotFoundError:  # run from a source tree that was never installed
    USER_AGENT = "confmon/dev"

T = TypeVar("T")


def _log_retry(details: stamina.instrumentation.RetryDetails) -> None:
    log.info("retry %d in %.2f s after: %s", details.retry_num, details.wait_for, details.caused_by)


# stamina's default hook warns on stderr, which would tear through the TUI: send retries to logging.
stamina.instrumentation.set_on_retry_hooks([_log_retry])


def retry_wait(error: Exception, *, idempotent: bool) -> bool | float:
    """Whether to retry after `error`, or how many seconds to wait first (stamina's backoff hook).

    429 is retried for every method, since Twilio never processed it. A request that never left
    (refused, unresolvable, connect timeout) is retried for every method too. Any other failure
    (timeout, reset, 5xx) is retried only for GET: a POST or DELETE may have taken effect, so the
    caller re-reads instead of re-sending.
    """
    if isinstance(error, RateLimited):
        return error.retry_after if error.retry_after is not None else True
    if isinstance(error, Unavailable):
        return idempotent or not error.request_sent
    return False


def _retry_after(headers: httpx.Headers) -> float | None:
    """Retry-After in seconds; HTTP dates are not honoured (Twilio documents none)."""
    try:
        seconds = float(headers.get("retry-after", ""))
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _never_sent(error: Exception) -> bool:
    """True when the request certainly did not reach the server, so even a POST may be re-sent."""
    for cause in _causes(error):
        if isinstance(cause, aiohttp.ClientError):
            # httpx-aiohttp reports every aiohttp connection error as httpx.ConnectTimeout, even a server
            # that hung up after reading the request: trust only aiohttp's own connect failures.
            return isinstance(cause, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)
    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)


def _network_reason(error: Exception, where: str) -> str:
    causes = list(_causes(error))
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return f"connection refused to {where}"
    if any(isinstance(c, socket.gaierror) for c in causes):
        return f"cannot resolve {where}"
    dropped = ConnectionResetError | aiohttp.ServerDisconnectedError | httpx.RemoteProtocolError
    if any(isinstance(c, dropped) for c in causes):
        return f"{where} dropped the connection"
    if isinstance(error, httpx.TimeoutException):
        return f"timed out talking to {where}"
    return f"network error talking to {where} ({type(error).__name__})"


async def _all(*coros: Coroutine[Any, Any, T]) -> list[T]:
    """Run concurrently. On the first failure, cancel the rest and raise that error itself, not a group."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(coro) for coro in coros]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


class ConferenceClient:
    def __init__(
        self,
        *,
        base_url: str,
        account_sid: str,
        username: str,
        password: Secret,
        timeout: float = 10.0,
        deadline: float = 20.0,
        max_concurrency: int = 10,
        transport: httpx.AsyncBaseTransport | None = None,
        dialect: Dialect = twilio2010,
        clock: Clock | None = None,
    ) -> None:
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("base_url must be an http:// or https:// URL")
        if url.userinfo:  # and do not echo it: it would carry a password
            raise ValueError("base_url must not carry credentials; give username and password")
        if deadline <= 0 or timeout <= 0 or max_concurrency < 1:
            raise ValueError("timeout and deadline must be positive, max_concurrency at least 1")

        self.capabilities = dialect.CAPABILITIES
        self._dialect = dialect
        self._account_sid = account_sid
        self._conferences_path = dialect.conferences_path(account_sid)  # checks the sid now, not mid-sweep
        self._deadline = deadline
        self._retry_budget = min(RETRY_BUDGET, deadline / 2)
        self._retrying = stamina.AsyncRetryingCaller(
            attempts=RETRY_ATTEMPTS, timeout=self._retry_budget, wait_initial=0.1, wait_max=2.0, wait_jitter=0.5
        )
        self._max_concurrency = max_concurrency
        self._clock = clock or SystemClock()
        self._where = f"{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"
        self._prefix = url.path.rstrip("/")
        if transport is None:
            # Plain httpx spends too much CPU per request at sweep concurrency (DESIGN.md, Fetching at
            # scale). Two spare connections let an operator action through during a full sweep.
            transport = AiohttpTransport(
                limits=httpx.Limits(
                    max_connections=max_concurrency + 2,
                    max_keepalive_connections=max_concurrency + 2,
                    keepalive_expiry=4.0,  # below the usual 5 s server idle timeout: no stale-socket race
                )
            )
        self._http = httpx.AsyncClient(
            base_url=url,
            auth=httpx.BasicAuth(username, password.reveal()),
            headers={"Accept": dialect.MEDIA_TYPE, "User-Agent": USER_AGENT},
            timeout=httpx.Timeout(connect=min(timeout, 5.0), read=timeout, write=timeout, pool=timeout),
            transport=transport,
            follow_redirects=False,  # a redirect would carry our credentials elsewhere
        )

    def __repr__(self) -> str:
        return f"ConferenceClient(where={self._where!r}, account_sid={self._account_sid!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def check(self) -> None:
        """One cheap request that proves the base URL answers and the credentials are good."""
        params = self._dialect.conference_filters(status=ConferenceStatus.IN_PROGRESS, page_size=1)
        self._dialect.parse_conference_page(await self._call("GET", self._conferences_path, params=params))

    # Conferences

    async def list_conferences(
        self,
        *,
        status: ConferenceStatus | None = None,
        friendly_name: str | None = None,
        date_created: date | None = None,
        date_created_before: date | None = None,
        date_created_after: date | None = None,
        page_size: int = 1000,
    ) -> list[Conference]:
        params = self._dialect.conference_filters(
            status=status,
            friendly_name=friendly_name,
            date_created=date_created,
            date_created_before=date_created_before,
            date_created_after=date_created_after,
            page_size=page_size,
        )
        return await self._list(self._conferences_path, params, self._dialect.parse_conference_page)

    async def fetch_conference(self, sid: str) -> Conference:
        body = await self._call("GET", self._dialect.conference_path(self._account_sid, sid))
        return self._dialect.parse_conference(body)

    async def end_conference(self, sid: str) -> Conference:
        path = self._dialect.conference_path(self._account_sid, sid)
        body = await self._call("POST", path, data=self._dialect.conference_end())
        return self._dialect.parse_conference(body)

    # Participants

    async def list_participants(
        self,
        conference_sid: str,
        *,
        muted: bool | None = None,
        hold: bool | None = None,
        coaching: bool | None = None,
        page_size: int = 1000,
    ) -> list[Participant]:
        path = self._dialect.participants_path(self._account_sid, conference_sid)
        params = self._dialect.participant_filters(muted=muted, hold=hold, coaching=coaching, page_size=page_size)
        return await self._list(path, params, self._dialect.parse_participant_page)

    async def fetch_participant(self, conference_sid: str, call_sid: str) -> Participant:
        body = await self._call("GET", self._dialect.participant_path(self._account_sid, conference_sid, call_sid))
        return self._dialect.parse_participant(body)

    async def update_participant(
        self, conference_sid: str, call_sid: str, *, muted: bool | None = None, hold: bool | None = None
    ) -> Participant:
        path = self._dialect.participant_path(self._account_sid, conference_sid, call_sid)
        body = await self._call("POST", path, data=self._dialect.participant_update(muted=muted, hold=hold))
        return self._dialect.parse_participant(body)

    async def kick(self, conference_sid: str, call_sid: str) -> None:
        path = self._dialect.participant_path(self._account_sid, conference_sid, call_sid)
        await self._call("DELETE", path, expect=204)

    # The poll

    async def sweep(self, *, priority: Sequence[str] = ()) -> Snapshot:
        """List every live room, then the participants of each, the `priority` rooms first.

        A room that is gone (404) by the time its participants are asked for gets no participants
        entry; any other error fails the whole sweep.
        """
        started = self._clock.now()  # the injected clock, so a frozen-clock screen shows a stable latency
        # One listing after the other, init first: a status only moves forward (init, in-progress,
        # completed), so a room that starts between the two requests is in both lists, never in
        # neither (listed concurrently, or the other way round, it could miss both and the store
        # would end a live room, then "resume" it). In both lists, the in-progress copy is the newer.
        starting = await self.list_conferences(status=ConferenceStatus.INIT)
        live = await self.list_conferences(status=ConferenceStatus.IN_PROGRESS)
        rooms = {room.sid: room for room in live}
        for room in starting:
            rooms.setdefault(room.sid, room)
        order = list(dict.fromkeys([sid for sid in priority if sid in rooms] + list(rooms)))
        participants = await self._participants_of(order)
        return Snapshot(
            conferences=tuple(rooms.values()),
            participants=participants,
            taken_at=self._clock.now(),
            latency=self._clock.now() - started,
            complete=True,
        )

    async def _participants_of(self, sids: list[str]) -> dict[str, tuple[Participant, ...]]:
        found: dict[str, tuple[Participant, ...]] = {}
        pending = iter(sids)  # shared by the workers: each room is taken once, in order

        async def worker() -> None:
            for sid in pending:
                with contextlib.suppress(NotFound):  # the room ended between the listing and this fetch
                    found[sid] = tuple(await self.list_participants(sid))

        # A fixed set of workers, not a task per room behind a semaphore, so the priority order is the
        # order of requests, and a sweep of 1,000 rooms holds max_concurrency tasks.
        await _all(*(worker() for _ in range(min(self._max_concurrency, len(sids)))))
        return {sid: found[sid] for sid in sids if sid in found}

    # HTTP

    async def _list(self, path: str, params: dict[str, str] | None, parse: Callable[[bytes], Page[T]]) -> list[T]:
        items: list[T] = []
        url, query, seen = path, params, set[str]()
        while True:
            page = parse(await self._call("GET", url, params=query))
            items.extend(page.items)
            if page.next_page_uri is None:
                return items
            url, query = self._page_url(page.next_page_uri), None  # the page URI carries the query
            if url in seen:
                raise BadResponse("paging went back to a page already read")
            seen.add(url)

    def _page_url(self, uri: str) -> str:
        """Page URIs are relative to the API host. Ours may sit under a path prefix, which a gateway may echo."""
        if self._prefix and uri.startswith(self._prefix + "/"):
            return uri.removeprefix(self._prefix)
        return uri

    async def _call(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        expect: int = 200,
    ) -> bytes:
        """One API call, retries included, within the deadline; returns the body of the expected status.

        The deadline is on top of httpx's per-phase timeouts, which a server trickling its body
        one byte at a time never trips.
        """
        give_up_at = time.monotonic() + self._retry_budget

        def rule(error: Exception) -> bool | float:
            wait = retry_wait(error, idempotent=method == "GET")
            if isinstance(wait, float) and time.monotonic() + wait > give_up_at:
                return False  # asked to wait longer than we may: report RateLimited now
            return wait

        try:
            async with asyncio.timeout(self._deadline):
                return await self._retrying.on(rule)(self._send, method, url, params, data, expect)
        except TimeoutError:
            raise Unavailable(f"deadline exceeded ({self._deadline:g} s) talking to {self._where}") from None

    async def _send(
        self, method: str, url: str, params: dict[str, str] | None, data: dict[str, str] | None, expect: int
    ) -> bytes:
        try:
            response = await self._http.request(method, url, params=params, data=data)
        except httpx.DecodingError:
            raise BadResponse("body could not be decoded") from None
        except (httpx.TransportError, aiohttp.ClientError) as error:
            # aiohttp errors the transport does not map (a malformed status line) arrive raw.
            raise Unavailable(_network_reason(error, self._where), request_sent=not _never_sent(error)) from error
        if response.status_code == expect:
            return response.content
        wire = self._dialect.parse_error(response.content)
        raise error_for_status(
            response.status_code,
            code=wire.code,
            message=wire.message or response.reason_phrase,
            retry_after=_retry_after(response.headers),
        )
