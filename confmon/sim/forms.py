"""Reading request values (form fields and query parameters) the way the Twilio-style APIs do."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from confmon.sim.errors import ApiError

ANNOUNCE_METHODS = ("GET", "POST")


def text(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    return None if value is None else str(value)


def flag(form: Mapping[str, Any], name: str) -> bool | None:
    """A boolean form field, None when absent; Twilio reads anything but "true" as false."""
    value = text(form, name)
    return None if value is None else value.lower() == "true"


def query_flag(query: Mapping[str, str], name: str) -> bool:
    value = query[name].lower()
    if value not in ("true", "false"):
        raise ApiError.invalid(f"{name} must be true or false")
    return value == "true"


def day(query: Mapping[str, str], name: str) -> date:
    try:
        return datetime.strptime(query[name], "%Y-%m-%d").date()
    except ValueError:
        raise ApiError.invalid(f"{name} must be a date as YYYY-MM-DD") from None


def announcement(form: Mapping[str, Any]) -> tuple[str, str] | None:
    """(AnnounceUrl, AnnounceMethod) when an announcement is asked for; 400 unless the URL is http(s)."""
    url = text(form, "AnnounceUrl")
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        valid = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. a bad port or IPv6 literal
        valid = False
    if not valid:
        raise ApiError.invalid(f"AnnounceUrl is not a valid URL: {url}", code=21205)
    method = (text(form, "AnnounceMethod") or "POST").upper()
    if method not in ANNOUNCE_METHODS:
        raise ApiError.invalid("AnnounceMethod must be GET or POST")
    return url, method


def date_filters(query: Mapping[str, str], fields: Mapping[str, str]) -> Callable[[Any], bool]:
    """`Field`, `Field<` and `Field>` (on, on or before, on or after a UTC day) for each field named.

    `fields` maps a parameter name (DateCreated) to the attribute it tests (date_created). On the
    wire the 2008 API's `DateCreated<=2009-07-06` is the same parameter `DateCreated<`.
    """
    tests: list[Callable[[Any], bool]] = []
    for name, attribute in fields.items():
        for suffix, compare in (("", operator.eq), ("<", operator.le), (">", operator.ge)):
            if name + suffix in query:
                tests.append(_date_test(attribute, compare, day(query, name + suffix)))
    return lambda item: all(test(item) for test in tests)


def _date_test(attribute: str, compare: Callable[[date, date], bool], on: date) -> Callable[[Any], bool]:
    def test(item: Any) -> bool:
        moment: datetime | None = getattr(item, attribute)
        return moment is not None and compare(moment.date(), on)

    return test
