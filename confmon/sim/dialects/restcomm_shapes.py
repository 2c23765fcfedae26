"""RestComm-Connect 2012-04-24 representations, as its converters write them (JSON and XML).

- Call SIDs are `ID<32 hex>-CA<32 hex>`: the media server's instance id, a dash, a call SID. The
  world's CA SIDs map to them by prefixing the world's `instance_id`, and back by removing it.
- Dates are Java's `EEE, d MMM yyyy HH:mm:ss Z`: no leading zero on the day.
- JSON drops null members (Gson), and a participant's JSON `conference_sid` is its parent call's
  SID, which these calls do not have, so JSON participants carry no conference_sid (the bug).
- The participant's end-on-exit flag is named `end_conference_on_enter` / `EndConferenceOnEnter`.
- URIs carry no /restcomm prefix; JSON URIs end in `.json`, XML ones do not.
- Lists: `num_pages = total // page_size`; `start`/`end` are JSON strings; `end` is exclusive on the
  last page (page == num_pages) and inclusive on the others; absent links are the string "null";
  page links carry no filters and no `.json`; the XML `total` attribute repeats the page count.
  The JSON conference list also says `limit` (and its links `Limit=`), as RestComm's documentation shows.
- XML: `<RestcommResponse>` around everything, and for conferences an `<object class=…>` wrapper
  (no converter is registered for them, so XStream names the class).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from confmon.model import Conference, ConferenceStatus, Participant
from confmon.sim import xmlwrite
from confmon.sim.world import CallLeg

API_VERSION = "2012-04-24"
ROOT = "RestcommResponse"
CONFERENCE_CLASS = "org.restcomm.connect.dao.entities.ConferenceDetailRecord"
CONFERENCE_LIST_CLASS = "org.restcomm.connect.dao.entities.ConferenceDetailRecordList"
NULL = "null"

INITIALIZING = "RUNNING_INITIALIZING"
MODERATOR_ABSENT = "RUNNING_MODERATOR_ABSENT"
MODERATOR_PRESENT = "RUNNING_MODERATOR_PRESENT"
COMPLETED = "COMPLETED"

# RestComm's Sid class accepts these two forms and no other.
_SID = re.compile(r"[a-zA-Z0-9]{34}|ID[a-zA-Z0-9]{32}-CA[a-zA-Z0-9]{32}")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# -- identifiers


def is_sid(value: str) -> bool:
    return _SID.fullmatch(value) is not None


def call_id(instance_id: str, call_sid: str) -> str:
    """ID<32>-CA<32> (69 characters) for the world's CA SID."""
    return f"{instance_id}-{call_sid}"


def world_call_sid(instance_id: str, value: str) -> str | None:
    """The world's CA SID for a RestComm call id of this instance; None for any other id."""
    prefix = instance_id + "-"
    return value[len(prefix) :] if value.startswith(prefix) and value[len(prefix) :].startswith("CA") else None


# -- values


def date(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return f"{_DAYS[utc.weekday()]}, {utc.day} {_MONTHS[utc.month - 1]} {utc:%Y %H:%M:%S} +0000"


def status(c: Conference, moderator_present: bool) -> str:
    if c.status is ConferenceStatus.COMPLETED:
        return COMPLETED
    if c.status is ConferenceStatus.INIT:
        return INITIALIZING
    return MODERATOR_PRESENT if moderator_present else MODERATOR_ABSENT


def account_path(account_sid: str) -> str:
    return f"/{API_VERSION}/Accounts/{account_sid}"


# -- resources, as (json key, xml element, value) triples


@dataclass(frozen=True, slots=True)
class Shape:
    """One resource: its XML element name and its members in converter order."""

    tag: str
    members: tuple[tuple[str, str, Any], ...]  # (json key, XML element, value); a Mapping value nests

    def json(self) -> dict[str, Any]:
        return {key: _json_value(value) for key, _, value in self.members if value is not None}

    def xml(self) -> ET.Element:
        element = ET.Element(self.tag)
        for _, tag, value in self.members:
            if value is None:
                continue
            if isinstance(value, Mapping):
                xmlwrite.fields(ET.SubElement(element, tag), [(t, v) for _, t, v in value.values()])
            else:
                xmlwrite.child(element, tag, value)
        return element


def _json_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: v for key, (_, _, v) in value.items()}
    return value


def conference(c: Conference, moderator_present: bool, json: bool) -> Shape:
    path = f"{account_path(c.account_sid)}/Conferences/{c.sid}"
    suffix = ".json" if json else ""
    return Shape(
        "Conference",
        (
            ("sid", "Sid", c.sid),
            ("date_created", "DateCreated", date(c.date_created)),
            ("date_updated", "DateUpdated", date(c.date_updated)),
            ("account_sid", "AccountSid", c.account_sid),
            ("status", "Status", status(c, moderator_present)),
            ("api_version", "ApiVersion", API_VERSION),
            ("friendly_name", "FriendlyName", c.friendly_name),
            ("uri", "Uri", f"{path}{suffix}"),
            (
                "subresource_uris",
                "SubresourceUris",
                {"participants": ("participants", "Participants", f"{path}/Participants{suffix}")},
            ),
        ),
    )


def participant(p: Participant, account_sid: str, instance_id: str, json: bool) -> Shape:
    sid = call_id(instance_id, p.call_sid)
    return Shape(
        "Call",
        (
            ("sid", "Sid", sid),
            # JSON writes the parent call's SID here (none: the member is dropped); XML the conference's.
            ("conference_sid", "ConferenceSid", None if json else p.conference_sid),
            ("date_created", "DateCreated", date(p.date_created)),
            ("date_updated", "DateUpdated", date(p.date_updated)),
            ("account_sid", "AccountSid", account_sid),
            ("muted", "Muted", p.muted),
            ("hold", "Hold", p.hold),
            ("start_conference_on_enter", "StartConferenceOnEnter", p.start_conference_on_enter),
            ("end_conference_on_enter", "EndConferenceOnEnter", p.end_conference_on_exit),  # sic
            ("uri", "Uri", f"{account_path(account_sid)}/Calls/{sid}{'.json' if json else ''}"),
        ),
    )


def call(leg: CallLeg, account_sid: str, instance_id: str, json: bool) -> Shape:
    """A Call detail record, as GET Calls/{sid} answers, and POST Calls/{sid} (with the state before the change)."""
    p = leg.participant
    sid = call_id(instance_id, p.call_sid)
    uri = f"{account_path(account_sid)}/Calls/{sid}"
    suffix = ".json" if json else ""
    return Shape(
        "Call",
        (
            ("sid", "Sid", sid),
            ("InstanceId", "InstanceId", instance_id),
            ("date_created", "DateCreated", date(p.date_created)),
            ("date_updated", "DateUpdated", date(p.date_updated)),
            ("account_sid", "AccountSid", account_sid),
            ("to", "To", leg.to),
            ("from", "From", leg.from_),
            ("status", "Status", leg.status),
            ("start_time", "StartTime", date(p.date_created)),
            ("end_time", "EndTime", date(leg.ended)),
            ("duration", "Duration", leg.duration or 0),
            ("price_unit", "PriceUnit", "USD"),
            ("direction", "Direction", leg.direction),
            ("api_version", "ApiVersion", API_VERSION),
            ("caller_name", "CallerName", leg.caller_name),
            ("uri", "Uri", f"{uri}{suffix}"),
            ("ring_duration", "RingDuration", 0),
            (
                "subresource_uris",
                "SubresourceUris",
                {
                    "notifications": ("notifications", "Notifications", f"{uri}/Notifications{suffix}"),
                    "recordings": ("recordings", "Recordings", f"{uri}/Recordings{suffix}"),
                },
            ),
        ),
    )


# -- lists


class PageOverflow(ValueError):
    """A page past num_pages: RestComm answers 400."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """RestComm's list arithmetic for one page of a list of `total` items."""

    path: str  # e.g. /2012-04-24/Accounts/AC…/Conferences
    page: int
    size: int
    total: int
    count: int  # items on this page
    after_sid: str | None  # the last item's SID, which next_page_uri names (and the server ignores)
    limit: int | None = None  # the conference list says its Limit

    @classmethod
    def of(cls, path: str, page: int, size: int, total: int, count: int, after_sid: str | None, **kw: Any) -> Envelope:
        if page > total // size:
            raise PageOverflow
        return cls(path, page, size, total, count, after_sid, **kw)

    @property
    def num_pages(self) -> int:
        return self.total // self.size

    @property
    def start(self) -> int:
        return self.page * self.size

    @property
    def end(self) -> int:
        last = self.page == self.num_pages
        return self.start + (self.count if last else self.size - 1)

    def link(self, page: int, *, after: str | None = None) -> str:
        query = f"Page={page}&PageSize={self.size}"
        if self.limit is not None:
            query += f"&Limit={self.limit}"
        if after is not None:
            query += f"&AfterSid={after}"
        return f"{self.path}?{query}"

    def links(self) -> dict[str, str]:
        last = self.page == self.num_pages
        return {
            "uri": self.path,
            "first_page_uri": self.link(0),
            "previous_page_uri": self.link(self.page - 1) if self.page > 0 else NULL,
            "next_page_uri": NULL if last else self.link(self.page + 1, after=self.after_sid),
            "last_page_uri": self.link(self.num_pages),
        }

    def json(self, key: str, items: Iterable[dict[str, Any]]) -> dict[str, Any]:
        head: dict[str, Any] = {
            "page": self.page,
            "num_pages": self.num_pages,
            "page_size": self.size,
            "total": self.total,
        }
        if self.limit is not None:
            head["limit"] = self.limit
        links = self.links()
        return {
            **head,
            "start": str(self.start),
            "end": str(self.end),
            "uri": links["uri"],
            "first_page_uri": links["first_page_uri"],
            "previous_page_uri": links["previous_page_uri"],
            "next_page_uri": links["next_page_uri"],
            "last_page_uri": links["last_page_uri"],
            key: list(items),
        }

    def xml(self, tag: str, items: Iterable[ET.Element]) -> ET.Element:
        links = self.links()
        attributes = {
            "page": self.page,
            "numpages": self.num_pages,
            "pagesize": self.size,
            "total": self.num_pages,  # sic: the converter writes the page count twice
            "start": self.start,
            "end": self.end,
            "uri": links["uri"],
            "firstpageuri": links["first_page_uri"],
            "previouspageuri": links["previous_page_uri"],
            "nextpageuri": links["next_page_uri"],
            "lastpageuri": links["last_page_uri"],
        }
        element = xmlwrite.element(tag, attributes)
        element.extend(items)
        return element


def document(inner: ET.Element, wrapper_class: str | None = None) -> bytes:
    root = ET.Element(ROOT)
    if wrapper_class is None:
        root.append(inner)
    else:
        ET.SubElement(root, "object", {"class": wrapper_class}).append(inner)
    return xmlwrite.document(root)
