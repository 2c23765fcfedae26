"""Twilio REST API 2010-04-01 in JSON: request pieces and response parsing, no I/O.

This module is the trust boundary. Sids are checked against their patterns before they can reach a
URL, and every wire string passes `sanitize.display_text` here. Parsing is total: whatever the body,
the result is a model object or `BadResponse`, never a KeyError or TypeError.

Leniency, decided per field:
- Unknown fields are ignored, and `null` booleans take the documented default.
- A participant `status` outside the documented enum is read as CONNECTED. Twilio lists only
  participants that are connecting or connected, and may add states. Failing the whole page, and so
  the sweep, would hide every room.
- A conference `status` outside the enum is a BadResponse. It decides whether a room exists at all.
- Dates must parse as RFC 2822. Offset-less ("-0000") dates are taken as UTC.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TypeGuard, TypeVar

from confmon.api.dialects import Page, WireError
from confmon.api.errors import BadResponse
from confmon.model import Capabilities, Conference, ConferenceStatus, Participant, ParticipantStatus
from confmon.sanitize import display_text

CAPABILITIES = Capabilities()
MEDIA_TYPE = "application/json"
MAX_PAGE_SIZE = 1000

_ROOT = "/2010-04-01"
_SIDS = {prefix: re.compile(prefix + "[0-9a-fA-F]{32}") for prefix in ("AC", "CF", "CA")}
# A path on the API host: printable ASCII without space or backslash, and no `//host`, since the
# credentials go wherever it points.
_PAGE_URI = re.compile(r"/(?!/)[!-\[\]-~]*")

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


# Request pieces


def _is_sid(value: object, prefix: str) -> TypeGuard[str]:
    return isinstance(value, str) and _SIDS[prefix].fullmatch(value) is not None


def _path_sid(prefix: str, value: str) -> str:
    if not _is_sid(value, prefix):
        raise ValueError(f"not a {prefix} sid: {display_text(value, 40)!r}")
    return value


def conferences_path(account_sid: str) -> str:
    return f"{_ROOT}/Accounts/{_path_sid('AC', account_sid)}/Conferences.json"


def conference_path(account_sid: str, sid: str) -> str:
    return f"{_ROOT}/Accounts/{_path_sid('AC', account_sid)}/Conferences/{_path_sid('CF', sid)}.json"


def participants_path(account_sid: str, conference_sid: str) -> str:
    return conference_path(account_sid, conference_sid).removesuffix(".json") + "/Participants.json"


def participant_path(account_sid: str, conference_sid: str, call_sid: str) -> str:
    # The API also accepts a label here; we address participants by CallSid only.
    return participants_path(account_sid, conference_sid).removesuffix(".json") + f"/{_path_sid('CA', call_sid)}.json"


def _flag(value: bool) -> str:
    return "true" if value else "false"  # the API reads anything else as false


def _page_size(value: int) -> str:
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, not {value}")
    return str(value)


def conference_filters(
    *,
    status: ConferenceStatus | None = None,
    friendly_name: str | None = None,
    date_created: date | None = None,
    date_created_before: date | None = None,
    date_created_after: date | None = None,
    page_size: int = 50,
) -> dict[str, str]:
    params = {"PageSize": _page_size(page_size)}
    if status is not None:
        params["Status"] = ConferenceStatus(status).value
    if friendly_name is not None:
        params["FriendlyName"] = friendly_name
    # On the wire the inclusive bounds are spelled `DateCreated<` and `DateCreated>`.
    for name, day in (
        ("DateCreated", date_created),
        ("DateCreated<", date_created_before),
        ("DateCreated>", date_created_after),
    ):
        if day is not None:
            params[name] = f"{day:%Y-%m-%d}"
    return params


def participant_filters(
    *,
    muted: bool | None = None,
    hold: bool | None = None,
    coaching: bool | None = None,
    page_size: int = 50,
) -> dict[str, str]:
    params = {"PageSize": _page_size(page_size)}
    for name, value in (("Muted", muted), ("Hold", hold), ("Coaching", coaching)):
        if value is not None:
            params[name] = _flag(value)
    return params


def participant_update(*, muted: bool | None = None, hold: bool | None = None) -> dict[str, str]:
    form = {name: _flag(value) for name, value in (("Muted", muted), ("Hold", hold)) if value is not None}
    if not form:
        raise ValueError("nothing to update: give muted or hold")
    return form


def conference_end() -> dict[str, str]:
    return {"Status": ConferenceStatus.COMPLETED.value}


# Response parsing


def _decode(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise BadResponse("body is not JSON") from None


class _Fields:
    """Typed reads from one JSON object; every failure is a BadResponse naming the field, not its value."""

    def __init__(self, obj: object, what: str) -> None:
        if not isinstance(obj, dict):
            raise BadResponse(f"{what}: expected an object")
        self._obj: Mapping[str, object] = obj
        self._what = what

    def _bad(self, key: str, problem: str) -> BadResponse:
        return BadResponse(f"{self._what}: {key} {problem}")

    def sid(self, key: str, prefix: str) -> str | None:
        value = self._obj.get(key)
        if value is None:
            return None
        if _is_sid(value, prefix):
            return value
        raise self._bad(key, f"is not a {prefix} sid")

    def required_sid(self, key: str, prefix: str) -> str:
        value = self.sid(key, prefix)
        if value is None:
            raise self._bad(key, "is missing")
        return value

    def text(self, key: str) -> str | None:
        value = self._obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._bad(key, "is not a string")
        return display_text(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self._obj.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self._bad(key, "is not a boolean")
        return value

    def time(self, key: str) -> datetime | None:
        value = self._obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._bad(key, "is not a string")
        try:
            parsed = parsedate_to_datetime(value)
        except (ValueError, TypeError, IndexError, OverflowError):
            raise self._bad(key, "is not an RFC 2822 date") from None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)

    def choice(self, key: str, enum: type[E], unknown: E | None = None) -> E:
        value = self._obj.get(key)
        if not isinstance(value, str):
            raise self._bad(key, "is missing")
        try:
            return enum(value)
        except ValueError:
            if unknown is None:
                raise self._bad(key, "has an unknown value") from None
            return unknown

    def items(self, key: str) -> list[object]:
        value = self._obj.get(key)
        if not isinstance(value, list):
            raise self._bad(key, "is not a list")
        return value

    def page_uri(self, key: str) -> str | None:
        value = self._obj.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, str) and _PAGE_URI.fullmatch(value):
            return value
        raise self._bad(key, "is not a relative URI")


def conference_from_json(obj: object) -> Conference:
    f = _Fields(obj, "conference")
    return Conference(
        sid=f.required_sid("sid", "CF"),
        account_sid=f.required_sid("account_sid", "AC"),
        friendly_name=f.text("friendly_name") or "",
        status=f.choice("status", ConferenceStatus),
        region=f.text("region"),
        date_created=f.time("date_created"),
        date_updated=f.time("date_updated"),
        reason_conference_ended=f.text("reason_conference_ended"),
        call_sid_ending_conference=f.sid("call_sid_ending_conference", "CA"),
    )


def participant_from_json(obj: object) -> Participant:
    f = _Fields(obj, "participant")
    coached = f.sid("call_sid_to_coach", "CA")
    return Participant(
        call_sid=f.required_sid("call_sid", "CA"),
        conference_sid=f.required_sid("conference_sid", "CF"),
        status=f.choice("status", ParticipantStatus, unknown=ParticipantStatus.CONNECTED),
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


def _page(body: bytes, key: str, item: Callable[[object], T]) -> Page[T]:
    f = _Fields(_decode(body), f"{key} page")
    return Page(tuple(item(x) for x in f.items(key)), f.page_uri("next_page_uri"))


def parse_conference(body: bytes) -> Conference:
    return conference_from_json(_decode(body))


def parse_participant(body: bytes) -> Participant:
    return participant_from_json(_decode(body))


def parse_conference_page(body: bytes) -> Page[Conference]:
    return _page(body, "conferences", conference_from_json)


def parse_participant_page(body: bytes) -> Page[Participant]:
    return _page(body, "participants", participant_from_json)


def parse_error(body: bytes) -> WireError:
    """Read `{"code", "message", "more_info", "status"}`; anything else yields an empty WireError."""
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):
        return WireError()
    if not isinstance(obj, dict):
        return WireError()
    code, message = obj.get("code"), obj.get("message")
    return WireError(
        code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        message=display_text(message) if isinstance(message, str) else "",
    )
