"""Wire formats. A dialect is an object of pure functions (no I/O) with the names of `Dialect`.

The client speaks HTTP and nothing else: for every action it asks its dialect for a `Request` (method,
path, query, form, the statuses that mean success), sends it, and hands the body back to the dialect's
`parse_*`. So a wire format is one module here, and nothing outside this package knows any of them.

An action the API does not have is absent: `end_conference`, `list_recordings` and `announce` are None
on such a dialect, and `CAPABILITIES` says the same for the UI. A request builder refuses what cannot be
sent (`NotSupported`: a hold on 2008; `InvalidRequest`: an id of the wrong shape) before anything leaves.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from confmon import registry
from confmon.model import Call, Capabilities, Conference, ConferenceStatus, Participant, Recording
from confmon.registry import AuthScheme

T = TypeVar("T")

OK = frozenset({200})
NO_CONTENT = frozenset({204})


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request, as a dialect describes it.

    `path` is absolute on the API origin (the dialect owns its whole prefix, e.g. /restcomm/2012-04-24)
    with every id in it validated and quoted; a path built from a page link may carry its own query.
    """

    method: str
    path: str
    params: Mapping[str, str] | None = None  # query
    form: Mapping[str, str] | None = None  # application/x-www-form-urlencoded body
    expect: frozenset[int] = OK  # the statuses that mean success
    idempotent: bool = True  # may be re-sent after a failure that may have reached the server
    gone: frozenset[int] = frozenset()  # statuses, besides 404, that mean "not there (any more)": NotFound

    @staticmethod
    def get(path: str, params: Mapping[str, str] | None = None) -> Request:
        return Request("GET", path, params=params)

    @staticmethod
    def post(
        path: str, form: Mapping[str, str], *, expect: frozenset[int] = OK, gone: frozenset[int] = frozenset()
    ) -> Request:
        # Not idempotent: it may have taken effect before the line dropped, so the caller re-reads instead.
        return Request("POST", path, form=form, expect=expect, idempotent=False, gone=gone)

    @staticmethod
    def delete(path: str, *, expect: frozenset[int] = NO_CONTENT, gone: frozenset[int] = frozenset()) -> Request:
        return Request("DELETE", path, expect=expect, idempotent=False, gone=gone)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_page_uri: str | None  # a path (and query) on the API host; None on the last page
    number: int | None = None  # this page's index (0-based), where the envelope says
    count: int | None = None  # the envelope's page count (`numpages`, `num_pages`), as sent
    problems: tuple[str, ...] = ()  # one per record dropped or partly read, naming it and why
    # Records dropped whole that may be one read before (not those whose id is no id): the page may
    # lack someone it cannot name.
    dropped: int = 0


@dataclass(frozen=True, slots=True)
class WireError:
    """What an error body said, as far as it could be read."""

    code: int | None = None
    message: str = ""  # sanitized


@dataclass(frozen=True, slots=True)
class ConferenceFilters:
    status: ConferenceStatus | None = None
    friendly_name: str | None = None
    date_created: date | None = None  # created on this day (UTC)
    date_created_before: date | None = None  # on or before
    date_created_after: date | None = None  # on or after
    page_size: int = 50


@dataclass(frozen=True, slots=True)
class ParticipantFilters:
    muted: bool | None = None
    hold: bool | None = None
    coaching: bool | None = None
    page_size: int = 50


# The optional actions, as callables: (account_sid, conference_sid, ...) -> Request.
EndConference = Callable[[str, str], Request]
ListRecordings = Callable[[str, str, int], Request]  # account, conference, page size
Announce = Callable[[str, str, str | None, str], Request]  # account, conference, call or None (the room), URL


@runtime_checkable
class Dialect(Protocol):
    NAME: str  # the registry name: "twilio2010", "restcomm", …
    CAPABILITIES: Capabilities
    AUTH: AuthScheme  # "basic": username and password; "bearer": the password is the token
    DEFAULT_BASE_URL: str | None  # the API origin; None where each customer has their own host
    MEDIA_TYPE: str  # sent as Accept
    UPDATE_RETURNS_STALE_BODY: bool  # the participant in an update's answer predates the update: re-read

    # Requests. Each checks its ids (InvalidRequest) and what the API can do (NotSupported).
    def check_account(self, account_sid: str) -> None: ...
    def list_conferences(self, account_sid: str, filters: ConferenceFilters) -> Request: ...
    def live_conferences(self, account_sid: str, page_size: int) -> tuple[Request, ...]:
        """The listings that together hold every live room, to be read one after the other, in order.

        Where a room is in more than one, the later listing's copy is the newer (statuses only move forward).
        """
        ...

    def fetch_conference(self, account_sid: str, sid: str) -> Request: ...
    def list_participants(self, account_sid: str, conference_sid: str, filters: ParticipantFilters) -> Request: ...
    def fetch_participant(self, account_sid: str, conference_sid: str, call_sid: str) -> Request: ...
    def update_participant(
        self, account_sid: str, conference_sid: str, call_sid: str, *, muted: bool | None, hold: bool | None
    ) -> Request: ...
    def kick(self, account_sid: str, conference_sid: str, call_sid: str) -> Request: ...
    def fetch_call(self, account_sid: str, call_sid: str) -> Request:
        """The Calls instance of a participant's call (`call_sid` as its participant record spells it)."""
        ...

    @property
    def end_conference(self) -> EndConference | None: ...
    @property
    def list_recordings(self) -> ListRecordings | None: ...
    @property
    def announce(self) -> Announce | None: ...

    def next_page(self, request: Request, page: Page[Any]) -> Request | None:
        """The request for the page after `page` (which `request` fetched), or None after the last one."""
        ...

    # Response bodies. Each returns model objects or raises BadResponse, nothing else. A page reads
    # record by record: what could not be read of a record is in `Page.problems`, not an exception.
    def parse_conference(self, body: bytes) -> Conference: ...
    def parse_conference_page(self, body: bytes) -> Page[Conference]: ...
    # `conference_sid` is the room the request named, for formats whose body does not say it reliably.
    def parse_participant(self, body: bytes, conference_sid: str | None = None) -> Participant: ...
    def parse_participant_page(self, body: bytes, conference_sid: str | None = None) -> Page[Participant]: ...
    def parse_recording_page(self, body: bytes, conference_sid: str | None = None) -> Page[Recording]: ...
    def parse_call(self, body: bytes) -> Call: ...
    def parse_error(self, body: bytes) -> WireError: ...  # never raises: error bodies are best effort


NAMES = registry.NAMES


def get(name: str) -> Dialect:
    """The dialect registered under `name` (one of NAMES); registry.UnknownDialect (a ValueError) for any other."""
    module = importlib.import_module(f"{__name__}.{registry.get(name).client_module}")
    found: Dialect = module.DIALECT
    return found
