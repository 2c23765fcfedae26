"""Twilio REST API 2008-08-01 (legacy): XML, PascalCase, requests and response parsing, no I/O.

What differs from 2010 (seeds 000 and 001; reference §3):
- No `.json`: XML is the default representation, `<TwilioResponse>` as in 2010's XML.
- Conference `Status` is an integer, 0=init, 1=in-progress, 2=completed, as a filter too.
- Booleans are true/false or 1/0 (the documentation says one, its examples the other).
- Page size is `num` (at most 1000) and pages are numbered by `Page`. The list element carries
  `page numpages pagesize total start end`, and `nextpageuri` only per the Responses page: when it is
  absent, the next page is `Page+1` while `page+1 < numpages`.
- Mute is a POST of `Muted=`; kick a DELETE answered 204. There is no hold, no end (a room ends when
  its last participant is kicked), no recordings per room, no announcement, no status callback.
- A call (`/Calls/{CallSid}`) names its numbers `Caller` (From) and `Called` (To), 10 digits with no
  decoration, and has no caller name; its `Flags` say the direction as bits: 1 inbound, 2 started by
  the API, 4 a `<Dial>` segment (Twilio's 2008 Calls page).
- Errors: `<TwilioResponse><RestException><Status/><Message/>[<Code/><MoreInfo/>]`.
"""

from __future__ import annotations

from typing import Any

from confmon import registry
from confmon.api.dialects import ConferenceFilters, Page, ParticipantFilters, Request
from confmon.api.dialects._wire import Fields, day, first_of, flag, json_error, link, page_size, xml_error
from confmon.api.dialects.twilio2010 import Twilio2010, conference
from confmon.api.errors import InvalidRequest, NotSupported
from confmon.model import Call, Conference, ConferenceStatus

STATUSES = {"0": ConferenceStatus.INIT, "1": ConferenceStatus.IN_PROGRESS, "2": ConferenceStatus.COMPLETED}
WIRE_STATUS = {status: wire for wire, status in STATUSES.items()}
# A call's Flags, as 2010 words its direction: the first bit set, in this order, decides.
DIRECTIONS = ((1, "inbound"), (4, "outbound-dial"), (2, "outbound-api"))


class Twilio2008(Twilio2010):
    def __init__(self) -> None:
        super().__init__(
            registry.get("twilio2008"),
            root="/2008-08-01",
            suffix="",
            xml=True,
            parse_error=first_of(xml_error, json_error),
        )

    def list_conferences(self, account_sid: str, filters: ConferenceFilters) -> Request:
        params = {"num": page_size(filters.page_size)}
        if filters.status is not None:
            params["Status"] = WIRE_STATUS[ConferenceStatus(filters.status)]
        if filters.friendly_name is not None:
            params["FriendlyName"] = filters.friendly_name
        # Documented as `DateCreated<=…` and `DateCreated>=…`: in a query string, the name ends before `=`.
        for name, when in (
            ("DateCreated", filters.date_created),
            ("DateCreated<", filters.date_created_before),
            ("DateCreated>", filters.date_created_after),
        ):
            if when is not None:
                params[name] = day(when)
        return Request.get(f"{self._account(account_sid)}/Conferences", params)

    def list_participants(self, account_sid: str, conference_sid: str, filters: ParticipantFilters) -> Request:
        if filters.hold is not None or filters.coaching is not None:
            raise NotSupported("2008-08-01 filters participants by Muted only")
        params = {"num": page_size(filters.page_size)}
        if filters.muted is not None:
            params["Muted"] = flag(filters.muted)
        return Request.get(f"{self._conference(account_sid, conference_sid)}/Participants", params)

    def update_participant(
        self,
        account_sid: str,
        conference_sid: str,
        call_sid: str,
        *,
        muted: bool | None = None,
        hold: bool | None = None,
    ) -> Request:
        if hold is not None:
            raise NotSupported("2008-08-01 has no hold")
        if muted is None:
            raise InvalidRequest("nothing to update: give muted")
        return Request.post(self._participant(account_sid, conference_sid, call_sid), {"Muted": flag(muted)})

    def next_page(self, request: Request, page: Page[Any]) -> Request | None:
        if page.next_page_uri is not None:
            return link(page.next_page_uri)
        if page.number is None or page.count is None or page.number + 1 >= page.count:
            return None
        if not page.items and not page.problems:  # an empty page ends it; one of records all dropped does not
            return None
        if request.params is None:  # a page reached by a link, whose envelope then gave none: stop
            return None
        return Request.get(request.path, {**request.params, "Page": str(page.number + 1)})

    def parse_conference(self, body: bytes) -> Conference:
        return conference(self._one(body, "Conference", "conference"), STATUSES)

    def parse_conference_page(self, body: bytes) -> Page[Conference]:
        return self._page(body, "conferences", lambda f: conference(f, STATUSES))

    def parse_call(self, body: bytes) -> Call:
        return call(self._one(body, "Call", "call"))


def call(f: Fields) -> Call:
    sid = f.required_id("sid", "call")
    flags = f.integer("flags") or 0
    return Call(
        sid=sid,
        from_number=f.text("caller") or None,
        to_number=f.text("called") or None,
        direction=next((word for bit, word in DIRECTIONS if flags > 0 and flags & bit), None),
    )


DIALECT = Twilio2008()
