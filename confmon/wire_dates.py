"""Dates as the conference APIs and their status callbacks write them, read by one parser.

Twilio writes RFC 2822 ("Fri, 18 Feb 2011 19:26:50 +0000"), RestComm Java's "EEE, d MMM yyyy HH:mm:ss Z"
(no leading zero on the day), SignalWire's documentation "24 Sept 2018". dateutil reads all of those, and
ISO 8601 through its strict `isoparse`. dateutil is lenient by design, so this module makes it strict: a
text is a date only if it names a day, a month and a year itself (dateutil would take the rest from
today), reads the same day-first and month-first (not "01/02/2011"), has a real offset if any, and falls
in FIRST_YEAR..LAST_YEAR. A missing time is midnight. Every date comes back aware and in UTC: no zone,
"-0000", or a zone name RFC 5322 does not define, means UTC (RFC 5322 §3.3, §4.3).

Results are cached by text: every poll brings the same strings back. The one form Twilio (and the
simulator) write, "Fri, 18 Feb 2011 19:26:50 +0000", is read by a pattern of its own before dateutil
is asked: dateutil takes about 100 µs a date, and a sweep of 1,000 rooms reads some 20,000 dates.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

from dateutil import parser

CACHE_SIZE = 16384
MAX_LENGTH = 100  # a date is about 31 characters; longer text is not one, and must not fill the cache
FIRST_YEAR = 1970  # in UTC: no API kept time before the Unix epoch
LAST_YEAR = 9999  # datetime's last

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # how ISO 8601 (extended) starts; RFC 2822 never does
# RFC 2822 as Twilio writes it: the weekday is not checked, as RFC 5322 §3.3 leaves it informative.
_CANONICAL = re.compile(
    r"(?:[A-Z][a-z]{2}, )?(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})", re.ASCII
)
_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1
)}

# RFC 5322 §4.3's obsolete zone names (and AST/ADT, as email.utils reads them), which dateutil does not know.
_ZONE_HOURS = {
    "UT": 0, "GMT": 0, "UTC": 0, "Z": 0,
    "AST": -4, "ADT": -3, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}

# Defaults that differ in year, month and day: a part of the date that differs between two readings
# came from a default, not from the text.
_EARLY, _LATE = datetime(1, 1, 1), datetime(2, 2, 2)


class _FixedCentury(parser.parserinfo):
    def convertyear(self, year: int, century_specified: bool = False) -> int:
        # Two digits 69-99 are 19xx, 00-68 20xx, as email.utils (and POSIX %y) read them. dateutil would
        # pick the century by today's date, so a cached answer would depend on when it was first asked.
        if year < 100 and not century_specified:
            return year + (1900 if year >= 69 else 2000)
        return year


_PARSER = parser.parser(_FixedCentury())


def _zone(name: str | None, offset: int | None) -> tzinfo:
    """dateutil's hook for every zone it reads: an offset in seconds, else a name, else neither."""
    if offset is not None:
        return timezone(timedelta(seconds=offset))  # ValueError from 24 hours on
    hours = _ZONE_HOURS.get(name, 0) if name else 0
    return timezone(timedelta(hours=hours)) if hours else UTC


def _canonical(text: str) -> datetime | None:
    """The common form, exactly; None for anything else (dateutil reads that)."""
    found = _CANONICAL.fullmatch(text)
    if found is None or found[2] not in _MONTHS:
        return None
    day, _, year, hour, minute, second, sign, zone_hours, zone_minutes = found.groups()
    offset = timedelta(hours=int(zone_hours), minutes=int(zone_minutes))
    zone = timezone(-offset if sign == "-" else offset) if offset else UTC
    return datetime(int(year), _MONTHS[found[2]], int(day), int(hour), int(minute), int(second), tzinfo=zone)


def _rfc_style(text: str) -> datetime | None:
    month_first = _PARSER.parse(text, default=_EARLY, tzinfos=_zone, dayfirst=False)
    day_first = _PARSER.parse(text, default=_LATE, tzinfos=_zone, dayfirst=True)
    return month_first if month_first.date() == day_first.date() else None


def parse(text: str) -> datetime | None:
    """The moment `text` names, aware and in UTC; None if it is not a date by the rules above."""
    if len(text) > MAX_LENGTH:
        return None
    return _parse(text)


@lru_cache(maxsize=CACHE_SIZE)
def _parse(text: str) -> datetime | None:
    try:
        moment = parser.isoparse(text) if _ISO_DATE.match(text) else (_canonical(text) or _rfc_style(text))
        if moment is None:
            return None
        # isoparse leaves a date without an offset naive; it means UTC here as everywhere on the wire.
        moment = (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: 31 Dec 9999 23:00 -0500 is in year 10000 in UTC
        return None
    return moment if FIRST_YEAR <= moment.year <= LAST_YEAR else None


cache_info = _parse.cache_info
