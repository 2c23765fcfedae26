"""Twilio REST API 2010-04-01 resources as plain data, field for field as in Twilio's OpenAPI schemas.

Format-neutral: URIs take the suffix of the format asked for, and a `formats` renderer turns the
data into bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urlencode

from confmon.model import Conference, Participant
from confmon.sim.paging import Page

API_VERSION = "2010-04-01"

Resource = dict[str, Any]


def rfc2822(moment: datetime | None) -> str | None:
    """Twilio's date form, e.g. "Fri, 18 Feb 2011 19:26:50 +0000"."""
    return format_datetime(moment) if moment else None


def conferences_path(account_sid: str) -> str:
    return f"/{API_VERSION}/Accounts/{account_sid}/Conferences"


def participants_path(account_sid: str, conference_sid: str) -> str:
    return f"{conferences_path(account_sid)}/{conference_sid}/Participants"


def conference(c: Conference, ext: str) -> Resource:
    path = f"{conferences_path(c.account_sid)}/{c.sid}"
    return {
        "account_sid": c.account_sid,
        "api_version": API_VERSION,
        "call_sid_ending_conference": c.call_sid_ending_conference,
        "date_created": rfc2822(c.date_created),
        "date_updated": rfc2822(c.date_updated),
        "friendly_name": c.friendly_name,
        "reason_conference_ended": c.reason_conference_ended,
        "region": c.region,
        "sid": c.sid,
        "status": c.status,
        "subresource_uris": {
            "participants": f"{path}/Participants.{ext}",
            "recordings": f"{path}/Recordings.{ext}",
        },
        "uri": f"{path}.{ext}",
    }


def participant(p: Participant, account_sid: str, ext: str, *, queue_time: str | None = None) -> Resource:
    """`queue_time` is given only in the answer to a create, as Twilio does."""
    return {
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
        "uri": f"{participants_path(account_sid, p.conference_sid)}/{p.call_sid}.{ext}",
    }


def page(
    key: str, resources: list[Resource], page: Page[Any], path: str, filters: Sequence[tuple[str, str]], ext: str
) -> Resource:
    """The list envelope; its URIs repeat the filters, so following `next_page_uri` keeps them."""
    request = page.request

    def uri(number: int, token: object | None) -> str:
        params: list[tuple[str, object]] = [*filters, ("PageSize", request.size), ("Page", number)]
        if token is not None:
            params.append(("PageToken", token))
        return f"{path}.{ext}?{urlencode(params, quote_via=quote)}"

    start = request.number * request.size
    return {
        key: resources,
        "first_page_uri": uri(0, None),
        "next_page_uri": uri(request.number + 1, page.next) if page.next else None,
        "previous_page_uri": uri(max(request.number - 1, 0), page.previous) if page.previous else None,
        "uri": uri(request.number, request.token),
        "page": request.number,
        "page_size": request.size,
        "start": start,
        "end": start + max(len(resources) - 1, 0),
    }


def error(status: int, code: int, message: str) -> Resource:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
