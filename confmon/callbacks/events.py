"""A conference status callback's form -> ConferenceEvent. Total: anything else is a FormError.

Twilio may add parameters without notice, so unknown fields are ignored; documented ones that are
present must be well formed, since the store orders and merges state by them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from confmon import wire_dates
from confmon.model import ConferenceEvent, EventKind
from confmon.sanitize import display_text

T = TypeVar("T")

# Ids become store keys and path segments: plain ASCII, no truncation by display_text. Generous
# enough for RestComm-style ids ("ID…-CA…"), strict enough that nothing odd reaches a URL.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}", re.ASCII)
_SEQUENCE = re.compile(r"[0-9]{1,18}", re.ASCII)  # int() would also take "+1", " 1" and "١"
_BOOLEANS = {"true": True, "false": False}


class FormError(ValueError):
    """The form is not a conference status callback we can trust the fields of."""


def _one(form: Mapping[str, Any], name: str) -> str | None:
    getall = getattr(form, "getall", None)
    values = getall(name, []) if getall is not None else ([form[name]] if name in form else [])
    if not values:
        return None
    if len(values) > 1:
        raise FormError(f"{name} given {len(values)} times")  # which one would Twilio have meant?
    value = values[0]
    if not isinstance(value, str):
        raise FormError(f"{name} is not text")
    return value


def _required(form: Mapping[str, Any], name: str, parse: Callable[[str, str], T]) -> T:
    value = _one(form, name)
    if value is None or value == "":
        raise FormError(f"{name} is missing")
    return parse(name, value)


def _optional(form: Mapping[str, Any], name: str, parse: Callable[[str, str], T]) -> T | None:
    value = _one(form, name)
    return None if value is None or value == "" else parse(name, value)


def _id(name: str, value: str) -> str:
    if not _ID.fullmatch(value):
        raise FormError(f"{name} is not an id")
    return value


def _text(name: str, value: str) -> str:
    return display_text(value)


def _flag(name: str, value: str) -> bool:
    try:
        return _BOOLEANS[value.lower()]
    except KeyError:
        raise FormError(f"{name} is not true/false") from None


def _sequence(name: str, value: str) -> int:
    if not _SEQUENCE.fullmatch(value):
        raise FormError(f"{name} is not a non-negative integer")
    return int(value)


def _timestamp(name: str, value: str) -> datetime:
    parsed = wire_dates.parse(value)
    if parsed is None:
        raise FormError(f"{name} is not a date")
    return parsed


def _kind(name: str, value: str) -> EventKind:
    try:
        return EventKind(value)
    except ValueError:
        raise FormError(f"unknown {name}: {display_text(value, 40)!r}") from None


def parse_event(form: Mapping[str, Any]) -> ConferenceEvent:
    """The event a callback form describes; FormError if it is not one."""
    kind = _required(form, "StatusCallbackEvent", _kind)
    call_sid = (_required if kind.about_participant else _optional)(form, "CallSid", _id)
    return ConferenceEvent(
        kind=kind,
        conference_sid=_required(form, "ConferenceSid", _id),
        account_sid=_required(form, "AccountSid", _id),
        # Documented as sent on all events; an empty name is still a room we can show.
        friendly_name=_optional(form, "FriendlyName", _text) or "",
        sequence_number=_required(form, "SequenceNumber", _sequence),
        timestamp=_required(form, "Timestamp", _timestamp),
        call_sid=call_sid,
        muted=_optional(form, "Muted", _flag),
        hold=_optional(form, "Hold", _flag),
        coaching=_optional(form, "Coaching", _flag),
        end_conference_on_exit=_optional(form, "EndConferenceOnExit", _flag),
        start_conference_on_enter=_optional(form, "StartConferenceOnEnter", _flag),
        label=_optional(form, "ParticipantLabel", _text),
        reason_conference_ended=_optional(form, "ReasonConferenceEnded", _text),
        call_sid_ending_conference=_optional(form, "CallSidEndingConference", _id),
        label_ending_conference=_optional(form, "ParticipantLabelEndingConference", _text),
        reason=_optional(form, "Reason", _text),
        reason_participant_left=_optional(form, "ReasonParticipantLeft", _text),
        participant_call_status=_optional(form, "ParticipantCallStatus", _text),
        announce_url=_optional(form, "AnnounceUrl", _text),
        reason_announcement_failed=_optional(form, "ReasonAnnouncementFailed", _text),
    )
