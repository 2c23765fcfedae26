"""Twilio-style list paging: PageSize, Page (client state only) and an opaque PageToken.

A token names the item at the edge of the page it came from by its sort key (creation time and
SID), not by position, so a client walking the pages sees every item that stays put exactly
once, however many others come and go between its requests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")
Key = tuple[int, str]  # (creation time in microseconds, SID)

DEFAULT_SIZE = 50
MAX_SIZE = 1000

_TOKEN = re.compile(r"P([AB])([A-Z]{2}[0-9a-fA-F]{32})_(\d+)")  # fullmatch: no trailing newline


class PagingError(ValueError):
    """A paging parameter the API refuses."""


def stamp(moment: datetime | None) -> int:
    return round(moment.timestamp() * 1_000_000) if moment else 0


@dataclass(frozen=True, slots=True)
class Token:
    after: bool  # PA: the page after this item; PB: the page before it
    key: Key

    def __str__(self) -> str:
        micros, sid = self.key
        return f"P{'A' if self.after else 'B'}{sid}_{micros}"

    @classmethod
    def parse(cls, text: str) -> Token:
        match = _TOKEN.fullmatch(text)
        if match is None:
            raise PagingError("Invalid PageToken")
        return cls(match[1] == "A", (int(match[3]), match[2]))


@dataclass(frozen=True, slots=True)
class PageRequest:
    size: int = DEFAULT_SIZE
    number: int = 0
    token: Token | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> PageRequest:
        size = _integer(query, "PageSize", DEFAULT_SIZE)
        if not 1 <= size <= MAX_SIZE:
            raise PagingError(f"PageSize must be between 1 and {MAX_SIZE}")
        number = _integer(query, "Page", 0)
        if number < 0:
            raise PagingError("Page must not be negative")
        token = Token.parse(query["PageToken"]) if "PageToken" in query else None
        if number > 0 and token is None:
            raise PagingError("Paged requests must include a PageToken")
        return cls(size, number, token)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    request: PageRequest
    next: Token | None  # None on the last page
    previous: Token | None  # None on the first page
    total: int = 0  # items in the whole list (the 2010 XML envelope still tells it)
    last: Token | None = None  # where the last page starts; None when the first page is the last

    @property
    def pages(self) -> int:
        return -(-self.total // self.request.size)


def paginate(items: Iterable[T], key: Callable[[T], Key], request: PageRequest, *, newest_first: bool) -> Page[T]:
    ordered = sorted(((key(item), item) for item in items), key=lambda pair: pair[0], reverse=newest_first)

    def precedes(a: Key, b: Key) -> bool:  # a comes before b in list order
        return a > b if newest_first else a < b

    start = 0
    if request.token is not None:
        edge = request.token.key
        # Items before the edge form a prefix of the list; PA pages start after the edge item itself.
        start = sum(1 for k, _ in ordered if precedes(k, edge) or (request.token.after and k == edge))
        if not request.token.after:
            start = max(start - request.size, 0)
    chosen = ordered[start : start + request.size]
    end = start + len(chosen)
    last_start = (len(ordered) - 1) // request.size * request.size if ordered else 0
    return Page(
        items=[item for _, item in chosen],
        request=request,
        next=Token(True, chosen[-1][0]) if chosen and end < len(ordered) else None,
        previous=Token(False, chosen[0][0]) if chosen and start > 0 else None,
        total=len(ordered),
        last=Token(True, ordered[last_start - 1][0]) if last_start > 0 else None,
    )


@dataclass(frozen=True, slots=True)
class Slice(Generic[T]):
    """A page by number, as the older APIs cut their lists: items [number*size, number*size+size)."""

    items: list[T]
    number: int
    size: int
    total: int

    @property
    def start(self) -> int:
        return self.number * self.size


def cut(ordered: list[T], number: int, size: int) -> Slice[T]:
    start = number * size
    return Slice(ordered[start : start + size], number, size, len(ordered))


def _integer(query: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(query.get(name, default))
    except ValueError:
        raise PagingError(f"Invalid {name}") from None
