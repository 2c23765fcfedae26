"""Wire formats. A dialect is a module of pure functions (no I/O) with the names of `Dialect`.

The client speaks HTTP and calls its dialect for every path, parameter and body, so a second wire
format (2008 XML, RestComm) is one more module here, and nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Generic, Protocol, TypeVar

from confmon.model import Capabilities, Conference, ConferenceStatus, Participant

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_page_uri: str | None  # a path (and query) on the API host; None on the last page


@dataclass(frozen=True, slots=True)
class WireError:
    """What an error body said, as far as it could be read."""

    code: int | None = None
    message: str = ""  # sanitized


class Dialect(Protocol):
    CAPABILITIES: Capabilities
    MEDIA_TYPE: str  # sent as Accept

    # Paths, relative to the API root. They raise ValueError for a sid of the wrong shape.
    def conferences_path(self, account_sid: str) -> str: ...
    def conference_path(self, account_sid: str, sid: str) -> str: ...
    def participants_path(self, account_sid: str, conference_sid: str) -> str: ...
    def participant_path(self, account_sid: str, conference_sid: str, call_sid: str) -> str: ...

    # Query and form parameters.
    def conference_filters(
        self,
        *,
        status: ConferenceStatus | None = None,
        friendly_name: str | None = None,
        date_created: date | None = None,
        date_created_before: date | None = None,
        date_created_after: date | None = None,
        page_size: int = 50,
    ) -> dict[str, str]: ...
    def participant_filters(
        self,
        *,
        muted: bool | None = None,
        hold: bool | None = None,
        coaching: bool | None = None,
        page_size: int = 50,
    ) -> dict[str, str]: ...
    def participant_update(self, *, muted: bool | None = None, hold: bool | None = None) -> dict[str, str]: ...
    def conference_end(self) -> dict[str, str]: ...

    # Response bodies. Each returns a model object or raises BadResponse, nothing else.
    def parse_conference(self, body: bytes) -> Conference: ...
    def parse_participant(self, body: bytes) -> Participant: ...
    def parse_conference_page(self, body: bytes) -> Page[Conference]: ...
    def parse_participant_page(self, body: bytes) -> Page[Participant]: ...
    def parse_error(self, body: bytes) -> WireError: ...  # never raises: error bodies are best effort
