"""RestComm-Connect's REST API 2012-04-24 (/restcomm/2012-04-24/Accounts/{AC}/…), over a `World`.

What it serves, with RestComm's quirks (representations in `restcomm_shapes`):
- XML by default; JSON when any path segment ends in `.json` (stripped from every segment) or the
  Accept header mentions json.
- GET Conferences (Page, PageSize, Limit; Status and FriendlyName as SQL LIKE patterns, so
  `Status=RUNNING%` finds both running states; DateCreated = created on or after that day,
  DateUpdated = updated on or before it); a page past num_pages is a 400. GET Conferences/{CF}.
- GET Conferences/{CF}/Participants: the calls in the room now, all of them whatever the page, as
  `calls`; GET …/Participants/{CallSid} finds the call in any room (the path's room is not checked).
- Mute: POST …/Participants/{CallSid} with `Mute`: only a case-insensitive "true" mutes, anything
  else (or nothing) unmutes, and the body shows the call as it was BEFORE the change. An unknown
  CallSid is a 406, a malformed one a 400; a call that has left is left alone (200).
- GET Calls/{CallSid}: the call detail record (From, To, CallerName, Direction), in its room or gone
  from it; 404 for a call this instance does not know.
- Kick: POST Calls/{CallSid} with Status=completed: 200 with the Call as it was before it hung up,
  410 "Call is already completed." once it has left. Its `Mute` is applied first, as RestComm does.
- No API ends a room, and none holds a participant (hold is shown, read-only): POST, PUT or DELETE
  on a conference, or DELETE on a participant, is a 405.
- Errors are a bare status with an empty body (410 and 500 say a line of text); a 401 carries
  `WWW-Authenticate: Basic realm="Restcomm realm"`. The password is the auth token, or anything
  whose MD5 is the auth token (RestComm derives the token as the MD5 of the account password).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from confmon.model import Conference, ConferenceStatus, Participant
from confmon.sim import auth, xmlwrite
from confmon.sim.dialects import restcomm_shapes as shapes
from confmon.sim.dialects.base import JSON, XML, Call, Dialect, Keys, Routes
from confmon.sim.dialects.restcomm_shapes import Envelope, PageOverflow, Shape
from confmon.sim.errors import ApiError
from confmon.sim.paging import stamp
from confmon.sim.world import CallLeg, NotFound

DEFAULT_SIZE = 50
DEFAULT_LIMIT = 10000  # what RestComm's documentation shows when no Limit is given


class RestComm(Dialect):
    name = "restcomm"
    label = "RestComm 2012-04-24"
    prefix = "/restcomm/2012-04-24"

    def routes(self) -> Routes:
        return [
            ("Conferences", {"GET": self.list_conferences}),
            ("Conferences/{sid}", {"GET": self.fetch_conference}),
            ("Conferences/{sid}/Participants", {"GET": self.list_participants}),
            ("Conferences/{sid}/Participants/{call}", {"GET": self.fetch_participant, "POST": self.mute}),
            ("Calls/{call}", {"GET": self.fetch_call, "POST": self.modify_call}),
        ]

    # -- format, errors, authentication

    def strip(self, segments: list[str], request: web.Request) -> tuple[list[str], str] | None:
        stripped = [s.removesuffix(".json") if len(s) > len(".json") else s for s in segments]
        return stripped, self._format(segments, request)

    def format_of(self, request: web.Request) -> str:
        return self._format(request.path.split("/"), request)

    @staticmethod
    def _format(segments: list[str], request: web.Request) -> str:
        if any(s.endswith(".json") for s in segments):
            return JSON
        return JSON if "json" in request.headers.get("Accept", "").lower() else XML

    def error_response(self, fmt: str, error: ApiError) -> web.Response:
        if error.status in (410, 500):
            return web.Response(status=error.status, text=error.message, headers=error.headers)
        return web.Response(status=error.status, headers=error.headers)

    def challenge(self) -> Mapping[str, str]:
        return {"WWW-Authenticate": 'Basic realm="Restcomm realm"'}

    def authorized(self, request: web.Request, keys: Keys) -> bool:
        given = auth.basic(request.headers.get("Authorization", ""))
        if given is None:
            return False
        username, password = given
        token = keys.token.reveal() if username == keys.account_sid else None
        digest = hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()
        return auth.same(password, token) | auth.same(digest, token)

    # -- conferences

    async def list_conferences(self, call: Call) -> web.Response:
        query = call.query
        page, size = _paging(query)
        limit = _integer(query, "Limit", DEFAULT_LIMIT, least=1)
        keep = _conference_filter(query, self._status)
        rooms = sorted((c for c in self.world.conferences() if keep(c)), key=lambda c: (stamp(c.date_created), c.sid))
        rooms = rooms[:limit]
        chosen = rooms[page * size : page * size + size]
        path = f"{shapes.account_path(self.world.account_sid)}/Conferences"
        last_sid = chosen[-1].sid if chosen else None
        try:
            envelope = Envelope.of(path, page, size, len(rooms), len(chosen), last_sid, limit=limit)
        except PageOverflow:
            raise ApiError.invalid("Page is past the last page") from None
        items = [self._conference_shape(c, call.fmt) for c in chosen]
        if call.fmt == JSON:
            return _json(envelope.json("conferences", (i.json() for i in items)))
        body = envelope.xml("Conferences", (i.xml() for i in items))
        return _xml(shapes.document(body, shapes.CONFERENCE_LIST_CLASS))

    async def fetch_conference(self, call: Call) -> web.Response:
        shape = self._conference_shape(self.world.conference(call["sid"]), call.fmt)
        if call.fmt == JSON:
            return _json(shape.json())
        return _xml(shapes.document(shape.xml(), shapes.CONFERENCE_CLASS))

    # -- participants

    async def list_participants(self, call: Call) -> web.Response:
        page, size = _paging(call.query)
        try:  # the calls whose conference is this one: an unknown room simply has none
            people = self.world.participants(call["sid"])
        except NotFound:
            people = []
        path = f"{shapes.account_path(self.world.account_sid)}/Conferences/{call['sid']}/Participants"
        last_sid = self._call_id(people[-1]) if people else None
        try:  # not really paged: every call comes back; Page and PageSize only feed the arithmetic
            envelope = Envelope.of(path, page, size, len(people), len(people), last_sid)
        except PageOverflow:
            raise ApiError.invalid("Page is past the last page") from None
        items = [self._participant_shape(p, call.fmt) for p in people]
        if call.fmt == JSON:
            return _json(envelope.json("calls", (i.json() for i in items)))
        return _xml(shapes.document(envelope.xml("Calls", (i.xml() for i in items))))

    async def fetch_participant(self, call: Call) -> web.Response:
        found = self.world.call(self._call_sid(call["call"], unknown=ApiError.not_found(call.request.path)))
        return self._render(call, self._participant_shape(found.participant, call.fmt))

    async def mute(self, call: Call) -> web.Response:
        form = await call.form()
        unknown = ApiError(406, 0, "Not Acceptable")
        try:
            found = self.world.call(self._call_sid(call["call"], unknown=unknown))
        except NotFound:
            raise unknown from None
        before = found.participant
        if found.present:  # Boolean.valueOf: only "true", in any case, mutes
            muted = str(form.get("Mute", "")).lower() == "true"
            self.world.update_participant(before.conference_sid, before.call_sid, muted=muted)
        return self._render(call, self._participant_shape(before, call.fmt))  # stale: the state before

    # -- calls

    async def fetch_call(self, call: Call) -> web.Response:
        found = self.world.call(self._call_sid(call["call"], unknown=ApiError.not_found(call.request.path)))
        return self._render(call, self._call_shape(found, call.fmt))

    async def modify_call(self, call: Call) -> web.Response:
        form = await call.form()
        status = form.get("Status")
        if status is not None and status not in ("completed", "canceled"):
            raise ApiError.invalid("Status must be completed or canceled")
        found = self.world.call(self._call_sid(call["call"], unknown=ApiError.not_found(call.request.path)))
        if not found.present:
            raise ApiError(410, 0, "Call is already completed.")
        before = found.participant
        shape = self._call_shape(found, call.fmt)
        muted = str(form.get("Mute", "")).lower() == "true"  # applied to every POST, as RestComm does
        self.world.update_participant(before.conference_sid, before.call_sid, muted=muted)
        if status == "completed":  # canceled only stops calls not yet answered: these all are
            self.world.remove_participant(before.conference_sid, before.call_sid, reason="kicked")
        return self._render(call, shape)

    # -- helpers

    def _present(self, c: Conference) -> bool:
        return c.status is ConferenceStatus.IN_PROGRESS and self.world.moderator_present(c.sid)

    def _status(self, c: Conference) -> str:
        return shapes.status(c, self._present(c))

    def _conference_shape(self, c: Conference, fmt: str) -> Shape:
        return shapes.conference(c, self._present(c), fmt == JSON)

    def _participant_shape(self, p: Participant, fmt: str) -> Shape:
        return shapes.participant(p, self.world.account_sid, self.world.instance_id, fmt == JSON)

    def _call_shape(self, leg: CallLeg, fmt: str) -> Shape:
        return shapes.call(leg, self.world.account_sid, self.world.instance_id, fmt == JSON)

    def _call_id(self, p: Participant) -> str:
        return shapes.call_id(self.world.instance_id, p.call_sid)

    def _call_sid(self, value: str, *, unknown: ApiError) -> str:
        """The world's CA SID for a call id in the path; 400 if malformed, `unknown` if not ours."""
        if not shapes.is_sid(value):
            raise ApiError.invalid(f"Invalid call SID {value}")
        sid = shapes.world_call_sid(self.world.instance_id, value)
        if sid is None:
            raise unknown
        return sid

    @staticmethod
    def _render(call: Call, shape: Shape) -> web.Response:
        return _json(shape.json()) if call.fmt == JSON else _xml(shapes.document(shape.xml()))


def _json(body: Any) -> web.Response:
    return web.Response(body=json.dumps(body, ensure_ascii=False).encode(), content_type="application/json")


def _xml(body: bytes) -> web.Response:
    return web.Response(body=body, content_type=xmlwrite.CONTENT_TYPE, charset="utf-8")


def _integer(query: Mapping[str, str], name: str, default: int, *, least: int) -> int:
    try:
        value = int(query.get(name, default))
    except ValueError:
        raise ApiError.invalid(f"Invalid {name}") from None
    if value < least:
        raise ApiError.invalid(f"Invalid {name}")
    return value


def _paging(query: Mapping[str, str]) -> tuple[int, int]:
    return _integer(query, "Page", 0, least=0), _integer(query, "PageSize", DEFAULT_SIZE, least=1)


def like(pattern: str) -> re.Pattern[str]:
    """SQL LIKE: `%` any run of characters, `_` any one character, everything else literal."""
    parts = (".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.DOTALL)


def _conference_filter(
    query: Mapping[str, str], status_of: Callable[[Conference], str]
) -> Callable[[Conference], bool]:
    tests: list[Callable[[Conference], bool]] = []
    if "Status" in query:
        status = like(query["Status"])
        tests.append(lambda c: status.fullmatch(status_of(c)) is not None)
    if "FriendlyName" in query:
        name = like(query["FriendlyName"])
        tests.append(lambda c: name.fullmatch(c.friendly_name) is not None)
    if "DateCreated" in query:
        since = _day(query, "DateCreated")
        tests.append(lambda c: c.date_created is not None and c.date_created >= since)
    if "DateUpdated" in query:
        until = _day(query, "DateUpdated") + timedelta(days=1)
        tests.append(lambda c: c.date_updated is not None and c.date_updated <= until)
    return lambda c: all(test(c) for test in tests)


def _day(query: Mapping[str, str], name: str) -> datetime:
    try:
        return datetime.strptime(query[name], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise ApiError.invalid(f"{name} must be a date as yyyy-MM-dd") from None
