"""The Conference and Participant endpoints of Twilio's REST API 2010-04-01, over a `World`.

Handlers parse the request, ask the world, and render. Authentication, the account in the
path and the format suffix are checked before a handler runs (see `server`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from aiohttp import web

from confmon.model import Conference, ConferenceStatus, Participant
from confmon.sim import formats, resources
from confmon.sim.paging import PageRequest, PagingError, paginate, stamp
from confmon.sim.world import World

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


class ApiError(Exception):
    """An error answered in Twilio's shape: {code, message, more_info, status}."""

    def __init__(self, status: int, code: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})

    @classmethod
    def not_found(cls, path: str) -> ApiError:
        return cls(404, 20404, f"The requested resource {path} was not found")

    @classmethod
    def invalid(cls, message: str, code: int = 20001) -> ApiError:
        return cls(400, code, message)


def ext_of(request: web.Request) -> str:
    ext = request.match_info.get("ext", formats.DEFAULT)
    return ext if ext in formats.FORMATS else formats.DEFAULT


def reply(
    ext: str, status: int, kind: str, resource: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> web.Response:
    fmt = formats.FORMATS[ext]
    body = fmt.render(kind, resource)
    return web.Response(status=status, body=body, content_type=fmt.content_type, charset="utf-8", headers=headers)


def error_reply(ext: str, error: ApiError) -> web.Response:
    body = resources.error(error.status, error.code, error.message)
    return reply(ext, error.status, formats.ERROR, body, error.headers)


class Api2010:
    def __init__(self, world: World) -> None:
        self.world = world

    def routes(self) -> list[web.RouteDef]:
        conferences = "/2010-04-01/Accounts/{account_sid}/Conferences"
        participants = conferences + "/{sid}/Participants"
        return [
            web.get(conferences + ".{ext}", self.list_conferences),
            web.get(conferences + "/{sid}.{ext}", self.fetch_conference),
            web.post(conferences + "/{sid}.{ext}", self.update_conference),
            web.get(participants + ".{ext}", self.list_participants),
            web.post(participants + ".{ext}", self.create_participant),
            web.get(participants + "/{who}.{ext}", self.fetch_participant),
            web.post(participants + "/{who}.{ext}", self.update_participant),
            web.delete(participants + "/{who}.{ext}", self.delete_participant),
        ]

    # -- conferences

    async def list_conferences(self, request: web.Request) -> web.Response:
        query, ext = request.query, ext_of(request)
        keep = _conference_filter(query)
        page = paginate(
            (c for c in self.world.conferences() if keep(c)),
            lambda c: (stamp(c.date_created), c.sid),
            _page_request(query),
            newest_first=True,
        )
        body = resources.page(
            "conferences",
            [resources.conference(c, ext) for c in page.items],
            page,
            resources.conferences_path(self.world.account_sid),
            [(name, query[name]) for name in CONFERENCE_FILTERS if name in query],
            ext,
        )
        return reply(ext, 200, formats.CONFERENCES, body)

    async def fetch_conference(self, request: web.Request) -> web.Response:
        ext = ext_of(request)
        return reply(ext, 200, formats.CONFERENCE, resources.conference(self.world.conference(_sid(request)), ext))

    async def update_conference(self, request: web.Request) -> web.Response:
        form, ext, sid = await request.post(), ext_of(request), _sid(request)
        status = _text(form, "Status")
        if status is not None and status != ConferenceStatus.COMPLETED:
            raise ApiError.invalid("Status must be completed")
        # AnnounceUrl and AnnounceMethod are accepted; nothing in the simulation plays audio.
        conference = self.world.end_conference(sid) if status else self.world.conference(sid)
        return reply(ext, 200, formats.CONFERENCE, resources.conference(conference, ext))

    # -- participants

    async def list_participants(self, request: web.Request) -> web.Response:
        query, ext, sid = request.query, ext_of(request), _sid(request)
        wanted = {name: _query_flag(query, name) for name in PARTICIPANT_FILTERS if name in query}
        request_page = _page_request(query)
        page = paginate(
            (p for p in self.world.participants(sid) if _flags_match(p, wanted)),
            lambda p: (stamp(p.date_created), p.call_sid),
            request_page,
            newest_first=False,
        )
        account = self.world.account_sid
        body = resources.page(
            "participants",
            [resources.participant(p, account, ext) for p in page.items],
            page,
            resources.participants_path(account, sid),
            [(name, query[name]) for name in PARTICIPANT_FILTERS if name in query],
            ext,
        )
        return reply(ext, 200, formats.PARTICIPANTS, body)

    async def create_participant(self, request: web.Request) -> web.Response:
        form, ext = await request.post(), ext_of(request)
        start = _form_flag(form, "StartConferenceOnEnter")
        created = self.world.create_participant(
            _sid(request),  # a SID, or a friendly name that opens a room if none is live
            from_=_text(form, "From") or "",
            to=_text(form, "To") or "",
            label=_text(form, "Label"),
            muted=bool(_form_flag(form, "Muted")),
            coaching=_form_flag(form, "Coaching"),
            call_sid_to_coach=_text(form, "CallSidToCoach"),
            start_conference_on_enter=True if start is None else start,
            end_conference_on_exit=bool(_form_flag(form, "EndConferenceOnExit")),
            region=_text(form, "Region"),
        )
        # The simulated call connects at once: it never waited in a queue.
        body = resources.participant(created, self.world.account_sid, ext, queue_time="0")
        return reply(ext, 201, formats.PARTICIPANT, body)

    async def fetch_participant(self, request: web.Request) -> web.Response:
        ext = ext_of(request)
        found = self.world.participant(_sid(request), request.match_info["who"])
        return reply(ext, 200, formats.PARTICIPANT, resources.participant(found, self.world.account_sid, ext))

    async def update_participant(self, request: web.Request) -> web.Response:
        form, ext = await request.post(), ext_of(request)
        # HoldUrl, AnnounceUrl, WaitUrl, BeepOnExit and their methods are accepted and have no effect.
        updated = self.world.update_participant(
            _sid(request),
            request.match_info["who"],
            muted=_form_flag(form, "Muted"),
            hold=_form_flag(form, "Hold"),
            coaching=_form_flag(form, "Coaching"),
            call_sid_to_coach=_text(form, "CallSidToCoach"),
            end_conference_on_exit=_form_flag(form, "EndConferenceOnExit"),
        )
        return reply(ext, 200, formats.PARTICIPANT, resources.participant(updated, self.world.account_sid, ext))

    async def delete_participant(self, request: web.Request) -> web.Response:
        self.world.remove_participant(_sid(request), request.match_info["who"], reason="kicked")
        return web.Response(status=204)


def _sid(request: web.Request) -> str:
    return request.match_info["sid"]


def _page_request(query: Mapping[str, str]) -> PageRequest:
    try:
        return PageRequest.from_query(query)
    except PagingError as error:
        raise ApiError.invalid(str(error)) from None


def _text(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    return None if value is None else str(value)


def _form_flag(form: Mapping[str, Any], name: str) -> bool | None:
    """A boolean form field, None when absent; Twilio reads anything but "true" as false."""
    value = _text(form, name)
    return None if value is None else value.lower() == "true"


def _query_flag(query: Mapping[str, str], name: str) -> bool:
    value = query[name].lower()
    if value not in ("true", "false"):
        raise ApiError.invalid(f"{name} must be true or false")
    return value == "true"


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
    for field, attribute in (("DateCreated", "date_created"), ("DateUpdated", "date_updated")):
        for suffix, compare in (("", operator.eq), ("<", operator.le), (">", operator.ge)):
            if field + suffix in query:
                tests.append(_date_test(attribute, compare, _day(query, field + suffix)))
    return lambda c: all(test(c) for test in tests)


def _date_test(attribute: str, compare: Callable[[date, date], bool], day: date) -> Callable[[Conference], bool]:
    def test(c: Conference) -> bool:
        moment: datetime | None = getattr(c, attribute)
        return moment is not None and compare(moment.date(), day)

    return test


def _day(query: Mapping[str, str], name: str) -> date:
    try:
        return datetime.strptime(query[name], "%Y-%m-%d").date()
    except ValueError:
        raise ApiError.invalid(f"{name} must be a date as YYYY-MM-DD") from None
