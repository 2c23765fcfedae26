"""The Conference, Participant and Recording endpoints of Twilio's REST API 2010-04-01, and the Calls
instance (GET only), over a `World`.

One class serves three flavors (see `twilio2010_shapes.Flavor`):
- twilio2010: /2010-04-01/Accounts/{AC}/…; `.json` answers JSON, no suffix (or `.xml`) answers XML.
- signalwire: /api/laml/2010-04-01/Accounts/{ProjectID}/…; JSON, with or without `.json`.
- telnyx: /v2/texml/Accounts/{account_sid}/…; JSON without a suffix (`.json` works too), `Authorization:
  Bearer <key>`, errors as {"errors": [{"code", "title", "detail"}]}.

Handlers parse the request, ask the world, and render.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from aiohttp import web

from confmon.model import Conference, ConferenceStatus, Participant, Recording
from confmon.sim import auth, forms, xmlwrite
from confmon.sim.dialects import twilio2010_shapes as shapes
from confmon.sim.dialects import twilio2010_xml as xml
from confmon.sim.dialects.base import JSON, XML, Call, Dialect, Keys, Routes, split_suffix
from confmon.sim.dialects.twilio2010_shapes import SIGNALWIRE, TELNYX, TWILIO, Flavor, PageLinks, Resource
from confmon.sim.errors import ApiError
from confmon.sim.paging import Page, PageRequest, PagingError, paginate, stamp

CONFERENCE_FILTERS = (
    "Status",
    "FriendlyName",
    "DateCreated",
    "DateCreated<",
    "DateCreated>",
    "DateUpdated",
    "DateUpdated<",
    "DateUpdated>",
)
PARTICIPANT_FILTERS = ("Muted", "Hold", "Coaching")
RECORDING_FILTERS = ("DateCreated", "DateCreated<", "DateCreated>")
JSON_TYPE = "application/json"


class Twilio2010(Dialect):
    flavor: ClassVar[Flavor] = TWILIO
    name = TWILIO.name
    label = TWILIO.label
    prefix = TWILIO.prefix
    # Suffix of the last segment -> format; a suffix not listed here is not served (404).
    suffixes: ClassVar[Mapping[str | None, str]] = {".json": JSON, ".xml": XML, None: XML}
    unserved: ClassVar[tuple[str, ...]] = (".csv", ".html")

    def routes(self) -> Routes:
        return [
            ("Conferences", {"GET": self.list_conferences}),
            ("Conferences/{sid}", {"GET": self.fetch_conference, "POST": self.update_conference}),
            ("Conferences/{sid}/Participants", {"GET": self.list_participants, "POST": self.create_participant}),
            (
                "Conferences/{sid}/Participants/{who}",
                {"GET": self.fetch_participant, "POST": self.update_participant, "DELETE": self.delete_participant},
            ),
            ("Conferences/{sid}/Recordings", {"GET": self.list_recordings}),
            (
                "Conferences/{sid}/Recordings/{rec}",
                {"GET": self.fetch_recording, "POST": self.update_recording, "DELETE": self.delete_recording},
            ),
            ("Calls/{sid}", {"GET": self.fetch_call}),
        ]

    # -- format, errors, authentication

    def strip(self, segments: list[str], request: web.Request) -> tuple[list[str], str] | None:
        last, suffix = split_suffix(segments[-1], [*(s for s in self.suffixes if s), *self.unserved])
        if suffix not in self.suffixes:
            return None
        return [*segments[:-1], last], self.suffixes[suffix]

    def format_of(self, request: web.Request) -> str:
        stripped = self.strip(request.path.split("/"), request)
        return stripped[1] if stripped else JSON

    def error_response(self, fmt: str, error: ApiError) -> web.Response:
        body = shapes.error(error.status, error.code, error.message)
        if fmt == XML:
            return _response(error.status, xml.rest_exception(body), xmlwrite.CONTENT_TYPE, error.headers)
        return _response(error.status, _json(body), JSON_TYPE, error.headers)

    # -- conferences

    async def list_conferences(self, call: Call) -> web.Response:
        keep = _conference_filter(call.query)
        page = paginate(
            (c for c in self.world.conferences() if keep(c)),
            lambda c: (stamp(c.date_created), c.sid),
            _page_request(call.query),
            newest_first=True,
        )
        suffix = self._suffix(call)
        items = [shapes.conference(c, self.flavor, suffix) for c in page.items]
        path = shapes.conferences_path(self.flavor, self.world.account_sid)
        return self._list(call, "conferences", "Conference", items, page, path, CONFERENCE_FILTERS)

    async def fetch_conference(self, call: Call) -> web.Response:
        return self._conference(call, self.world.conference(call["sid"]))

    async def update_conference(self, call: Call) -> web.Response:
        form, sid = await call.form(), call["sid"]
        status = forms.text(form, "Status")
        if status is not None and status != ConferenceStatus.COMPLETED:
            raise ApiError.invalid("Status must be completed")
        announcement = forms.announcement(form)
        if announcement is not None:
            self.world.announce(sid, *announcement)
        conference = self.world.end_conference(sid) if status else self.world.conference(sid)
        return self._conference(call, conference)

    # -- participants

    async def list_participants(self, call: Call) -> web.Response:
        query, sid = call.query, call["sid"]
        wanted = {name: forms.query_flag(query, name) for name in PARTICIPANT_FILTERS if name in query}
        page = paginate(
            (p for p in self.world.participants(sid) if _flags_match(p, wanted)),
            lambda p: (stamp(p.date_created), p.call_sid),
            _page_request(query),
            newest_first=False,
        )
        account, suffix = self.world.account_sid, self._suffix(call)
        items = [shapes.participant(p, account, self.flavor, suffix) for p in page.items]
        path = shapes.participants_path(self.flavor, account, sid)
        return self._list(call, "participants", "Participant", items, page, path, PARTICIPANT_FILTERS)

    async def create_participant(self, call: Call) -> web.Response:
        form = await call.form()
        start = forms.flag(form, "StartConferenceOnEnter")
        created = self.world.create_participant(
            call["sid"],  # a SID, or a friendly name that opens a room if none is live
            from_=forms.text(form, "From") or "",
            to=forms.text(form, "To") or "",
            label=forms.text(form, "Label"),
            muted=bool(forms.flag(form, "Muted")),
            coaching=forms.flag(form, "Coaching"),
            call_sid_to_coach=forms.text(form, "CallSidToCoach"),
            start_conference_on_enter=True if start is None else start,
            end_conference_on_exit=bool(forms.flag(form, "EndConferenceOnExit")),
            region=forms.text(form, "Region"),
            record=(forms.text(form, "ConferenceRecord") or "").lower() in ("true", "record-from-start"),
        )
        # The simulated call connects at once: it never waited in a queue.
        return self._participant(call, created, status=201, queue_time="0")

    async def fetch_participant(self, call: Call) -> web.Response:
        return self._participant(call, self.world.participant(call["sid"], call["who"]))

    async def update_participant(self, call: Call) -> web.Response:
        form, sid, who = await call.form(), call["sid"], call["who"]
        # HoldUrl, WaitUrl, BeepOnExit and their methods are accepted and have no effect.
        announcement = forms.announcement(form)
        updated = self.world.update_participant(
            sid,
            who,
            muted=forms.flag(form, "Muted"),
            hold=forms.flag(form, "Hold"),
            coaching=forms.flag(form, "Coaching"),
            call_sid_to_coach=forms.text(form, "CallSidToCoach"),
            end_conference_on_exit=forms.flag(form, "EndConferenceOnExit"),
        )
        if announcement is not None:
            self.world.announce(sid, *announcement, call_sid_or_label=updated.call_sid)
        return self._participant(call, updated)

    async def delete_participant(self, call: Call) -> web.Response:
        self.world.remove_participant(call["sid"], call["who"], reason="kicked")
        return web.Response(status=204)

    # -- recordings

    async def list_recordings(self, call: Call) -> web.Response:
        query, sid = call.query, call["sid"]
        keep = forms.date_filters(query, {"DateCreated": "date_created"})
        page = paginate(
            (r for r in self.world.recordings(sid) if keep(r)),
            lambda r: (stamp(r.date_created), r.sid),
            _page_request(query),
            newest_first=True,
        )
        suffix = self._suffix(call)
        items = [self._recording_body(r, suffix) for r in page.items]
        path = shapes.recordings_path(self.flavor, self.world.account_sid, sid)
        return self._list(call, "recordings", "Recording", items, page, path, RECORDING_FILTERS)

    async def fetch_recording(self, call: Call) -> web.Response:
        found = self.world.recording(call["sid"], call["rec"])
        return self._render(call, 200, "Recording", self._recording_body(found, self._suffix(call)))

    async def update_recording(self, call: Call) -> web.Response:
        # `rec` may be Twilio.CURRENT: the room's recording under way. PlayBeep is accepted and has no effect.
        form = await call.form()
        updated = self.world.update_recording(
            call["sid"], call["rec"], forms.text(form, "Status") or "", forms.text(form, "PauseBehavior")
        )
        return self._render(call, 200, "Recording", self._recording_body(updated, self._suffix(call)))

    async def delete_recording(self, call: Call) -> web.Response:
        self.world.delete_recording(call["sid"], call["rec"])
        return web.Response(status=204)

    # -- calls

    async def fetch_call(self, call: Call) -> web.Response:
        """A participant's call, in its room or gone from it (Twilio keeps calls); 404 for any other SID."""
        body = shapes.call(self.world.call(call["sid"]), self.world.account_sid, self.flavor, self._suffix(call))
        return self._render(call, 200, "Call", body)

    # -- rendering

    def _suffix(self, call: Call) -> str:
        return ".json" if call.fmt == JSON else ""

    def _recording_body(self, r: Recording, suffix: str) -> Resource:
        call_sid = self.world.recording_call_sid(r)
        return shapes.recording(r, self.world.account_sid, call_sid, self.flavor, suffix)

    def _conference(self, call: Call, conference: Conference) -> web.Response:
        return self._render(call, 200, "Conference", shapes.conference(conference, self.flavor, self._suffix(call)))

    def _participant(
        self, call: Call, participant: Participant, *, status: int = 200, queue_time: str | None = None
    ) -> web.Response:
        account = self.world.account_sid
        body = shapes.participant(participant, account, self.flavor, self._suffix(call), queue_time=queue_time)
        return self._render(call, status, "Participant", body)

    def _render(self, call: Call, status: int, tag: str, body: Resource) -> web.Response:
        if call.fmt == XML:
            return _response(status, xml.resource(tag, body), xmlwrite.CONTENT_TYPE)
        return _response(status, _json(body), JSON_TYPE)

    def _list(
        self,
        call: Call,
        key: str,
        item_tag: str,
        items: list[Resource],
        page: Page[Any],
        path: str,
        filter_names: Sequence[str],
    ) -> web.Response:
        filters = [(name, call.query[name]) for name in filter_names if name in call.query]
        suffix = self._suffix(call)
        if call.fmt == XML:
            links = PageLinks.of(page, path, filters, suffix, page_first=True)
            return _response(200, xml.listing(item_tag + "s", item_tag, items, page, links), xmlwrite.CONTENT_TYPE)
        links = PageLinks.of(page, path, filters, suffix)
        return _response(200, _json(shapes.envelope(key, items, page, links, self.flavor)), JSON_TYPE)


class SignalWire(Twilio2010):
    """SignalWire's compatibility API: JSON only, Basic with the Project ID and an API token."""

    flavor = SIGNALWIRE
    name = SIGNALWIRE.name
    label = SIGNALWIRE.label
    prefix = SIGNALWIRE.prefix
    suffixes: ClassVar[Mapping[str | None, str]] = {".json": JSON, None: JSON}
    unserved = (".xml", ".csv", ".html")

    def authorized(self, request: web.Request, keys: Keys) -> bool:
        given = auth.basic(request.headers.get("Authorization", ""))
        expected = keys.token.reveal() if given is not None and given[0] == keys.account_sid else None
        return given is not None and auth.same(given[1], expected)

    def challenge(self) -> Mapping[str, str]:
        return {"WWW-Authenticate": 'Basic realm="SignalWire"'}


class Telnyx(Twilio2010):
    """Telnyx TeXML: JSON without a suffix, a bearer API key (the simulator's auth token)."""

    flavor = TELNYX
    name = TELNYX.name
    label = TELNYX.label
    prefix = TELNYX.prefix
    suffixes: ClassVar[Mapping[str | None, str]] = {None: JSON, ".json": JSON}
    unserved = (".xml", ".csv", ".html")

    def authorized(self, request: web.Request, keys: Keys) -> bool:
        token = auth.bearer(request.headers.get("Authorization", ""))
        return token is not None and auth.same(token, keys.token.reveal())

    def challenge(self) -> Mapping[str, str]:
        return {"WWW-Authenticate": "Bearer"}

    def error_response(self, fmt: str, error: ApiError) -> web.Response:
        try:
            title = HTTPStatus(error.status).phrase
        except ValueError:
            title = "Error"
        body = {"errors": [{"code": str(error.code), "title": title, "detail": error.message}]}
        return _response(error.status, _json(body), JSON_TYPE, error.headers)


def _json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def _response(status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=body, content_type=content_type, charset="utf-8", headers=headers)


def _page_request(query: Mapping[str, str]) -> PageRequest:
    try:
        return PageRequest.from_query(query)
    except PagingError as error:
        raise ApiError.invalid(str(error)) from None


def _flags_match(p: Participant, wanted: Mapping[str, bool]) -> bool:
    actual = {"Muted": p.muted, "Hold": p.hold, "Coaching": p.coaching}
    return all(actual[name] == value for name, value in wanted.items())


def _conference_filter(query: Mapping[str, str]) -> Callable[[Conference], bool]:
    """One predicate for all the conference filters given; dates compare as UTC days."""
    tests: list[Callable[[Conference], bool]] = []
    if "Status" in query:
        try:
            status = ConferenceStatus(query["Status"])
        except ValueError:
            raise ApiError.invalid("Status must be init, in-progress or completed") from None
        tests.append(lambda c: c.status == status)
    if "FriendlyName" in query:
        name = query["FriendlyName"]
        tests.append(lambda c: c.friendly_name == name)
    dates = forms.date_filters(query, {"DateCreated": "date_created", "DateUpdated": "date_updated"})
    return lambda c: dates(c) and all(test(c) for test in tests)
