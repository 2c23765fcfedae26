"""Twilio REST API 2010-04-01 resources as plain data, field for field as in Twilio's OpenAPI schemas.

Also the shapes of the two compatible APIs that copy it: SignalWire (its own prefix, no labels and
no end reasons, a shorter list envelope) and Telnyx TeXML (its own prefix and api_version, renamed
coaching fields, no label or start_conference_on_enter, no previous_page_uri, a shorter call). A
`Flavor` says which.

Format-neutral: URIs take the suffix of the format asked for (".json", or none for XML), and a
renderer turns the data into bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urlencode

from confmon.model import Conference, Participant, Recording
from confmon.sim import names
from confmon.sim.paging import Page
from confmon.sim.world import CallLeg

Resource = dict[str, Any]

# Every key of the list envelope, in Twilio's order; a flavor keeps a subset.
ENVELOPE = ("first_page_uri", "next_page_uri", "previous_page_uri", "uri", "page", "page_size", "start", "end")


@dataclass(frozen=True, slots=True)
class Flavor:
    name: str
    label: str
    prefix: str  # everything before /Accounts/
    api_version: str
    envelope: tuple[str, ...] = ENVELOPE
    conference_omits: tuple[str, ...] = ()
    participant_omits: tuple[str, ...] = ()
    call_omits: tuple[str, ...] = ()
    renamed_coaching: bool = False  # Telnyx: coaching_call_sid (+ _legacy), call_sid_legacy


TWILIO = Flavor("twilio2010", "Twilio 2010-04-01", "/2010-04-01", "2010-04-01")
SIGNALWIRE = Flavor(
    "signalwire",
    "SignalWire LaML 2010-04-01",
    "/api/laml/2010-04-01",
    "2010-04-01",
    envelope=("uri", "first_page_uri", "next_page_uri", "previous_page_uri", "page", "page_size"),
    conference_omits=("reason_conference_ended", "call_sid_ending_conference"),
    participant_omits=("label", "queue_time"),
)
TELNYX = Flavor(
    "telnyx",
    "Telnyx TeXML",
    "/v2/texml",
    "v2/texml",
    envelope=("page", "page_size", "start", "end", "uri", "first_page_uri", "next_page_uri"),
    participant_omits=("label", "queue_time", "start_conference_on_enter"),
    # Its call documents only: account_sid answered_by caller_name date_created date_updated direction
    # duration end_time from from_formatted price price_unit sid start_time status to to_formatted uri.
    call_omits=(
        "parent_call_sid",
        "phone_number_sid",
        "api_version",
        "forwarded_from",
        "group_sid",
        "queue_time",
        "trunk_sid",
        "subresource_uris",
    ),
    renamed_coaching=True,
)


def rfc2822(moment: datetime | None) -> str | None:
    """Twilio's date form, e.g. "Fri, 18 Feb 2011 19:26:50 +0000"."""
    return format_datetime(moment) if moment else None


def formatted(address: str) -> str:
    """A call's `from_formatted`/`to_formatted`: (415) 555-0181 for a North American number, any other
    address as it is."""
    parts = names.north_american(address)
    return f"({parts[0]}) {parts[1]}-{parts[2]}" if parts else address


def conferences_path(flavor: Flavor, account_sid: str) -> str:
    return f"{flavor.prefix}/Accounts/{account_sid}/Conferences"


def participants_path(flavor: Flavor, account_sid: str, conference_sid: str) -> str:
    return f"{conferences_path(flavor, account_sid)}/{conference_sid}/Participants"


def recordings_path(flavor: Flavor, account_sid: str, conference_sid: str) -> str:
    return f"{conferences_path(flavor, account_sid)}/{conference_sid}/Recordings"


def calls_path(flavor: Flavor, account_sid: str) -> str:
    return f"{flavor.prefix}/Accounts/{account_sid}/Calls"


def conference(c: Conference, flavor: Flavor, suffix: str) -> Resource:
    path = f"{conferences_path(flavor, c.account_sid)}/{c.sid}"
    body = {
        "account_sid": c.account_sid,
        "api_version": flavor.api_version,
        "call_sid_ending_conference": c.call_sid_ending_conference,
        "date_created": rfc2822(c.date_created),
        "date_updated": rfc2822(c.date_updated),
        "friendly_name": c.friendly_name,
        "reason_conference_ended": c.reason_conference_ended,
        "region": c.region,
        "sid": c.sid,
        "status": c.status,
        "subresource_uris": {
            "participants": f"{path}/Participants{suffix}",
            "recordings": f"{path}/Recordings{suffix}",
        },
        "uri": f"{path}{suffix}",
    }
    return _without(body, flavor.conference_omits)


def participant(
    p: Participant, account_sid: str, flavor: Flavor, suffix: str, *, queue_time: str | None = None
) -> Resource:
    """`queue_time` is given only in the answer to a create, as Twilio does."""
    body: Resource = {
        "account_sid": account_sid,
        "call_sid": p.call_sid,
        "call_sid_to_coach": p.call_sid_to_coach,
        "coaching": p.coaching,
        "conference_sid": p.conference_sid,
        "date_created": rfc2822(p.date_created),
        "date_updated": rfc2822(p.date_updated),
        "end_conference_on_exit": p.end_conference_on_exit,
        "hold": p.hold,
        "label": p.label,
        "muted": p.muted,
        "queue_time": queue_time,
        "start_conference_on_enter": p.start_conference_on_enter,
        "status": p.status,
        "uri": f"{participants_path(flavor, account_sid, p.conference_sid)}/{p.call_sid}{suffix}",
    }
    if flavor.renamed_coaching:
        body = _telnyx_participant(body, flavor)
    return _without(body, flavor.participant_omits)


def recording(r: Recording, account_sid: str, call_sid: str | None, flavor: Flavor, suffix: str) -> Resource:
    done = r.status == "completed"
    minutes = -(-(r.duration or 0) // 60) or 1
    return {
        "account_sid": account_sid,
        "api_version": flavor.api_version,
        "call_sid": call_sid,
        "conference_sid": r.conference_sid,
        "date_created": rfc2822(r.date_created),
        "date_updated": rfc2822(r.date_updated),
        "start_time": rfc2822(r.start_time),
        "duration": str(r.duration) if r.duration is not None else None,
        "sid": r.sid,
        "price": f"{-0.0025 * minutes:.4f}" if done else None,  # recording is billed per started minute
        "price_unit": "USD",
        "status": r.status,
        "channels": r.channels or 1,
        "source": "Conference",
        "error_code": None,
        "encryption_details": None,
        "uri": f"{recordings_path(flavor, account_sid, r.conference_sid)}/{r.sid}{suffix}",
    }


def call(leg: CallLeg, account_sid: str, flavor: Flavor, suffix: str) -> Resource:
    """A Calls instance, in the schema's order. Nobody here pays: the price stays unset."""
    p = leg.participant
    path = f"{calls_path(flavor, account_sid)}/{p.call_sid}"
    body: Resource = {
        "sid": p.call_sid,
        "date_created": rfc2822(p.date_created),
        "date_updated": rfc2822(p.date_updated),
        "parent_call_sid": None,
        "account_sid": account_sid,
        "to": leg.to,
        "to_formatted": formatted(leg.to),
        "from": leg.from_,
        "from_formatted": formatted(leg.from_),
        "phone_number_sid": None,
        "status": leg.status,
        "start_time": rfc2822(p.date_created),
        "end_time": rfc2822(leg.ended),
        "duration": str(leg.duration) if leg.duration is not None else None,
        "price": None,
        "price_unit": "USD",
        "direction": leg.direction,
        "answered_by": None,
        "api_version": flavor.api_version,
        "forwarded_from": None,
        "group_sid": None,
        "caller_name": leg.caller_name,
        "queue_time": "0",
        "trunk_sid": None,
        "uri": f"{path}{suffix}",
        "subresource_uris": {
            "notifications": f"{path}/Notifications{suffix}",
            "recordings": f"{path}/Recordings{suffix}",
        },
    }
    return _without(body, flavor.call_omits)


@dataclass(frozen=True, slots=True)
class PageLinks:
    """The URIs of one list page; they repeat the filters, so following `next` keeps them."""

    uri: str
    first: str
    next: str | None
    previous: str | None
    last: str

    @classmethod
    def of(
        cls, page: Page[Any], path: str, filters: Sequence[tuple[str, str]], suffix: str, *, page_first: bool = False
    ) -> PageLinks:
        request = page.request

        def uri(number: int, token: object | None) -> str:
            paging: list[tuple[str, object]] = [("PageSize", request.size), ("Page", number)]
            params = [*filters, *(reversed(paging) if page_first else paging)]
            if token is not None:
                params.append(("PageToken", token))
            return f"{path}{suffix}?{urlencode(params, quote_via=quote)}"

        return cls(
            uri=uri(request.number, request.token),
            first=uri(0, None),
            next=uri(request.number + 1, page.next) if page.next else None,
            previous=uri(max(request.number - 1, 0), page.previous) if page.previous else None,
            last=uri(max(page.pages - 1, 0), page.last),
        )


def envelope(key: str, resources: list[Resource], page: Page[Any], links: PageLinks, flavor: Flavor) -> Resource:
    start = page.request.number * page.request.size
    every = {
        "first_page_uri": links.first,
        "next_page_uri": links.next,
        "previous_page_uri": links.previous,
        "uri": links.uri,
        "page": page.request.number,
        "page_size": page.request.size,
        "start": start,
        "end": start + max(len(resources) - 1, 0),
    }
    return {key: resources, **{name: every[name] for name in flavor.envelope}}


def error(status: int, code: int, message: str) -> Resource:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _without(body: Resource, omitted: tuple[str, ...]) -> Resource:
    return {key: value for key, value in body.items() if key not in omitted} if omitted else body


def _telnyx_participant(body: Resource, flavor: Flavor) -> Resource:
    coached = body.pop("call_sid_to_coach")
    renamed = {
        "account_sid": body["account_sid"],
        "api_version": flavor.api_version,
        "call_sid": body["call_sid"],
        "call_sid_legacy": body["call_sid"],
        "coaching": body["coaching"],
        "coaching_call_sid": coached,
        "coaching_call_sid_legacy": coached,
    }
    return {**renamed, **{k: v for k, v in body.items() if k not in renamed}}
