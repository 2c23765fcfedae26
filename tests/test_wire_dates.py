"""The one parser of wire dates: what the APIs and their callbacks write, in UTC; nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confmon import wire_dates


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("Fri, 18 Feb 2011 19:26:50 +0000", datetime(2011, 2, 18, 19, 26, 50, tzinfo=UTC)),  # Twilio
        ("Fri, 18 Feb 2011 19:26:50 -0000", datetime(2011, 2, 18, 19, 26, 50, tzinfo=UTC)),  # offset unknown
        ("Fri, 18 Feb 2011 19:26:50 GMT", datetime(2011, 2, 18, 19, 26, 50, tzinfo=UTC)),
        ("Fri, 18 Feb 2011 19:26:50", datetime(2011, 2, 18, 19, 26, 50, tzinfo=UTC)),  # no zone
        ("Fri, 18 Feb 2011 19:26:50 XYZ", datetime(2011, 2, 18, 19, 26, 50, tzinfo=UTC)),  # RFC 5322 §4.3
        ("Fri, 18 Feb 2011 19:26:50 EST", datetime(2011, 2, 19, 0, 26, 50, tzinfo=UTC)),
        ("Thu, 03 Sep 2009 23:37:53 -0700", datetime(2009, 9, 4, 6, 37, 53, tzinfo=UTC)),  # 2008 docs
        ("Tue, 31 May 2016 16:15:51 +0300", datetime(2016, 5, 31, 13, 15, 51, tzinfo=UTC)),  # RestComm docs
        ("Wed, 1 Mar 2017 9:01:02 +0000", datetime(2017, 3, 1, 9, 1, 2, tzinfo=UTC)),  # Java's "d", "H"
        ("Mon, 24 Sept 2018 21:00:00 +0000", datetime(2018, 9, 24, 21, tzinfo=UTC)),  # SignalWire docs
        ("24 Sept 2018", datetime(2018, 9, 24, tzinfo=UTC)),  # no time: midnight
        ("Wed, 31 Dec 1969 16:33:29 -0800", datetime(1970, 1, 1, 0, 33, 29, tzinfo=UTC)),
        ("Fri, 18 Feb 11 19:26:50 +0000", datetime(2011, 2, 18, 19, 26, 50, tzinfo=UTC)),
        ("Sun, 18 Feb 96 19:26:50 +0000", datetime(1996, 2, 18, 19, 26, 50, tzinfo=UTC)),  # as email.utils
        ("2018-09-24T21:00:00Z", datetime(2018, 9, 24, 21, tzinfo=UTC)),
        ("2018-09-24T23:00:00.5+02:00", datetime(2018, 9, 24, 21, 0, 0, 500_000, tzinfo=UTC)),
        ("2011-02-03", datetime(2011, 2, 3, tzinfo=UTC)),  # ISO is year-month-day, never ambiguous
    ],
)
def test_reads_what_the_wire_sends_in_utc(text: str, moment: datetime) -> None:
    parsed = wire_dates.parse(text)
    assert parsed == moment
    assert parsed is not None and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "", "Monday", "12", "0", "1", "-1", "true", "null", "yesterday", "now",
        "Sept 2018", "18 Feb", "Feb 2011", "2011", "2011-02",  # a part of the date missing: not from today
        "1298057210",  # epoch seconds
        "01/02/2011", "1 2 3",  # January 2 or February 1?
        "Fri, 31 Feb 2011 19:26:50 +0000", "18 Feb 2011 25:00:00",
        "Fri, 18 Feb 2011 19:26:50 +9999", "2018-09-24T21:00:00+99:00",  # offsets of days
        "Mon, 1 Jan 99999 0:0:0 +0000", "Wed, 31 Dec 1969 23:59:59 +0000", "31 Dec 9999 23:00:00 -0500",
        "3f1c7d2e-0b8a-4c55-9a9e-1d2f3a4b5c6d", "CF" + "a" * 32,
        "Fri, 18 Feb 2011 19:26:50 +0000" + " " * wire_dates.MAX_LENGTH,
    ],
)
def test_refuses_what_is_not_a_whole_date(text: str) -> None:
    assert wire_dates.parse(text) is None


def test_the_same_text_is_parsed_once() -> None:
    text = "Sat, 19 Feb 2011 07:08:09 +0000"
    before = wire_dates.cache_info()
    first, second = wire_dates.parse(text), wire_dates.parse(text)
    after = wire_dates.cache_info()
    assert first is second
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
    assert after.maxsize == wire_dates.CACHE_SIZE


def test_overlong_text_is_refused_before_the_cache() -> None:
    before = wire_dates.cache_info()
    assert wire_dates.parse("x" * (wire_dates.MAX_LENGTH + 1)) is None
    assert wire_dates.cache_info()[:2] == before[:2]  # neither a hit nor a miss


@settings(max_examples=300)
@given(
    st.text(max_size=40)
    | st.from_regex(r"([A-Z][a-z]{2}, )?[0-9]{1,3} [A-Z][a-z]{2,3} [0-9]{1,6} [0-9]{1,2}:[0-9]{2}( [+-][0-9]{4})?",
                    fullmatch=True)
)
def test_any_text_is_a_utc_moment_or_none(text: str) -> None:
    parsed = wire_dates.parse(text)
    if parsed is not None:
        assert parsed.utcoffset() == timedelta(0)
        assert wire_dates.FIRST_YEAR <= parsed.year <= wire_dates.LAST_YEAR


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9998, 12, 31)),
    st.integers(-14 * 60, 14 * 60),
    st.booleans(),
)
def test_the_fast_path_reads_twilios_form_as_dateutil_does(
    moment: datetime, offset_minutes: int, weekday: bool
) -> None:
    """The pattern that reads the common form before dateutil is asked agrees with dateutil on it."""
    zone = timedelta(minutes=offset_minutes)
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    text = moment.strftime("%d %b %Y %H:%M:%S") + f" {sign}{hours:02d}{minutes:02d}"
    if weekday:
        text = moment.strftime("%a, ") + text
    fast = wire_dates._canonical(text)
    assert fast is not None
    assert fast == wire_dates._rfc_style(text)
    assert fast == moment.replace(microsecond=0, tzinfo=UTC) - zone
