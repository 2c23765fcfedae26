"""Callback form -> ConferenceEvent: every documented field, and nothing but FormError on bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import MultiDict

from confmon.callbacks.events import FormError, parse_event
from confmon.model import ConferenceEvent, EventKind

CF, AC, CA, CA2 = "CF" + "b" * 32, "AC" + "a" * 32, "CA" + "c" * 32, "CA" + "d" * 32
BASE = {
    "ConferenceSid": CF,
    "FriendlyName": "MyRoom",
    "AccountSid": AC,
    "SequenceNumber": "3",
    "Timestamp": "Thu, 1 Jun 2017 20:48:32 +0000",
}
PARTICIPANT = {
    "CallSid": CA,
    "Muted": "true",
    "Hold": "false",
    "Coaching": "false",
    "EndConferenceOnExit": "false",
    "StartConferenceOnEnter": "true",
    "ParticipantLabel": "customer",
}


def form(kind: str, **fields: str) -> dict[str, str]:
    return {**BASE, "StatusCallbackEvent": kind, **fields}


def test_a_participant_event_carries_every_participant_field() -> None:
    event = parse_event(form("participant-mute", **PARTICIPANT))
    assert event == ConferenceEvent(
        kind=EventKind.PARTICIPANT_MUTE, conference_sid=CF, account_sid=AC, friendly_name="MyRoom",
        sequence_number=3, timestamp=datetime(2017, 6, 1, 20, 48, 32, tzinfo=UTC), call_sid=CA, muted=True,
        hold=False, coaching=False, end_conference_on_exit=False, start_conference_on_enter=True, label="customer",
    )


def test_conference_end_carries_why_and_who() -> None:
    event = parse_event(form(
        "conference-end", ReasonConferenceEnded="participant-with-end-conference-on-exit-left",
        CallSidEndingConference=CA2, ParticipantLabelEndingConference="host", Reason="Participant left",
    ))
    assert (event.kind, event.call_sid, event.muted) == (EventKind.CONFERENCE_END, None, None)
    assert event.reason_conference_ended == "participant-with-end-conference-on-exit-left"
    assert (event.call_sid_ending_conference, event.label_ending_conference) == (CA2, "host")
    assert event.reason == "Participant left"


def test_participant_leave_carries_why_it_left() -> None:
    event = parse_event(form(
        "participant-leave", **PARTICIPANT,
        ReasonParticipantLeft="participant_hung_up", ParticipantCallStatus="completed",
    ))
    assert (event.reason_participant_left, event.participant_call_status) == ("participant_hung_up", "completed")


def test_announcements_with_and_without_a_participant() -> None:
    room = parse_event(form("announcement-fail", AnnounceUrl="https://x.test/a.mp3", ReasonAnnouncementFailed="boom"))
    assert (room.call_sid, room.announce_url, room.reason_announcement_failed) == (None, "https://x.test/a.mp3", "boom")
    one = parse_event(form("announcement-end", CallSid=CA, AnnounceUrl="https://x.test/a.mp3"))
    assert one.call_sid == CA


@pytest.mark.parametrize("kind", list(EventKind))
def test_every_kind_parses(kind: EventKind) -> None:
    assert parse_event(form(kind.value, **PARTICIPANT)).kind is kind


def test_a_multidict_form_and_unknown_fields_are_fine() -> None:
    md = MultiDict(form("participant-join", **PARTICIPANT))
    md.add("SomethingTwilioAddedLater", "x")
    assert parse_event(md).kind is EventKind.PARTICIPANT_JOIN


def test_text_is_sanitized_at_the_boundary() -> None:
    event = parse_event(form("participant-join", **{**PARTICIPANT, "ParticipantLabel": "a\x1b[31mb\u202e"},
                             FriendlyName="x" * 500))
    assert "\x1b" not in event.label and "\u202e" not in event.label
    assert len(event.friendly_name) <= 128


def test_minus_zero_timestamps_are_utc_and_booleans_ignore_case() -> None:
    held = {**PARTICIPANT, "Hold": "TRUE"}
    event = parse_event(form("participant-hold", **held, Timestamp="Thu, 1 Jun 2017 20:48:32 -0000"))
    assert event.timestamp.tzinfo is not None and event.hold is True


@pytest.mark.parametrize(
    "bad",
    [
        {"StatusCallbackEvent": "participant-dance"},
        {"StatusCallbackEvent": ""},
        {"SequenceNumber": "-1"},
        {"SequenceNumber": "+1"},
        {"SequenceNumber": " 1"},
        {"SequenceNumber": "١"},
        {"SequenceNumber": "one"},
        {"Timestamp": "yesterday"},
        {"Timestamp": ""},
        {"Muted": "yes"},
        {"Hold": "1"},
        {"ConferenceSid": "CF/../../x"},
        {"ConferenceSid": "CF\x00"},
        {"CallSid": "CA b"},
        {"CallSidEndingConference": "?"},
    ],
)
def test_invalid_fields_are_form_errors(bad: dict[str, str]) -> None:
    with pytest.raises(FormError):
        parse_event({**form("participant-mute", **PARTICIPANT), **bad})


@pytest.mark.parametrize(
    "missing", ["StatusCallbackEvent", "ConferenceSid", "AccountSid", "SequenceNumber", "Timestamp", "CallSid"]
)
def test_missing_required_fields_are_form_errors(missing: str) -> None:
    fields = form("participant-mute", **PARTICIPANT)
    del fields[missing]
    with pytest.raises(FormError, match=missing):
        parse_event(fields)


def test_a_repeated_field_is_ambiguous() -> None:
    md = MultiDict(form("participant-mute", **PARTICIPANT))
    md.add("Muted", "false")
    with pytest.raises(FormError, match="Muted"):
        parse_event(md)


def test_form_error_is_a_value_error() -> None:
    assert issubclass(FormError, ValueError)


_names = st.sampled_from([
    *BASE, "StatusCallbackEvent", *PARTICIPANT,
    "ReasonConferenceEnded", "CallSidEndingConference", "AnnounceUrl", "Reason",
]) | st.text(max_size=10)
_dates = st.from_regex(
    r"([A-Z][a-z]{2}, )?[0-9]{1,3} [A-Z][a-z]{2} [0-9]{1,20} [0-9]{1,3}:[0-9]{1,3}(:[0-9]{1,3})?"
    r" ([+-][0-9]{1,20}|[A-Z]{1,3})?",
    fullmatch=True,
)
_values = st.sampled_from(
    [*BASE.values(), *PARTICIPANT.values(), *(k.value for k in EventKind), "", "-0000"]
) | st.text(max_size=40) | _dates
_anything = st.one_of(
    _values, st.integers(), st.none(), st.binary(max_size=5), st.lists(st.text(max_size=3), max_size=2)
)


@settings(max_examples=500)
@given(st.one_of(
    st.dictionaries(_names, _values, max_size=15),
    st.dictionaries(_names, _anything, max_size=15),
    st.lists(st.tuples(_names, _values), max_size=20).map(MultiDict),
    st.dictionaries(_names, _values).map(lambda extra: {**form("participant-mute", **PARTICIPANT), **extra}),
))
def test_arbitrary_forms_raise_only_form_error(data) -> None:
    try:
        event = parse_event(data)
    except FormError:
        return
    assert isinstance(event, ConferenceEvent) and event.sequence_number >= 0 and event.timestamp.tzinfo is not None
