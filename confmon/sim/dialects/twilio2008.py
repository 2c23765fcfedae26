"""Twilio's legacy REST API 2008-08-01: Conferences and Participants, in XML only.

As its documentation shows it: `<TwilioResponse>` around PascalCase elements, no URIs in the
resources, conference `Status` as 0 (init), 1 (in progress) or 2 (completed), `Muted` as
true/false but `StartConferenceOnEnter`/`EndConferenceOnExit` as 1/0. Lists page by number: `num`
(page size, default 50, at most 1000) and `Page` (from 0), under `<Conferences page numpages
pagesize total start end uri firstpageuri previouspageuri nextpageuri lastpageuri>` (`end`
inclusive, an absent link an empty attribute); conferences newest DateUpdated first.

A call (`Calls/{CallSid}`, GET only) is the documented element: `Caller` and `Called` as 10 digits
without decoration (a number outside North America, or a Client's address, as it is), `Status` 1 (in
progress) or 2 (complete), `Flags` 1 for a call that dialled in, 2 for one the API placed.

Actions: mute and unmute (POST a participant with `Muted=`; true or 1 mutes, anything else
unmutes), kick (DELETE a participant, 204). A conference takes no POST, PUT or DELETE, so there is
no ending a room (405); any participant field besides `Muted` (Hold, AnnounceUrl…) is refused
(400), since this API has no such thing. Errors: `<RestException><Status><Message>`, plus
`<Code>` and `<MoreInfo>` on a 400.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from confmon.model import Conference, ConferenceStatus, Participant, Unrecognized
from confmon.sim import forms, names, xmlwrite
from confmon.sim.dialects.base import XML, Call, Dialect, Keys, Routes, split_suffix
from confmon.sim.errors import ApiError
from confmon.sim.paging import MAX_SIZE, Slice, cut, stamp
from confmon.sim.world import CallLeg

API_VERSION = "2008-08-01"
DEFAULT_SIZE = 50
STATUS_NUMBER: dict[ConferenceStatus | Unrecognized, str] = {
    ConferenceStatus.INIT: "0",
    ConferenceStatus.IN_PROGRESS: "1",
    ConferenceStatus.COMPLETED: "2",
}
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
UNSERVED = (".json", ".csv", ".html")


class Twilio2008(Dialect):
    name = "twilio2008"
    label = "Twilio 2008-08-01"
    prefix = f"/{API_VERSION}"

    def routes(self) -> Routes:
        return [
            ("Conferences", {"GET": self.list_conferences}),
            ("Conferences/{sid}", {"GET": self.fetch_conference}),
            ("Conferences/{sid}/Participants", {"GET": self.list_participants}),
            (
                "Conferences/{sid}/Participants/{who}",
                {"GET": self.fetch_participant, "POST": self.update_participant, "DELETE": self.kick},
            ),
            ("Calls/{sid}", {"GET": self.fetch_call}),
        ]

    def strip(self, segments: list[str], request: web.Request) -> tuple[list[str], str] | None:
        last, suffix = split_suffix(segments[-1], [".xml", *UNSERVED])
        return None if suffix in UNSERVED else ([*segments[:-1], last], XML)

    def format_of(self, request: web.Request) -> str:
        return XML

    def authorized(self, request: web.Request, keys: Keys) -> bool:
        return super().authorized(request, Keys(keys.account_sid, keys.token))  # API keys came with 2010

    def error_response(self, fmt: str, error: ApiError) -> web.Response:
        root = ET.Element("TwilioResponse")
        fields: list[tuple[str, Any]] = [("Status", error.status), ("Message", error.message)]
        if error.status == 400:
            fields += [("Code", error.code), ("MoreInfo", f"http://www.twilio.com/docs/errors/{error.code}")]
        xmlwrite.fields(ET.SubElement(root, "RestException"), fields)
        return _xml(error.status, root, error.headers)

    # -- conferences

    async def list_conferences(self, call: Call) -> web.Response:
        query = call.query
        keep = forms.date_filters(query, {"DateCreated": "date_created", "DateUpdated": "date_updated"})
        status = query.get("Status")
        if status is not None and status not in STATUS_NUMBER.values():
            raise ApiError.invalid("Status must be an integer between 0 and 2")
        name = query.get("FriendlyName")
        rooms = [
            c
            for c in self.world.conferences()
            if keep(c) and (status is None or STATUS_NUMBER[c.status] == status)
            and (name is None or c.friendly_name == name)
        ]
        rooms.sort(key=lambda c: (stamp(c.date_updated), c.sid), reverse=True)
        page = cut(rooms, *_paging(query))
        filters = [(n, query[n]) for n in CONFERENCE_FILTERS if n in query]
        items = [_conference(c) for c in page.items]
        return _listing("Conferences", items, page, self._path(), filters)

    async def fetch_conference(self, call: Call) -> web.Response:
        return _one("Conference", _conference(self.world.conference(call["sid"])))

    # -- participants

    async def list_participants(self, call: Call) -> web.Response:
        query, sid = call.query, call["sid"]
        people = self.world.participants(sid)
        if "Muted" in query:
            wanted = query["Muted"].lower()
            if wanted not in ("true", "false"):
                raise ApiError.invalid("Muted must be true or false")
            people = [p for p in people if p.muted == (wanted == "true")]
        page = cut(people, *_paging(query))
        filters = [("Muted", query["Muted"])] if "Muted" in query else []
        items = [_participant(p, self.world.account_sid) for p in page.items]
        return _listing("Participants", items, page, f"{self._path()}/{sid}/Participants", filters)

    async def fetch_participant(self, call: Call) -> web.Response:
        found = self.world.participant(call["sid"], call["who"])
        return _one("Participant", _participant(found, self.world.account_sid))

    async def update_participant(self, call: Call) -> web.Response:
        form = await call.form()
        others = sorted(name for name in form if name != "Muted")
        if others:
            raise ApiError.invalid(f"{', '.join(others)} is not supported by API version {API_VERSION}")
        if "Muted" not in form:
            raise ApiError.invalid("Muted is required")
        muted = str(form["Muted"]).lower() in ("true", "1")
        updated = self.world.update_participant(call["sid"], call["who"], muted=muted)
        return _one("Participant", _participant(updated, self.world.account_sid))

    async def kick(self, call: Call) -> web.Response:
        self.world.remove_participant(call["sid"], call["who"], reason="kicked")
        return web.Response(status=204)

    # -- calls

    async def fetch_call(self, call: Call) -> web.Response:
        return _one("Call", _call(self.world.call(call["sid"]), self.world.account_sid))

    def _path(self) -> str:
        return f"{self.prefix}/Accounts/{self.world.account_sid}/Conferences"


def _paging(query: Mapping[str, str]) -> tuple[int, int]:
    try:
        size = int(query.get("num", DEFAULT_SIZE))
        number = int(query.get("Page", 0))
    except ValueError:
        raise ApiError.invalid("num and Page must be integers") from None
    if not 1 <= size <= MAX_SIZE:
        raise ApiError.invalid(f"num must be between 1 and {MAX_SIZE}")
    if number < 0:
        raise ApiError.invalid("Page must not be negative")
    return number, size


def _conference(c: Conference) -> list[tuple[str, Any]]:
    return [
        ("Sid", c.sid),
        ("AccountSid", c.account_sid),
        ("FriendlyName", c.friendly_name),
        ("Status", STATUS_NUMBER[c.status]),
        ("DateCreated", _date(c.date_created)),
        ("DateUpdated", _date(c.date_updated)),
    ]


def _participant(p: Participant, account_sid: str) -> list[tuple[str, Any]]:
    return [
        ("ConferenceSid", p.conference_sid),
        ("AccountSid", account_sid),
        ("CallSid", p.call_sid),
        ("Muted", "true" if p.muted else "false"),
        ("StartConferenceOnEnter", "1" if p.start_conference_on_enter else "0"),
        ("EndConferenceOnExit", "1" if p.end_conference_on_exit else "0"),
        ("DateCreated", _date(p.date_created)),
        ("DateUpdated", _date(p.date_updated)),
    ]


def _call(leg: CallLeg, account_sid: str) -> list[tuple[str, Any]]:
    p = leg.participant
    return [
        ("Sid", p.call_sid),
        ("DateCreated", _date(p.date_created)),
        ("DateUpdated", _date(p.date_updated)),
        ("CallSegmentSid", None),  # empty: the call itself, not a <Dial> segment of it
        ("AccountSid", account_sid),
        ("Called", _ten_digits(leg.to)),
        ("Caller", _ten_digits(leg.from_)),
        ("PhoneNumberSid", None),
        ("Status", "1" if leg.present else "2"),
        ("StartTime", _date(p.date_created)),
        ("EndTime", _date(leg.ended)),
        ("Duration", leg.duration),
        ("Price", None),
        ("Flags", "1" if leg.direction == "inbound" else "2"),
    ]


def _ten_digits(address: str) -> str:
    """How 2008 shows a number: +14155550181 as 4155550181."""
    parts = names.north_american(address)
    return "".join(parts) if parts else address


def _date(moment: Any) -> str | None:
    return format_datetime(moment) if moment else None


def _one(tag: str, fields: list[tuple[str, Any]]) -> web.Response:
    root = ET.Element("TwilioResponse")
    xmlwrite.fields(ET.SubElement(root, tag), fields)
    return _xml(200, root)


def _listing(
    tag: str, items: list[list[tuple[str, Any]]], page: Slice[Any], path: str, filters: Sequence[tuple[str, str]]
) -> web.Response:
    pages = -(-page.total // page.size)

    def uri(number: int) -> str:
        return f"{path}?{urlencode([*filters, ('Page', number), ('num', page.size)], quote_via=quote)}"

    attributes = {
        "page": page.number,
        "numpages": pages,
        "pagesize": page.size,
        "total": page.total,
        "start": page.start,
        "end": page.start + max(len(items) - 1, 0),
        "uri": uri(page.number),
        "firstpageuri": uri(0),
        "previouspageuri": uri(page.number - 1) if page.number > 0 else "",
        "nextpageuri": uri(page.number + 1) if page.number + 1 < pages else "",
        "lastpageuri": uri(max(pages - 1, 0)),
    }
    root = ET.Element("TwilioResponse")
    wrapper = ET.SubElement(root, tag, {k: str(v) for k, v in attributes.items()})
    for fields in items:
        xmlwrite.fields(ET.SubElement(wrapper, tag[:-1]), fields)
    return _xml(200, root)


def _xml(status: int, root: ET.Element, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        body=xmlwrite.document(root),
        content_type=xmlwrite.CONTENT_TYPE,
        charset="utf-8",
        headers=headers,
    )
