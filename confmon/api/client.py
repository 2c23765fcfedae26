"""ConferenceClient: the conference REST API over httpx, through one dialect.

Every call runs inside a total deadline and retries by the rules in `retry_wait`. Every failure
surfaces as one of the typed errors in `confmon.api.errors`. The dialect describes every request
(method, path, query, form, the statuses that mean success) and parses every body, so this module knows
HTTP and nothing of any wire format.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import random
import socket
import time
from collections.abc import Callable, Collection, Coroutine, Generator, Iterable, Iterator, Sequence
from datetime import date
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from typing import Any, NamedTuple, Self, TypeVar

import aiohttp
import httpx
import stamina
from httpx_aiohttp import AiohttpTransport

from confmon import registry
from confmon.api import dialects
from confmon.api.dialects import ConferenceFilters, Dialect, Page, ParticipantFilters, Request
from confmon.api.errors import BadResponse, NotFound, NotSupported, RateLimited, Unavailable, error_for_status
from confmon.clock import Clock, SystemClock
from confmon.model import Call, Capabilities, Conference, ConferenceStatus, Participant, Recording, Snapshot
from confmon.secret import Secret, hide_basic_credentials

log = logging.getLogger(__name__)

RETRY_BUDGET = 5.0  # seconds one call may spend retrying; never more than half its deadline
RETRY_ATTEMPTS = 6
BACKOFF_INITIAL, BACKOFF_MAX, BACKOFF_JITTER = 0.1, 2.0, 0.5  # seconds
try:
    USER_AGENT = f"confmon/{version('confmon')}"
except PackageNotFoundError:  # run from a source tree that was never installed
    USER_AGENT = "confmon/dev"

T = TypeVar("T")


def _log_retry(details: stamina.instrumentation.RetryDetails) -> None:
    log.info("retry %d in %.2f s after: %s", details.retry_num, details.wait_for, details.caused_by)


# stamina's default hook warns on stderr, which would tear through the TUI: send retries to logging.
stamina.instrumentation.set_on_retry_hooks([_log_retry])


def retry_wait(error: BaseException, *, idempotent: bool) -> bool | float:
    """Whether to retry after `error`, or how many seconds to wait first (stamina's backoff hook).

    429 is retried for every method, since Twilio never processed it. A request that never left
    (refused, unresolvable, connect timeout) is retried for every method too. Any other failure
    (timeout, reset, 5xx) is retried only for an idempotent request (the dialects mark their GETs so):
    a POST or DELETE may have taken effect, so the caller re-reads instead of re-sending.
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
    # A body cut short (reset or closed mid-body) is a ClientPayloadError, the reset only in its text.
    dropped = (
        ConnectionResetError | aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | httpx.RemoteProtocolError
    )
    if any(isinstance(c, dropped) for c in causes):
        return f"{where} dropped the connection"
    if isinstance(error, httpx.TimeoutException):
        return f"timed out talking to {where}"
    return f"network error talking to {where} ({type(error).__name__})"


def _size(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n:,} bytes"


def _too_big(limit: int) -> BadResponse:
    return BadResponse(f"response body over the {_size(limit)} limit")


async def _all(*coros: Coroutine[Any, Any, T]) -> list[T]:
    """Run concurrently. On the first failure, cancel the rest and raise that error itself, not a group."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(coro) for coro in coros]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


class Listing(list[T]):
    """A listing's records, every page of it; `problems` names each record it dropped or read in part,
    `dropped` counts the ones it could not read at all (someone missing from it may be one of them)."""

    problems: tuple[str, ...] = ()
    dropped: int = 0

    @classmethod
    def of(cls, items: Iterable[T], problems: Iterable[str] = (), dropped: int = 0) -> Listing[T]:
        listing = cls(items)
        listing.problems, listing.dropped = tuple(problems), dropped
        return listing


class _Details(NamedTuple):
    """What a sweep read of its rooms beyond the room listing."""

    participants: dict[str, tuple[Participant, ...]]
    recordings: dict[str, tuple[Recording, ...]]
    problems: tuple[str, ...]  # each prefixed with its room, the rooms in the sweep's order
    participants_dropped: dict[str, int]  # Listing.dropped of each room's participants, where any


class _BearerAuth(httpx.Auth):
    """`Authorization: Bearer <token>` (Telnyx), the token revealed only as the request goes out."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request


MAX_PAGES = 1000  # a listing longer than this is a server paging in circles, not an account
# A page of 1,000 rooms is about 1 MB; a body past this is a server gone wrong, refused as it streams
# in so that memory stays flat. An error body is only read as far as its message could be.
MAX_BODY = 16 * 1024 * 1024
MAX_ERROR_BODY = 64 * 1024
MAX_RECORDING_ROOMS = 32  # rooms whose recordings one sweep fetches, at most


class ConferenceClient:
    def __init__(
        self,
        *,
        base_url: str | None = None,
        account_sid: str,
        username: str,
        password: Secret,
        dialect: str | Dialect = registry.DEFAULT,
        timeout: float = 10.0,
        deadline: float = 20.0,
        max_concurrency: int = 10,
        max_body: int = MAX_BODY,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        """`base_url` is the API origin (the dialect adds its own path prefix), under a gateway's path prefix
        if there is one; None takes the dialect's DEFAULT_BASE_URL. With a "bearer" dialect, `password`
        is the token and `username` is not sent."""
        if isinstance(dialect, str):
            dialect = dialects.get(dialect)
        base_url = base_url or dialect.DEFAULT_BASE_URL
        if base_url is None:
            raise ValueError(f"the {dialect.NAME} dialect has no default base URL: give one")
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("base_url must be an http:// or https:// URL")
        if url.userinfo:  # and do not echo it: it would carry a password
            raise ValueError("base_url must not carry credentials; give username and password")
        if deadline <= 0 or timeout <= 0 or max_concurrency < 1 or max_body < 1:
            raise ValueError("timeout, deadline and max_body must be positive, max_concurrency at least 1")
        dialect.check_account(account_sid)  # the sid is checked now, not mid-sweep

        self.capabilities: Capabilities = dialect.CAPABILITIES
        self.dialect = dialect
        self._account_sid = account_sid
        self._deadline = deadline
        self._retry_budget = min(RETRY_BUDGET, deadline / 2)
        self._retrying = stamina.AsyncRetryingCaller(
            attempts=RETRY_ATTEMPTS,
            timeout=self._retry_budget,
            wait_initial=BACKOFF_INITIAL,
            wait_max=BACKOFF_MAX,
            wait_jitter=BACKOFF_JITTER,
        )
        self._max_concurrency = max_concurrency
        self._max_body = max_body
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
        auth: httpx.Auth
        if dialect.AUTH == "bearer":
            auth = _BearerAuth(password)
        else:
            hide_basic_credentials(username, password)
            auth = httpx.BasicAuth(username, password.reveal())
        self._http = httpx.AsyncClient(
            base_url=url,
            auth=auth,
            headers={"Accept": dialect.MEDIA_TYPE, "User-Agent": USER_AGENT},
            timeout=httpx.Timeout(connect=min(timeout, 5.0), read=timeout, write=timeout, pool=timeout),
            transport=transport,
            follow_redirects=False,  # a redirect would carry our credentials elsewhere
        )

    def __repr__(self) -> str:
        where, account = self._where, self._account_sid
        return f"ConferenceClient(where={where!r}, account_sid={account!r}, dialect={self.dialect.NAME!r})"

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
        filters = ConferenceFilters(status=ConferenceStatus.IN_PROGRESS, page_size=1)
        self.dialect.parse_conference_page(await self._call(self.dialect.list_conferences(self._account_sid, filters)))

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
    ) -> Listing[Conference]:
        filters = ConferenceFilters(
            status=status,
            friendly_name=friendly_name,
            date_created=date_created,
            date_created_before=date_created_before,
            date_created_after=date_created_after,
            page_size=page_size,
        )
        request = self.dialect.list_conferences(self._account_sid, filters)
        return await self._list(request, self.dialect.parse_conference_page)

    async def fetch_conference(self, sid: str) -> Conference:
        body = await self._call(self.dialect.fetch_conference(self._account_sid, sid))
        return self.dialect.parse_conference(body)

    async def end_conference(self, sid: str) -> Conference:
        """End the room for everyone. NotSupported where the API has no such call (RestComm, 2008)."""
        end = self.dialect.end_conference
        if end is None:
            raise NotSupported(f"{self.capabilities.name} cannot end a room; kick every participant instead")
        return self.dialect.parse_conference(await self._call(end(self._account_sid, sid)))

    async def list_recordings(self, conference_sid: str) -> Listing[Recording]:
        """The room's recordings. NotSupported where the API has no Recordings per conference."""
        recordings = self.dialect.list_recordings
        if recordings is None:
            raise NotSupported(f"{self.capabilities.name} lists no recordings per room")
        request = recordings(self._account_sid, conference_sid, 1000)
        return await self._list(request, partial(self.dialect.parse_recording_page, conference_sid=conference_sid))

    async def announce(self, conference_sid: str, call_sid: str | None, url: str) -> None:
        """Play `url` (MP3, WAV or TwiML) to the room, or to one participant when `call_sid` is given.

        NotSupported where the API cannot; InvalidRequest for a URL that is not absolute http(s).
        """
        announce = self.dialect.announce
        if announce is None:
            raise NotSupported(f"{self.capabilities.name} has no announcements")
        await self._call(announce(self._account_sid, conference_sid, call_sid, url))

    # Participants

    async def list_participants(
        self,
        conference_sid: str,
        *,
        muted: bool | None = None,
        hold: bool | None = None,
        coaching: bool | None = None,
        page_size: int = 1000,
    ) -> Listing[Participant]:
        filters = ParticipantFilters(muted=muted, hold=hold, coaching=coaching, page_size=page_size)
        request = self.dialect.list_participants(self._account_sid, conference_sid, filters)
        return await self._list(request, partial(self.dialect.parse_participant_page, conference_sid=conference_sid))

    async def fetch_participant(self, conference_sid: str, call_sid: str) -> Participant:
        body = await self._call(self.dialect.fetch_participant(self._account_sid, conference_sid, call_sid))
        return self.dialect.parse_participant(body, conference_sid)

    async def update_participant(
        self, conference_sid: str, call_sid: str, *, muted: bool | None = None, hold: bool | None = None
    ) -> Participant:
        """Mute or hold (NotSupported where the API cannot hold) and return the participant as it now is."""
        request = self.dialect.update_participant(self._account_sid, conference_sid, call_sid, muted=muted, hold=hold)
        body = await self._call(request)
        if not self.dialect.UPDATE_RETURNS_STALE_BODY:
            return self.dialect.parse_participant(body, conference_sid)
        # RestComm answers with the participant as it was before the change: read it again. It also
        # answers 200 and changes nothing when the call is no longer live, which the re-read shows.
        now = await self.fetch_participant(conference_sid, call_sid)
        if (muted is not None and now.muted is not muted) or (hold is not None and now.hold is not hold):
            raise NotFound("the change did not take: the call is no longer in the room")
        return now

    async def kick(self, conference_sid: str, call_sid: str) -> None:
        """Remove the participant; NotFound if they are already gone."""
        await self._call(self.dialect.kick(self._account_sid, conference_sid, call_sid))

    # Calls

    async def fetch_call(self, call_sid: str) -> Call:
        """A participant's call from the Calls resource (From, To, caller name, direction), `call_sid` as
        the participant record spells it. A call that has ended is still there; NotFound if there is none."""
        return self.dialect.parse_call(await self._call(self.dialect.fetch_call(self._account_sid, call_sid)))

    # The poll

    async def sweep(
        self, *, priority: Sequence[str] = (), recordings_for: Sequence[str] = (), skip: Collection[str] = ()
    ) -> Snapshot:
        """List every live room, then the participants of each but the `skip` rooms, the `priority`
        rooms first, and the recordings of the `recordings_for` rooms (where the dialect has
        recordings; at most MAX_RECORDING_ROOMS of them), each right after that room's participants.

        A room that is gone (404) by the time its participants or recordings are asked for gets no
        entry; any other error fails the whole sweep.
        """
        started = self._clock.now()  # the injected clock, so a frozen-clock screen shows a stable latency
        # The dialect's listings, one after the other (2010: init, then in-progress; RestComm: one
        # RUNNING% listing). A status only moves forward, so a room that starts between two listings is
        # in both, never in neither; the later listing's copy is the newer, and comes first.
        listings = [
            await self._list(request, self.dialect.parse_conference_page)
            for request in self.dialect.live_conferences(self._account_sid, 1000)
        ]
        rooms: dict[str, Conference] = {}
        for listing in reversed(listings):
            for room in listing:
                rooms.setdefault(room.sid, room)
        order = [
            sid for sid in dict.fromkeys([sid for sid in priority if sid in rooms] + list(rooms)) if sid not in skip
        ]
        wanted: set[str] = set()
        if self.dialect.list_recordings is not None:
            asked = list(dict.fromkeys(sid for sid in recordings_for if sid in rooms))
            wanted = set(asked[:MAX_RECORDING_ROOMS])
        details = await self._details_of(order, wanted)
        problems = [problem for listing in listings for problem in listing.problems] + list(details.problems)
        return Snapshot(
            conferences=tuple(rooms.values()),
            participants=details.participants,
            recordings=details.recordings,
            taken_at=self._clock.now(),
            latency=self._clock.now() - started,
            # A dropped room record may be a live room: what this sweep does not list is not taken as ended.
            rooms_dropped=sum(listing.dropped for listing in listings),
            account=self._account_sid,
            problems=tuple(dict.fromkeys(problems)),  # a room caught in two listings is named once
            participants_dropped=details.participants_dropped,
        )

    async def _details_of(self, sids: list[str], with_recordings: set[str]) -> _Details:
        """Each room's participants (and recordings, for `with_recordings`), and what could not be
        read of their records."""
        participants: dict[str, Listing[Participant]] = {}
        recordings: dict[str, Listing[Recording]] = {}
        jobs: list[tuple[str, bool]] = []
        for sid in sids:
            jobs.append((sid, False))
            if sid in with_recordings:
                jobs.append((sid, True))
        pending = iter(jobs)  # shared by the workers: each job is taken once, in order

        async def worker() -> None:
            for sid, is_recordings in pending:
                with contextlib.suppress(NotFound):  # the room ended between the listing and this fetch
                    if is_recordings:
                        recordings[sid] = await self.list_recordings(sid)
                    else:
                        participants[sid] = await self.list_participants(sid)

        # A fixed set of workers, not a task per room behind a semaphore, so the priority order is the
        # order of requests, and a sweep of 1,000 rooms holds max_concurrency tasks.
        await _all(*(worker() for _ in range(min(self._max_concurrency, len(jobs)))))
        return _Details(
            {sid: tuple(participants[sid]) for sid in sids if sid in participants},
            {sid: tuple(recordings[sid]) for sid in sids if sid in recordings},
            tuple(
                f"room {sid}: {problem}"
                for sid in sids
                for listing in (participants.get(sid), recordings.get(sid))
                if listing is not None
                for problem in listing.problems
            ),
            {sid: listing.dropped for sid, listing in participants.items() if listing.dropped},
        )

    # HTTP

    async def _list(self, request: Request, parse: Callable[[bytes], Page[T]]) -> Listing[T]:
        items: list[T] = []
        problems: list[str] = []
        dropped = 0
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        next_request: Request | None = request
        while next_request is not None:
            key = (next_request.path, tuple(sorted((next_request.params or {}).items())))
            if key in seen:
                raise BadResponse("paging went back to a page already read")
            if len(seen) >= MAX_PAGES:
                raise BadResponse(f"more than {MAX_PAGES} pages")
            seen.add(key)
            page = parse(await self._call(next_request))
            items.extend(page.items)
            problems.extend(page.problems)
            dropped += page.dropped
            if page.next_page_uri is not None:
                page = dataclasses.replace(page, next_page_uri=self._page_uri(page.next_page_uri))
            next_request = self.dialect.next_page(next_request, page)
        return Listing.of(items, problems, dropped)

    def _page_uri(self, uri: str) -> str:
        """Page URIs are relative to the API host. Ours may sit under a path prefix, which a gateway may echo."""
        if self._prefix and uri.startswith(self._prefix + "/"):
            return uri.removeprefix(self._prefix)
        return uri

    async def _call(self, request: Request) -> bytes:
        """One API call, retries included, within the deadline; returns the body of an expected status.

        The deadline is on top of httpx's per-phase timeouts, which a server trickling its body
        one byte at a time never trips.
        """
        give_up_at = time.monotonic() + self._retry_budget
        retries = 0

        def rule(error: BaseException) -> bool | float:
            nonlocal retries
            wait = retry_wait(error, idempotent=request.idempotent)
            if wait is False:
                return False
            if wait is True:  # jittered exponential backoff, computed here so it can be held to the budget
                wait = min(BACKOFF_INITIAL * 2**retries, BACKOFF_MAX) + random.uniform(0, BACKOFF_JITTER)
            retries += 1
            if time.monotonic() + wait > give_up_at:
                # Waiting longer than we may would end in "deadline exceeded" and hide the real
                # error (refused, 429, 503): report it now instead.
                return False
            return wait

        try:
            async with asyncio.timeout(self._deadline):
                return await self._retrying.on(rule)(self._send, request)
        except TimeoutError:
            raise Unavailable(f"deadline exceeded ({self._deadline:g} s) talking to {self._where}") from None

    async def _send(self, request: Request) -> bytes:
        outgoing = self._http.build_request(
            request.method,
            # Absolute paths merge under base_url's path, so a gateway's prefix stays in front of the
            # dialect's. Never `//…`: page links that would leave the host are refused when parsed.
            request.path,
            params=dict(request.params) if request.params is not None else None,
            data=dict(request.form) if request.form is not None else None,
        )
        try:
            response = await self._http.send(outgoing, stream=True)
            try:
                ok = response.status_code in request.expect
                body = await self._read(response, self._max_body if ok else MAX_ERROR_BODY, whole=ok)
            finally:
                await response.aclose()
        except httpx.DecodingError:
            raise BadResponse("body could not be decoded") from None
        except (httpx.TransportError, aiohttp.ClientError) as error:
            # aiohttp errors the transport does not map (a malformed status line) arrive raw.
            raise Unavailable(_network_reason(error, self._where), request_sent=not _never_sent(error)) from error
        if ok:
            return body
        wire = self.dialect.parse_error(body)
        message = wire.message or response.reason_phrase
        if response.status_code in request.gone:
            raise NotFound(message, status=response.status_code, code=wire.code)
        raise error_for_status(
            response.status_code, code=wire.code, message=message, retry_after=_retry_after(response.headers)
        )

    @staticmethod
    async def _read(response: httpx.Response, limit: int, *, whole: bool) -> bytes:
        """The body, up to `limit` bytes. Past it: BadResponse if the body is wanted `whole`, else its
        head (an error body's message is at its start). Refused before a byte is read if it says so."""
        declared = response.headers.get("content-length", "")
        if whole and declared.isdigit() and int(declared) > limit:
            raise _too_big(limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                if whole:
                    raise _too_big(limit)
                chunks.append(chunk[: len(chunk) - (size - limit)])
                break
            chunks.append(chunk)
        return b"".join(chunks)
