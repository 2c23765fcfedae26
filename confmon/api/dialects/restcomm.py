"""RestComm-Connect API 2012-04-24: requests and response parsing, no I/O (reference §1, seed 004).

Requests, by RestComm's own rules (reference §1.1, §1.8, §7.4):
- Everything lives under /restcomm/2012-04-24. GETs use `.json` and every request sends
  `Accept: application/json`; the mute POST goes to `…/Participants/{CallSid}` with no suffix (older
  releases route `…/{CallSid}.json` to the XML handler and answer 400), so answers may be XML anyway.
- Mute is `Mute=true|false`, always sent: a POST without it unmutes. The answer carries the participant
  as it was *before* the change (UPDATE_RETURNS_STALE_BODY), so the client re-reads it.
- Kick is `POST Calls/{CallSid}` with `Status=completed`; 410 means the call is already gone.
  406 answers a mute of a call RestComm does not know. Both are NotFound, like 404.
- No end (the room ends when its last participant goes: `end_by_kicking_all`), no hold, no announcement,
  no recordings per room, no status callbacks. Participants take no filters.
- Conference statuses are RUNNING_INITIALIZING, RUNNING_MODERATOR_ABSENT, RUNNING_MODERATOR_PRESENT and
  COMPLETED; `Status` filters with SQL LIKE, so `RUNNING%` lists every live room at once (and a
  FriendlyName with `%` or `_` in it matches more than itself: RestComm has no escape).

Responses, whichever format the server chose (sniffed: XML starts with `<`):
- JSON is snake_case; XML PascalCase, under `<RestcommResponse>`, and for conferences inside an
  `<object class="…">` wrapper (XStream, reference §1.3).
- Participants are call records: `calls` / `<Calls><Call>`, the id is `sid` (`ID<32>-CA<32>`, 69
  characters since issue #1907; plain `CA<32>` before), there is no status, and "end conference on
  exit" is spelled `end_conference_on_enter`. JSON's `conference_sid` is really the parent call's (or
  absent): the room is the one the request named. They carry no From or To: `GET Calls/{CallSid}`
  does, with 2010's names (`from`, `to`, `caller_name`, `direction`; reference §1.4).
- Absent page links are the string "null"; page links lack the /restcomm context root, `.json` and the
  filters: the next page is asked for by number instead (see `next_page`).
- Errors are bare statuses with an empty or plain-text body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from xml.etree.ElementTree import Element

from confmon import registry
from confmon.api.dialects import (
    ConferenceFilters,
    Page,
    ParticipantFilters,
    Request,
    WireError,
)
from confmon.api.dialects._wire import (
    Fields,
    Ids,
    child,
    count,
    day,
    decode_json,
    decode_xml,
    expect_root,
    first_of,
    flag,
    json_error,
    looks_like_xml,
    page_size,
    read_records,
    text_error,
    xml_error,
    xml_record,
)
from confmon.api.dialects.twilio2010 import call, xml_page
from confmon.api.errors import BadResponse, InvalidRequest, NotSupported
from confmon.model import Call, Conference, ConferenceStatus, Participant, ParticipantStatus, Recording

T = TypeVar("T")

ROOT = "/restcomm/2012-04-24"
_LINK_ROOT = "/2012-04-24/"  # how page links start since 2017: without the context root
_NULLS = frozenset({"null"})

_ID = "[A-Za-z0-9]{32}"  # RestComm's Sid.java: letters and digits, not only hex
IDS = Ids(
    {
        "account": "AC" + _ID,
        "conference": "CF" + _ID,
        "call": f"(?:ID{_ID}-)?CA{_ID}",
        "recording": "RE" + _ID,
    },
    {"account": "AC sid", "conference": "CF sid", "call": "call id (ID…-CA…)", "recording": "RE sid"},
)

# Wire status -> (status, moderator present); STOPPING and FAILED are in-memory states, tolerated.
STATUSES: dict[str, tuple[ConferenceStatus, bool | None]] = {
    "RUNNING_INITIALIZING": (ConferenceStatus.INIT, None),
    "RUNNING_MODERATOR_ABSENT": (ConferenceStatus.IN_PROGRESS, False),
    "RUNNING_MODERATOR_PRESENT": (ConferenceStatus.IN_PROGRESS, True),
    "STOPPING": (ConferenceStatus.IN_PROGRESS, None),
    "COMPLETED": (ConferenceStatus.COMPLETED, None),
    "FAILED": (ConferenceStatus.COMPLETED, None),
}
STATUS_FILTERS = {
    ConferenceStatus.INIT: "RUNNING_INITIALIZING",
    ConferenceStatus.IN_PROGRESS: "RUNNING_MODERATOR%",  # LIKE: absent and present
    ConferenceStatus.COMPLETED: "COMPLETED",
}
LIVE = "RUNNING%"

SPEC = registry.get("restcomm")


class RestComm:
    NAME = SPEC.name
    CAPABILITIES = SPEC.capabilities
    AUTH = SPEC.auth
    DEFAULT_BASE_URL = SPEC.default_base_url
    MEDIA_TYPE = "application/json"
    UPDATE_RETURNS_STALE_BODY = True
    end_conference = None
    list_recordings = None
    announce = None

    def __repr__(self) -> str:
        return f"<dialect {self.NAME}>"

    # Paths

    def check_account(self, account_sid: str) -> None:
        IDS.segment("account", account_sid)

    def _account(self, account_sid: str) -> str:
        return f"{ROOT}/Accounts/{IDS.segment('account', account_sid)}"

    def _conference(self, account_sid: str, sid: str) -> str:
        return f"{self._account(account_sid)}/Conferences/{IDS.segment('conference', sid)}"

    def _participant(self, account_sid: str, conference_sid: str, call_sid: str) -> str:
        return f"{self._conference(account_sid, conference_sid)}/Participants/{IDS.segment('call', call_sid)}"

    def _call(self, account_sid: str, call_sid: str) -> str:
        return f"{self._account(account_sid)}/Calls/{IDS.segment('call', call_sid)}"

    # Requests

    def list_conferences(self, account_sid: str, filters: ConferenceFilters) -> Request:
        params = {"PageSize": page_size(filters.page_size)}
        if filters.status is not None:
            params["Status"] = STATUS_FILTERS[ConferenceStatus(filters.status)]
        if filters.friendly_name is not None:
            params["FriendlyName"] = filters.friendly_name
        if filters.date_created is not None or filters.date_created_before is not None:
            raise NotSupported("RestComm filters by creation date 'on or after' only")
        if filters.date_created_after is not None:
            params["DateCreated"] = day(filters.date_created_after)  # SQL: date_created >= the day
        return Request.get(f"{self._account(account_sid)}/Conferences.json", params)

    def live_conferences(self, account_sid: str, page_size: int) -> tuple[Request, ...]:
        request = self.list_conferences(account_sid, ConferenceFilters(page_size=page_size))
        return (Request.get(request.path, {**(request.params or {}), "Status": LIVE}),)

    def fetch_conference(self, account_sid: str, sid: str) -> Request:
        return Request.get(self._conference(account_sid, sid) + ".json")

    def list_participants(self, account_sid: str, conference_sid: str, filters: ParticipantFilters) -> Request:
        if filters.muted is not None or filters.hold is not None or filters.coaching is not None:
            raise NotSupported("RestComm does not filter participants")
        path = f"{self._conference(account_sid, conference_sid)}/Participants.json"
        return Request.get(path, {"PageSize": page_size(filters.page_size)})

    def fetch_participant(self, account_sid: str, conference_sid: str, call_sid: str) -> Request:
        return Request.get(self._participant(account_sid, conference_sid, call_sid) + ".json")

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
            raise NotSupported("RestComm has no hold")
        if muted is None:
            raise InvalidRequest("nothing to update: give muted")
        path = self._participant(account_sid, conference_sid, call_sid)  # no suffix: see the module doc
        return Request.post(path, {"Mute": flag(muted)}, gone=frozenset({406}))

    def kick(self, account_sid: str, conference_sid: str, call_sid: str) -> Request:
        IDS.segment("conference", conference_sid)  # not in the path, but a wrong one is still a caller's bug
        path = self._call(account_sid, call_sid)
        return Request.post(path, {"Status": "completed"}, expect=frozenset({200, 204}), gone=frozenset({410}))

    def fetch_call(self, account_sid: str, call_sid: str) -> Request:
        return Request.get(self._call(account_sid, call_sid) + ".json")

    def next_page(self, request: Request, page: Page[Any]) -> Request | None:
        """RestComm's page links carry neither the context root nor `.json` nor the filters (the code
        builds them from the bare path), so the next page is this request again with `Page` + 1, for
        as long as the link says there is one. A link is followed only when the envelope gives no page
        number, with its root and `.json` put back. The Participants list is not paged at all: every
        call comes back on every page, so its first page is the whole list."""
        uri = page.next_page_uri
        if uri is None or request.path.endswith("/Participants.json"):
            return None
        if page.number is not None and request.params is not None:
            return Request.get(request.path, {**request.params, "Page": str(page.number + 1)})
        path, mark, query = uri.partition("?")
        if path.startswith(_LINK_ROOT):
            path = "/restcomm" + path  # the context root the links leave out
        elif not path.startswith(ROOT + "/"):
            raise BadResponse("next_page_uri is outside the API")
        head, _, last = path.rpartition("/")
        if ".json" not in path:
            path = f"{head}/{last}.json"
        return Request.get(path + mark + query)

    # Response bodies

    def parse_conference(self, body: bytes) -> Conference:
        return _conference(_one(body, "Conference", "conference"))

    def parse_conference_page(self, body: bytes) -> Page[Conference]:
        return _page(body, "conferences", "Conferences", "Conference", _conference)

    def parse_participant(self, body: bytes, conference_sid: str | None = None) -> Participant:
        return _participant(_one(body, "Call", "participant"), conference_sid)

    def parse_participant_page(self, body: bytes, conference_sid: str | None = None) -> Page[Participant]:
        return _page(body, "calls", "Calls", "Call", lambda f: _participant(f, conference_sid))

    def parse_recording_page(self, body: bytes, conference_sid: str | None = None) -> Page[Recording]:
        raise BadResponse("RestComm lists no recordings per conference")

    def parse_call(self, body: bytes) -> Call:
        return call(_one(body, "Call", "call"))

    def parse_error(self, body: bytes) -> WireError:
        return _error(body)


_error = first_of(json_error, xml_error, text_error)


def _fields(obj: object, what: str, *, textual: bool) -> Fields:
    return Fields(obj, what, IDS, textual=textual, lenient_flags=True, nulls=_NULLS)


def _xml_root(body: bytes) -> Element:
    """`<RestcommResponse>`, looking through XStream's `<object class=…>` wrapper."""
    root = expect_root(decode_xml(body), "RestcommResponse")
    wrapper = root.find("object")
    return wrapper if wrapper is not None else root


def _one(body: bytes, tag: str, what: str) -> Fields:
    if looks_like_xml(body):
        return _fields(xml_record(child(_xml_root(body), tag, what)), what, textual=True)
    return _fields(decode_json(body), what, textual=False)


def _page(body: bytes, key: str, list_tag: str, item_tag: str, item: Callable[[Fields], T]) -> Page[T]:
    what, single = f"{key} page", item_tag.lower()
    if looks_like_xml(body):
        listing = child(_xml_root(body), list_tag, what)
        return xml_page(listing, item_tag, lambda x: _fields(xml_record(x), single, textual=True), item, _NULLS)
    f = _fields(decode_json(body), what, textual=False)
    items, problems, dropped = read_records(f.items(key), single, lambda x: _fields(x, single, textual=False), item)
    number, pages = count(f.raw("page")), count(f.raw("num_pages"))
    return Page(items, f.page_uri("next_page_uri"), number, pages, problems, dropped)


def _conference(f: Fields) -> Conference:
    sid = f.required_id("sid", "conference")
    read = f.status("status", STATUSES)
    status, moderator = read if isinstance(read, tuple) else (read, None)
    return Conference(
        sid=sid,
        account_sid=f.id("account_sid", "account") or "",
        friendly_name=f.text("friendly_name") or "",
        status=status,
        date_created=f.time("date_created"),
        date_updated=f.time("date_updated"),
        moderator_present=moderator,
    )


def _participant(f: Fields, conference_sid: str | None) -> Participant:
    # The room the request named; only a parse without one (XML, where it is right) reads the body's.
    call_sid = f.required_id("sid", "call")
    room = conference_sid if conference_sid is not None else f.required_id("conference_sid", "conference")
    ends = f.flag("end_conference_on_enter", f.flag("end_conference_on_exit", False))  # (sic) on the wire
    return Participant(
        call_sid=call_sid,
        conference_sid=room,
        status=ParticipantStatus.CONNECTED,  # only live legs are listed
        muted=f.flag("muted", False),
        hold=f.flag("hold", False),
        end_conference_on_exit=ends,
        start_conference_on_enter=f.flag("start_conference_on_enter", True),
        date_created=f.time("date_created"),
        date_updated=f.time("date_updated"),
    )


DIALECT = RestComm()
