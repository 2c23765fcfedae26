"""Twilio REST API 2010-04-01, and the APIs that copy it: requests and response parsing, no I/O.

`Twilio2010` is parameterized by what the copies change (path prefix, `.json` suffix, id rules,
authentication, error shape) and by the body format, JSON or `<TwilioResponse>` XML; the instances
live in twilio2010.py (JSON), twilio2010_xml.py, signalwire.py and telnyx.py.

Leniency, record by record (see `_wire.read_records`):
- Unknown fields are ignored, and `null` booleans take the documented default.
- A record without a readable sid of its own is dropped alone; any other unreadable field is read as
  unknown and named in the page's problems.
- A `status` outside the documented enum is kept as `Unrecognized` raw text, never mapped to a known
  one. A participant with none at all (the XML examples print none) is CONNECTED: Twilio lists only
  participants that are connecting or connected.
- Dates must parse as RFC 2822 (or a variant `confmon.wire_dates` reads), and are kept in UTC.
- In JSON, booleans must be JSON booleans; in XML they are the words true/false (or 1/0).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from xml.etree.ElementTree import Element

from confmon import registry
from confmon.api.dialects import (
    NO_CONTENT,
    ConferenceFilters,
    Page,
    ParticipantFilters,
    Request,
    WireError,
)
from confmon.api.dialects._wire import (
    TWILIO_IDS,
    Fields,
    Ids,
    child,
    children,
    count,
    day,
    decode_json,
    decode_xml,
    expect_root,
    first_of,
    flag,
    http_url,
    json_error,
    link,
    page_size,
    page_uri,
    read_records,
    xml_error,
    xml_record,
)
from confmon.api.errors import InvalidRequest, NotSupported
from confmon.model import Call, Conference, ConferenceStatus, Participant, ParticipantStatus, Recording
from confmon.registry import AuthScheme, DialectSpec

T = TypeVar("T")

STATUSES = {status.value: status for status in ConferenceStatus}
PARTICIPANT_STATUSES = {status.value: status for status in ParticipantStatus}
MAX_PAGE_SIZE = 1000


class Twilio2010:
    """One Twilio-2010-shaped API. Every attribute and method is the `Dialect` protocol's."""

    UPDATE_RETURNS_STALE_BODY = False

    def __init__(
        self,
        spec: DialectSpec,
        *,
        root: str = "/2010-04-01",
        suffix: str = ".json",
        xml: bool = False,
        ids: Ids = TWILIO_IDS,
        parse_error: Callable[[bytes], WireError] | None = None,
    ) -> None:
        """The registry's `spec` says what the API is; the rest, how this copy of it looks on the wire."""
        capabilities = spec.capabilities
        self.NAME = spec.name
        self.CAPABILITIES = capabilities
        self.AUTH: AuthScheme = spec.auth
        self.DEFAULT_BASE_URL = spec.default_base_url
        self.MEDIA_TYPE = "application/xml" if xml else "application/json"
        self._root = root
        self._suffix = suffix
        self._xml = xml
        self._ids = ids
        self._error = parse_error or (first_of(xml_error, json_error) if xml else first_of(json_error))
        # The optional actions, present as far as the capabilities say.
        self.list_recordings = self._list_recordings if capabilities.has_recordings else None
        self.end_conference = self._end_conference if capabilities.can_end else None
        announces = capabilities.can_announce_room or capabilities.can_announce_participant
        self.announce = self._announce if announces else None

    def __repr__(self) -> str:
        return f"<dialect {self.NAME}>"

    # Paths: ids checked and quoted, one segment each

    def check_account(self, account_sid: str) -> None:
        self._ids.segment("account", account_sid)

    def _account(self, account_sid: str) -> str:
        return f"{self._root}/Accounts/{self._ids.segment('account', account_sid)}"

    def _conference(self, account_sid: str, sid: str) -> str:
        return f"{self._account(account_sid)}/Conferences/{self._ids.segment('conference', sid)}"

    def _participant(self, account_sid: str, conference_sid: str, call_sid: str) -> str:
        # The API also accepts a label here; we address participants by call id only.
        path = self._conference(account_sid, conference_sid)
        return f"{path}/Participants/{self._ids.segment('call', call_sid)}{self._suffix}"

    # Requests

    def list_conferences(self, account_sid: str, filters: ConferenceFilters) -> Request:
        params = {"PageSize": page_size(filters.page_size, MAX_PAGE_SIZE)}
        if filters.status is not None:
            params["Status"] = ConferenceStatus(filters.status).value
        if filters.friendly_name is not None:
            params["FriendlyName"] = filters.friendly_name
        # On the wire the inclusive bounds are spelled `DateCreated<` and `DateCreated>`.
        for name, when in (
            ("DateCreated", filters.date_created),
            ("DateCreated<", filters.date_created_before),
            ("DateCreated>", filters.date_created_after),
        ):
            if when is not None:
                params[name] = day(when)
        return Request.get(f"{self._account(account_sid)}/Conferences{self._suffix}", params)

    def live_conferences(self, account_sid: str, page_size: int) -> tuple[Request, ...]:
        # Init first: a room that starts between the two listings is then in both, never in neither.
        return tuple(
            self.list_conferences(account_sid, ConferenceFilters(status=status, page_size=page_size))
            for status in (ConferenceStatus.INIT, ConferenceStatus.IN_PROGRESS)
        )

    def fetch_conference(self, account_sid: str, sid: str) -> Request:
        return Request.get(self._conference(account_sid, sid) + self._suffix)

    def list_participants(self, account_sid: str, conference_sid: str, filters: ParticipantFilters) -> Request:
        params = {"PageSize": page_size(filters.page_size, MAX_PAGE_SIZE)}
        for name, value in (("Muted", filters.muted), ("Hold", filters.hold), ("Coaching", filters.coaching)):
            if value is not None:
                params[name] = flag(value)
        return Request.get(f"{self._conference(account_sid, conference_sid)}/Participants{self._suffix}", params)

    def fetch_participant(self, account_sid: str, conference_sid: str, call_sid: str) -> Request:
        return Request.get(self._participant(account_sid, conference_sid, call_sid))

    def update_participant(
        self,
        account_sid: str,
        conference_sid: str,
        call_sid: str,
        *,
        muted: bool | None = None,
        hold: bool | None = None,
    ) -> Request:
        form = {name: flag(value) for name, value in (("Muted", muted), ("Hold", hold)) if value is not None}
        if not form:
            raise InvalidRequest("nothing to update: give muted or hold")
        return Request.post(self._participant(account_sid, conference_sid, call_sid), form)

    def kick(self, account_sid: str, conference_sid: str, call_sid: str) -> Request:
        return Request.delete(self._participant(account_sid, conference_sid, call_sid), expect=NO_CONTENT)

    def fetch_call(self, account_sid: str, call_sid: str) -> Request:
        return Request.get(f"{self._account(account_sid)}/Calls/{self._ids.segment('call', call_sid)}{self._suffix}")

    def _end_conference(self, account_sid: str, sid: str) -> Request:
        return Request.post(self._conference(account_sid, sid) + self._suffix, {"Status": "completed"})

    def _list_recordings(self, account_sid: str, conference_sid: str, size: int = 50) -> Request:
        path = f"{self._conference(account_sid, conference_sid)}/Recordings{self._suffix}"
        return Request.get(path, {"PageSize": page_size(size, MAX_PAGE_SIZE)})

    def _announce(self, account_sid: str, conference_sid: str, call_sid: str | None, url: str) -> Request:
        # GET: an announcement is mostly a static MP3 or WAV, and static hosts refuse the default POST.
        form = {"AnnounceUrl": http_url(url), "AnnounceMethod": "GET"}
        caps = self.CAPABILITIES
        if call_sid is None:
            _supported(caps.can_announce_room, "an announcement to a room")
            return Request.post(self._conference(account_sid, conference_sid) + self._suffix, form)
        _supported(caps.can_announce_participant, "an announcement to one participant")
        return Request.post(self._participant(account_sid, conference_sid, call_sid), form)

    def next_page(self, request: Request, page: Page[Any]) -> Request | None:
        return link(page.next_page_uri) if page.next_page_uri is not None else None

    # Response bodies

    def _fields(self, obj: object, what: str) -> Fields:
        return Fields(obj, what, self._ids, textual=self._xml)

    def _one(self, body: bytes, tag: str, what: str) -> Fields:
        if not self._xml:
            return self._fields(decode_json(body), what)
        root = expect_root(decode_xml(body), "TwilioResponse")
        return self._fields(xml_record(child(root, tag, what)), what)

    def _page(self, body: bytes, key: str, item: Callable[[Fields], T]) -> Page[T]:
        """A list: JSON `{key: [...], "next_page_uri": …}`, or XML `<Key nextpageuri=…><Item/>…</Key>`."""
        what, single = f"{key} page", key.removesuffix("s")
        if not self._xml:
            f = self._fields(decode_json(body), what)
            items, problems, dropped = read_records(f.items(key), single, lambda x: self._fields(x, single), item)
            number, pages = count(f.raw("page")), count(f.raw("num_pages"))
            return Page(items, f.page_uri("next_page_uri"), number, pages, problems, dropped)
        root = expect_root(decode_xml(body), "TwilioResponse")
        listing = child(root, key.capitalize(), what)
        return xml_page(listing, single.capitalize(), lambda x: self._fields(xml_record(x), single), item)

    def parse_conference(self, body: bytes) -> Conference:
        return conference(self._one(body, "Conference", "conference"))

    def parse_conference_page(self, body: bytes) -> Page[Conference]:
        return self._page(body, "conferences", conference)

    def parse_participant(self, body: bytes, conference_sid: str | None = None) -> Participant:
        return participant(self._one(body, "Participant", "participant"), conference_sid)

    def parse_participant_page(self, body: bytes, conference_sid: str | None = None) -> Page[Participant]:
        return self._page(body, "participants", lambda f: participant(f, conference_sid))

    def parse_recording_page(self, body: bytes, conference_sid: str | None = None) -> Page[Recording]:
        return self._page(body, "recordings", lambda f: recording(f, conference_sid))

    def parse_call(self, body: bytes) -> Call:
        return call(self._one(body, "Call", "call"))

    def parse_error(self, body: bytes) -> WireError:
        return self._error(body)


def _supported(can: bool, what: str) -> None:
    if not can:
        raise NotSupported(f"this API has no {what}")


def xml_page(
    listing: Element,
    item_tag: str,
    fields_of: Callable[[Element], Fields],
    item: Callable[[Fields], T],
    nulls: frozenset[str] = frozenset(),
) -> Page[T]:
    """A `<Conferences page=… numpages=… nextpageuri=…>` envelope (2008, 2010 XML, RestComm XML)."""
    what = f"<{listing.tag}>"
    items, problems, dropped = read_records(children(listing, item_tag), item_tag.lower(), fields_of, item)
    return Page(
        items,
        page_uri(listing.get("nextpageuri"), what, nulls),
        count(listing.get("page")),
        count(listing.get("numpages")),
        problems,
        dropped,
    )


# Model builders, from snake_case fields (JSON keys, or XML element names made snake_case)


def conference(f: Fields, statuses: dict[str, ConferenceStatus] = STATUSES) -> Conference:
    return Conference(
        sid=f.required_id("sid", "conference"),
        account_sid=f.id("account_sid", "account") or "",  # never used to file the room: the request says whose
        friendly_name=f.text("friendly_name") or "",
        status=f.status("status", statuses),
        region=f.text("region"),
        date_created=f.time("date_created"),
        date_updated=f.time("date_updated"),
        reason_conference_ended=f.text("reason_conference_ended"),
        call_sid_ending_conference=f.id("call_sid_ending_conference", "call"),
    )


def participant(f: Fields, conference_sid: str | None = None) -> Participant:
    """`conference_sid`: the room the request named, for a body whose own is missing or unreadable."""
    coached = f.id("call_sid_to_coach", "call") or f.id("coaching_call_sid", "call")  # Telnyx's name for it
    call_sid = f.required_id("call_sid", "call")
    return Participant(
        call_sid=call_sid,
        conference_sid=f.id("conference_sid", "conference")
        or conference_sid
        or f.required_id("conference_sid", "conference"),
        status=f.status("status", PARTICIPANT_STATUSES, missing=ParticipantStatus.CONNECTED),
        label=f.text("label"),
        muted=f.flag("muted", False),
        hold=f.flag("hold", False),
        coaching=f.flag("coaching", coached is not None),  # documented default
        end_conference_on_exit=f.flag("end_conference_on_exit", False),
        start_conference_on_enter=f.flag("start_conference_on_enter", True),
        call_sid_to_coach=coached,
        date_created=f.time("date_created"),
        date_updated=f.time("date_updated"),
    )


def recording(f: Fields, conference_sid: str | None) -> Recording:
    sid = f.required_id("sid", "recording")
    room = f.id("conference_sid", "conference") or conference_sid or f.required_id("conference_sid", "conference")
    status = f.text("status") or ""
    duration = f.integer("duration")
    return Recording(
        sid=sid,
        conference_sid=room,
        status=status,
        duration=duration if duration is not None and duration >= 0 else None,  # -1 while recording
        channels=f.integer("channels"),
        date_created=f.time("date_created"),
        date_updated=f.time("date_updated"),
        start_time=f.time("start_time"),
    )


def call(f: Fields) -> Call:
    """A Calls instance (RestComm's too): its sid, else BadResponse; any other field that is missing,
    empty or unreadable is unknown (None)."""
    return Call(
        sid=f.required_id("sid", "call"),
        from_number=f.text("from") or None,
        to_number=f.text("to") or None,
        caller_name=f.text("caller_name") or None,
        direction=f.text("direction") or None,
    )


DIALECT = Twilio2010(registry.get("twilio2010"))

# The module as the dialect, as before: `twilio2010.parse_conference(body)`.
CAPABILITIES = DIALECT.CAPABILITIES
MEDIA_TYPE = DIALECT.MEDIA_TYPE
parse_conference = DIALECT.parse_conference
parse_conference_page = DIALECT.parse_conference_page
parse_participant = DIALECT.parse_participant
parse_participant_page = DIALECT.parse_participant_page
parse_recording_page = DIALECT.parse_recording_page
parse_error = DIALECT.parse_error
