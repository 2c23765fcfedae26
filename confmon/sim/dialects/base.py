"""What every dialect shares: its path prefix, a small router over path segments, and its hooks.

A dialect owns everything under its prefix (e.g. /restcomm/2012-04-24). The server calls, in order:
`authorized` (credentials, before anything is looked at), then `dispatch`, which finds the account
and the route, brings the world up to the clock and runs the handler. Errors come back through
`error_response`, in the format `format_of` reads from the request, so even a request that never
reached a handler is answered in the dialect's own shape.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import unquote

from aiohttp import web

from confmon.secret import Secret
from confmon.sim import auth
from confmon.sim.errors import ApiError
from confmon.sim.world import World

JSON, XML = "json", "xml"


@dataclass(frozen=True, slots=True)
class Keys:
    """Who may call: the account's own token, and optionally an API key (SK…) and its secret."""

    account_sid: str
    token: Secret
    api_key: tuple[str, Secret] | None = None

    def password_for(self, username: str) -> str | None:
        if username == self.account_sid:
            return self.token.reveal()
        if self.api_key is not None and username == self.api_key[0]:
            return self.api_key[1].reveal()
        return None


@dataclass(frozen=True, slots=True)
class Call:
    """One routed request: its format, the path parameters, and the request itself."""

    request: web.Request
    fmt: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def query(self) -> Mapping[str, str]:
        return self.request.query

    def __getitem__(self, name: str) -> str:
        return self.params[name]

    async def form(self) -> Mapping[str, Any]:
        return await self.request.post()


Handler = Callable[[Call], Awaitable[web.StreamResponse]]
Routes = Iterable[tuple[str, Mapping[str, Handler]]]  # ("Conferences/{sid}", {"GET": handler, ...})


@dataclass(frozen=True, slots=True)
class Located:
    """Where a path leads: its account and the segments after it, percent-decoded, suffix stripped."""

    account: str
    segments: tuple[str, ...]
    fmt: str


class Dialect(abc.ABC):
    name: ClassVar[str]
    label: ClassVar[str]  # e.g. "RestComm 2012-04-24"
    prefix: ClassVar[str]  # e.g. "/restcomm/2012-04-24"

    def __init__(self, world: World) -> None:
        self.world = world
        self._routes = [(tuple(pattern.split("/")), handlers) for pattern, handlers in self.routes()]

    # -- what each dialect says

    @abc.abstractmethod
    def routes(self) -> Routes:
        """Patterns after /Accounts/{account}/, with a handler per method."""

    @abc.abstractmethod
    def strip(self, segments: list[str], request: web.Request) -> tuple[list[str], str] | None:
        """The segments without format suffixes, and the format; None if a suffix is not served."""

    @abc.abstractmethod
    def format_of(self, request: web.Request) -> str:
        """The format an error for this request is written in."""

    @abc.abstractmethod
    def error_response(self, fmt: str, error: ApiError) -> web.Response:
        """The dialect's error body (or none) for this status."""

    def authorized(self, request: web.Request, keys: Keys) -> bool:
        """HTTP Basic with the account SID (or an API key) and its secret; dialects may differ."""
        given = auth.basic(request.headers.get("Authorization", ""))
        if given is None:
            return False
        username, password = given
        return auth.same(password, keys.password_for(username))

    def challenge(self) -> Mapping[str, str]:
        """Headers of a 401."""
        return {"WWW-Authenticate": 'Basic realm="Twilio API"'}

    # -- routing

    def locate(self, request: web.Request) -> Located | None:
        raw = request.rel_url.raw_path
        if not raw.startswith(self.prefix + "/"):
            return None
        raw_segments = raw[len(self.prefix) + 1 :].split("/")
        stripped = self.strip([unquote(s) for s in raw_segments], request)
        if stripped is None:
            return None
        segments, fmt = stripped
        if len(segments) < 2 or segments[0] != "Accounts":
            return None
        return Located(segments[1], tuple(segments[2:]), fmt)

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        located = self.locate(request)
        if located is None or located.account != self.world.account_sid:
            raise ApiError.not_found(request.path)
        for pattern, handlers in self._routes:
            params = _match(pattern, located.segments)
            if params is None:
                continue
            handler = handlers.get(request.method)
            if handler is None:
                raise ApiError.method_not_allowed()
            self.world.advance(self.world.clock.now())
            return await handler(Call(request, located.fmt, params))
        raise ApiError.not_found(request.path)


def _match(pattern: tuple[str, ...], segments: tuple[str, ...]) -> dict[str, str] | None:
    if len(pattern) != len(segments):
        return None
    params: dict[str, str] = {}
    for part, segment in zip(pattern, segments, strict=True):
        if part.startswith("{") and part.endswith("}"):
            if not segment:
                return None
            params[part[1:-1]] = segment
        elif part != segment:
            return None
    return params


def split_suffix(segment: str, suffixes: Iterable[str]) -> tuple[str, str | None]:
    """("CF…", ".json") from "CF….json" for a suffix in `suffixes`; (segment, None) otherwise."""
    for suffix in suffixes:
        if segment.endswith(suffix) and len(segment) > len(suffix):
            return segment[: -len(suffix)], suffix
    return segment, None
