"""The 2010-04-01 JSON dialect: Twilio's examples parse, hostile text is tamed, malformed bodies raise BadResponse."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from confmon.api import dialects
from confmon.api.dialects import ConferenceFilters, Page, ParticipantFilters, Request, WireError
from confmon.api.dialects import twilio2010 as d
from confmon.api.errors import BadResponse
from confmon.model import Conference, ConferenceStatus, Participant, ParticipantStatus, Unrecognized
from tests import reference

AC = "AC" + "a" * 32
CF = "CF" + "a" * 32
CA = "CA" + "a" * 32
CA2 = "CA" + "b" * 32
HOSTILE = "\x1b]0;PWNED\x07[@click=app.quit]"
SPEC = reference.OPENAPI

# Copied from the `examples` of twilio_api_v2010.json (twilio-oai 2.6.7), uri maps trimmed.
CONFERENCE_FETCH = {  # fetchValidMixerZone
    "account_sid": AC,
    "api_version": "2010-04-01",
    "date_created": "Fri, 18 Feb 2011 19:26:50 +0000",
    "date_updated": "Fri, 18 Feb 2011 19:27:33 +0000",
    "friendly_name": "AHH YEAH",
    "sid": CF,
    "region": "us1",
    "status": "completed",
    "subresource_uris": {"participants": f"/2010-04-01/Accounts/{AC}/Conferences/{CF}/Participants.json"},
    "uri": f"/2010-04-01/Accounts/{AC}/Conferences/{CF}.json",
    "reason_conference_ended": "last-participant-left",
    "call_sid_ending_conference": CA,
}
CONFERENCE_ENDED = {  # updateEndConference
    "account_sid": AC,
    "api_version": "2010-04-01",
    "date_created": "Mon, 22 Aug 2011 20:58:45 +0000",
    "date_updated": "Mon, 22 Aug 2011 20:58:46 +0000",
    "friendly_name": None,
    "region": "us1",
    "sid": CF,
    "status": "completed",
    "uri": f"/2010-04-01/Accounts/{AC}/Conferences/{CF}.json",
    "reason_conference_ended": "conference-ended-via-api",
    "call_sid_ending_conference": None,
}
PARTICIPANT_FETCH = {  # fetch
    "account_sid": AC,
    "call_sid": CA,
    "label": None,
    "conference_sid": CF,
    "date_created": "Fri, 18 Feb 2011 21:07:19 +0000",
    "date_updated": "Fri, 18 Feb 2011 21:07:19 +0000",
    "end_conference_on_exit": False,
    "muted": False,
    "hold": False,
    "status": "connected",
    "start_conference_on_enter": True,
    "coaching": True,
    "call_sid_to_coach": CA2,
    "queue_time": None,
    "uri": f"/2010-04-01/Accounts/{AC}/Conferences/{CF}/Participants/{CA}.json",
}
PAGE_URI = f"/2010-04-01/Accounts/{AC}/Conferences/{CF}/Participants.json?Muted=true&PageSize=2"
NEXT_PAGE = PAGE_URI + "&Page=1&PageToken=PACPbbbb"
PARTICIPANT_PAGE = {  # readFull
    "participants": [
        PARTICIPANT_FETCH | {"muted": True},
        PARTICIPANT_FETCH | {"call_sid": CA2, "muted": True, "coaching": False, "call_sid_to_coach": None},
    ],
    "first_page_uri": PAGE_URI + "&Page=0",
    "next_page_uri": NEXT_PAGE,
    "previous_page_uri": None,
    "uri": PAGE_URI + "&Page=0",
    "page": 0,
    "page_size": 2,
    "start": 0,
    "end": 1,
}
CONFERENCE_PAGE_EMPTY: dict[str, object] = {  # readEmpty
    "conferences": [],
    "first_page_uri": f"/2010-04-01/Accounts/{AC}/Conferences.json?Status=init&PageSize=50&Page=0",
    "next_page_uri": None,
    "previous_page_uri": None,
    "uri": f"/2010-04-01/Accounts/{AC}/Conferences.json?Status=init&PageSize=50&Page=0",
    "page": 0,
    "page_size": 50,
    "start": 0,
    "end": 0,
}


def body(value: object) -> bytes:
    return json.dumps(value).encode()


# Twilio's examples


def test_conference_example() -> None:
    room = d.parse_conference(body(CONFERENCE_FETCH))
    assert room == Conference(
        sid=CF,
        account_sid=AC,
        friendly_name="AHH YEAH",
        status=ConferenceStatus.COMPLETED,
        region="us1",
        date_created=datetime(2011, 2, 18, 19, 26, 50, tzinfo=UTC),
        date_updated=datetime(2011, 2, 18, 19, 27, 33, tzinfo=UTC),
        reason_conference_ended="last-participant-left",
        call_sid_ending_conference=CA,
    )


def test_ended_conference_with_null_name() -> None:
    room = d.parse_conference(body(CONFERENCE_ENDED))
    assert room.friendly_name == ""
    assert room.reason_conference_ended == "conference-ended-via-api"
    assert room.call_sid_ending_conference is None


def test_participant_example() -> None:
    assert d.parse_participant(body(PARTICIPANT_FETCH)) == Participant(
        call_sid=CA,
        conference_sid=CF,
        status=ParticipantStatus.CONNECTED,
        label=None,
        muted=False,
        hold=False,
        coaching=True,
        end_conference_on_exit=False,
        start_conference_on_enter=True,
        call_sid_to_coach=CA2,
        date_created=datetime(2011, 2, 18, 21, 7, 19, tzinfo=UTC),
        date_updated=datetime(2011, 2, 18, 21, 7, 19, tzinfo=UTC),
    )


def test_participant_page_keeps_next_page_uri() -> None:
    page = d.parse_participant_page(body(PARTICIPANT_PAGE))
    assert [p.call_sid for p in page.items] == [CA, CA2]
    assert all(p.muted for p in page.items)
    assert page.next_page_uri == NEXT_PAGE


def test_empty_conference_page() -> None:
    assert d.parse_conference_page(body(CONFERENCE_PAGE_EMPTY)) == Page(items=(), next_page_uri=None, number=0)


def _spec_examples(method: str, path_suffix: str) -> list[object]:
    spec = json.loads(SPEC.read_text())
    found = []
    for path, ops in spec["paths"].items():
        op = ops.get(method)
        if not path.endswith(path_suffix) or "Recordings" in path or op is None:
            continue
        for response in op["responses"].values():
            examples = response.get("content", {}).get("application/json", {}).get("examples", {})
            found += [example["value"] for example in examples.values()]
    return found


def test_every_example_in_the_spec_parses() -> None:
    for example in _spec_examples("get", "/Conferences.json"):
        assert isinstance(d.parse_conference_page(body(example)), Page)
    for method in ("get", "post"):
        for example in _spec_examples(method, "/Conferences/{Sid}.json"):
            assert isinstance(d.parse_conference(body(example)), Conference)
        for example in _spec_examples(method, "/Participants/{CallSid}.json"):
            assert isinstance(d.parse_participant(body(example)), Participant)
    for example in _spec_examples("get", "/Participants.json"):
        assert isinstance(d.parse_participant_page(body(example)), Page)
    for example in _spec_examples("post", "/Participants.json"):  # create: status "queued"
        assert d.parse_participant(body(example)).status is ParticipantStatus.QUEUED


def test_error_body() -> None:
    error = {
        "code": 20404,
        "message": f"The requested resource /2010-04-01/Accounts/{AC}/Conferences/{CF}.json was not found",
        "more_info": "https://www.twilio.com/docs/errors/20404",
        "status": 404,
    }
    parsed = d.parse_error(body(error))
    assert parsed.code == 20404
    assert parsed.message.startswith("The requested resource /2010-04-01/")
    assert len(parsed.message) == 128  # cut to one status-bar line
    assert d.parse_error(b"<html>502 Bad Gateway</html>") == WireError()
    assert d.parse_error(body({"code": "20404", "message": 7})) == WireError()
    assert d.parse_error(body({"code": 20003, "message": HOSTILE})).message == "\\x1b]0;PWNED\\x07[@click=app.quit]"


# The boundary: text is sanitized here, sids are checked here


def test_hostile_text_is_sanitized_at_the_boundary() -> None:
    room = d.parse_conference(body(CONFERENCE_FETCH | {"friendly_name": HOSTILE, "region": "\u202eus1"}))
    assert room.friendly_name == "\\x1b]0;PWNED\\x07[@click=app.quit]"  # visible, inert; markup is the faces' job
    assert room.region == "\\u202eus1"
    who = d.parse_participant(body(PARTICIPANT_FETCH | {"label": "eve\nroot\x00"}))
    assert who.label == "eve root\\x00"


def test_long_names_are_cut() -> None:
    room = d.parse_conference(body(CONFERENCE_FETCH | {"friendly_name": "x" * 500}))
    assert len(room.friendly_name) == 128
    assert room.friendly_name.endswith("…")


@pytest.mark.parametrize(
    "sid",
    [None, "", "CF123", "CA" + "a" * 32, CF + "\n", CF + "a", "CF" + "g" * 32, "../../Calls", 7],
)
def test_a_bad_conference_sid_is_a_bad_response(sid: object) -> None:
    with pytest.raises(BadResponse, match="sid"):
        d.parse_conference(body(CONFERENCE_FETCH | {"sid": sid}))


def test_paths_refuse_anything_but_a_sid() -> None:
    dialect = d.DIALECT
    path = f"/2010-04-01/Accounts/{AC}/Conferences/{CF}/Participants/{CA}.json"
    assert dialect.fetch_participant(AC, CF, CA) == Request("GET", path)
    for bad in ("../" + CF, CF + "\n", CF + "/x", CA, "CF" + "A" * 31):
        with pytest.raises(ValueError, match="not a CF sid"):
            dialect.fetch_conference(AC, bad)
    with pytest.raises(ValueError, match="not a CA sid"):
        dialect.fetch_participant(AC, CF, "customer")  # labels are accepted by Twilio, not by us


@pytest.mark.parametrize(
    "page_uri",
    ["https://evil.example/2010-04-01/x", "//evil.example/2010-04-01/x", "/a b", "/\\evil", "2010-04-01/x", 3],
)
def test_next_page_uri_must_stay_on_the_api_host(page_uri: object) -> None:
    with pytest.raises(BadResponse, match="next_page_uri"):
        d.parse_conference_page(body(CONFERENCE_PAGE_EMPTY | {"next_page_uri": page_uri}))


# Leniency, as documented in the module


def test_an_unknown_participant_status_is_kept_as_sent_never_read_as_connected() -> None:
    who = d.parse_participant(body(PARTICIPANT_FETCH | {"status": "warming-up"}))
    assert who.status == Unrecognized("warming-up") and str(who.status) == "warming-up"
    telnyx = dialects.get("telnyx")
    gone = telnyx.parse_participant_page(body({"participants": [PARTICIPANT_FETCH | {"status": "completed"}]}))
    assert gone.items[0].status == Unrecognized("completed") and not gone.problems
    hostile = d.parse_participant(body(PARTICIPANT_FETCH | {"status": "\x1b[31mred"}))
    assert str(hostile.status).isprintable()


def test_null_booleans_take_documented_defaults() -> None:
    nulls = dict.fromkeys(("muted", "hold", "end_conference_on_exit", "start_conference_on_enter", "coaching"))
    who = d.parse_participant(body(PARTICIPANT_FETCH | nulls))
    assert (who.muted, who.hold, who.end_conference_on_exit) == (False, False, False)
    assert who.start_conference_on_enter
    assert who.coaching is True  # defaults to true when call_sid_to_coach is set
    assert d.parse_participant(body(PARTICIPANT_FETCH | nulls | {"call_sid_to_coach": None})).coaching is False


def test_dates_without_offset_are_utc() -> None:
    room = d.parse_conference(body(CONFERENCE_FETCH | {"date_created": "Fri, 18 Feb 2011 19:26:50 -0000"}))
    assert room.date_created == datetime(2011, 2, 18, 19, 26, 50, tzinfo=UTC)


def page_of(*records: Mapping[str, object], key: str = "conferences") -> bytes:
    return body({key: list(records), "next_page_uri": None})


OTHER_ROOM = CONFERENCE_FETCH | {"sid": "CF" + "b" * 32, "friendly_name": "the other room"}


@pytest.mark.parametrize(
    ("change", "field", "read_as", "problem"),
    [
        ({"status": "paused"}, "status", Unrecognized("paused"), None),  # known-unknown: shown, not a problem
        ({"status": None}, "status", Unrecognized(""), "status is missing"),
        ({"status": 3}, "status", Unrecognized("3"), "status is not a string"),
        ({"date_created": "yesterday"}, "date_created", None, "date_created is not a date"),
        ({"date_created": 1298057210}, "date_created", None, "date_created is not a string"),
        ({"friendly_name": ["a"]}, "friendly_name", "", "friendly_name is not a string"),
        ({"friendly_name": 42}, "friendly_name", "42", None),
        ({"account_sid": None}, "account_sid", "", None),
        ({"call_sid_ending_conference": "not-a-call"}, "call_sid_ending_conference", None,
         "call_sid_ending_conference is not a CA sid"),
    ],
)  # fmt: skip
def test_an_unreadable_field_of_a_room_is_read_as_unknown_and_named(
    change: dict[str, object], field: str, read_as: object, problem: str | None
) -> None:
    page = d.parse_conference_page(page_of(CONFERENCE_FETCH | change, OTHER_ROOM))
    odd, other = page.items
    assert getattr(odd, field) == read_as
    assert other == d.parse_conference(body(OTHER_ROOM))  # the other record is read whole
    assert page.problems == ((f"conference {CF}: {problem}",) if problem else ())
    assert page.dropped == 0  # read in part is not dropped


@pytest.mark.parametrize(
    ("change", "problem", "may_be_known"),
    [
        ({"sid": None}, "conference #1 dropped: sid is missing", 1),  # no sid to name it by: its position
        ({"sid": ""}, "conference #1 dropped: sid is not a CF sid", 1),  # none sent: it may be any room
        # A sid sent that is no sid: no room read before can be this one.
        ({"sid": 42}, "conference #1 dropped: sid is not a CF sid", 0),
        ({"sid": "CF123"}, "conference CF123 dropped: sid is not a CF sid", 0),  # the sid it sent
        ({"sid": "CA" + "a" * 32}, f"conference CA{'a' * 32} dropped: sid is not a CF sid", 0),
        ({"sid": "\x1b[2J" + "9" * 60}, f"conference \\x1b[2J{'9' * 32}… dropped: sid is not a CF sid", 0),
    ],
)
def test_a_room_without_a_readable_sid_is_dropped_alone(
    change: dict[str, object], problem: str, may_be_known: int
) -> None:
    page = d.parse_conference_page(page_of(CONFERENCE_FETCH | change, OTHER_ROOM))
    assert [room.sid for room in page.items] == [OTHER_ROOM["sid"]]
    assert page.problems == (problem,) and page.dropped == may_be_known
    page = d.parse_conference_page(page_of(OTHER_ROOM, "not an object"))
    assert len(page.items) == 1 and page.problems == ("conference #2 dropped: expected an object",)
    assert page.dropped == 1


@pytest.mark.parametrize(
    ("change", "field", "read_as", "problem"),
    [
        ({"muted": "true"}, "muted", False, "muted is not a boolean"),
        ({"hold": 1}, "hold", False, "hold is not a boolean"),
        ({"status": 3}, "status", Unrecognized("3"), "status is not a string"),
        ({"conference_sid": None}, "conference_sid", CF, None),  # the room the request named
        ({"conference_sid": "x"}, "conference_sid", CF, "conference_sid is not a CF sid"),
        ({"label": {"a": 1}}, "label", None, "label is not a string"),
    ],
)
def test_an_unreadable_field_of_a_participant_is_read_as_unknown_and_named(
    change: dict[str, object], field: str, read_as: object, problem: str | None
) -> None:
    other = PARTICIPANT_FETCH | {"call_sid": "CA" + "e" * 32}
    page = d.parse_participant_page(page_of(PARTICIPANT_FETCH | change, other, key="participants"), CF)
    assert getattr(page.items[0], field) == read_as and page.items[1].call_sid == other["call_sid"]
    call = PARTICIPANT_FETCH["call_sid"]
    assert page.problems == ((f"participant {call}: {problem}",) if problem else ())


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b"[]", b"null", b"[" * 100_000, b'{"participants": {}}'])
def test_not_a_page(raw: bytes) -> None:
    with pytest.raises(BadResponse):
        d.parse_participant_page(raw)


# Request pieces


def test_conference_filters() -> None:
    filters = ConferenceFilters(
        status=ConferenceStatus.IN_PROGRESS,
        friendly_name="MyRoom",
        date_created=date(2009, 7, 6),
        date_created_before=date(2009, 7, 8),
        date_created_after=datetime(2009, 7, 1, 12, 30),
        page_size=1000,
    )
    assert d.DIALECT.list_conferences(AC, filters).params == {
        "PageSize": "1000",
        "Status": "in-progress",
        "FriendlyName": "MyRoom",
        "DateCreated": "2009-07-06",
        "DateCreated<": "2009-07-08",
        "DateCreated>": "2009-07-01",
    }
    for size in (0, 1001):
        with pytest.raises(ValueError, match="page_size"):
            d.DIALECT.list_conferences(AC, ConferenceFilters(page_size=size))


def test_participant_pieces() -> None:
    dialect = d.DIALECT
    listing = dialect.list_participants(AC, CF, ParticipantFilters(muted=True, coaching=False))
    assert listing.params == {"PageSize": "50", "Muted": "true", "Coaching": "false"}
    assert dialect.update_participant(AC, CF, CA, muted=False, hold=True).form == {"Muted": "false", "Hold": "true"}
    assert dialect.end_conference is not None
    assert dialect.end_conference(AC, CF).form == {"Status": "completed"}
    with pytest.raises(ValueError, match="nothing to update"):
        dialect.update_participant(AC, CF, CA)


# Totality: whatever arrives, a model object or BadResponse


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
date_like = st.sampled_from(
    ["Fri, 18 Feb 2011 19:26:50 +0000", "Fri, 31 Feb 2011 19:26:50 +0000", "0", "Mon, 1 Jan 99999 0:0:0 +9999", ""]
)
sid_like = st.sampled_from([CF, CA, AC, "CF", "", "CF" + "a" * 33]) | st.text(max_size=36)


def _texts(result: object) -> list[str | None]:
    if isinstance(result, Page):
        return [text for item in result.items for text in _texts(item)]
    if isinstance(result, Conference):
        return [result.friendly_name, result.region, result.reason_conference_ended]
    assert isinstance(result, Participant)
    return [result.label]


def _is_total(parse: Callable[[bytes], object], raw: bytes) -> None:
    """`parse` returns a model object with only printable text, or raises BadResponse; nothing else."""
    try:
        result = parse(raw)
    except BadResponse:
        return
    assert all(text is None or text.isprintable() for text in _texts(result))


@given(json_values)
def test_any_json_value_parses_or_is_a_bad_response(value: object) -> None:
    raw = body(value)
    for parse in (d.parse_conference, d.parse_participant, d.parse_conference_page, d.parse_participant_page):
        _is_total(parse, raw)
    assert isinstance(d.parse_error(raw), WireError)


@given(st.binary(max_size=64))
def test_any_bytes_parse_or_are_a_bad_response(raw: bytes) -> None:
    for parse in (d.parse_conference, d.parse_conference_page):
        _is_total(parse, raw)
    assert isinstance(d.parse_error(raw), WireError)


def _mutations(valid: Mapping[str, object]) -> st.SearchStrategy[dict[str, object]]:
    keys = st.sampled_from(sorted(valid))
    replace = st.tuples(keys, json_values | date_like | sid_like | st.text())
    drop = st.tuples(keys, st.just(...))

    def apply(changes: list[tuple[str, object]]) -> dict[str, object]:
        mutated = copy.deepcopy(dict(valid))
        for key, value in changes:
            if value is ...:
                mutated.pop(key, None)
            else:
                mutated[key] = value
        return mutated

    return st.lists(replace | drop, min_size=1, max_size=4).map(apply)


@given(_mutations(CONFERENCE_FETCH))
def test_mutated_conference_parses_or_is_a_bad_response(mutated: dict[str, object]) -> None:
    _is_total(d.parse_conference, body(mutated))


@given(_mutations(PARTICIPANT_FETCH))
def test_mutated_participant_parses_or_is_a_bad_response(mutated: dict[str, object]) -> None:
    _is_total(d.parse_participant, body(mutated))


@given(st.lists(_mutations(CONFERENCE_FETCH), max_size=3), st.none() | st.text(max_size=20) | st.just(NEXT_PAGE))
def test_mutated_page_parses_or_is_a_bad_response(rooms: list[dict[str, object]], next_uri: str | None) -> None:
    _is_total(d.parse_conference_page, body({"conferences": rooms, "next_page_uri": next_uri}))
