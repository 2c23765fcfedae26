"""Parsing is total, for every parser of every dialect: arbitrary bytes, arbitrary JSON, and valid bodies
mutated (fields replaced or dropped, XML text swapped, bytes spliced) give a model object whose every
string is printable, or BadResponse; never another exception. Error bodies never raise at all."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from confmon.api import dialects
from confmon.api.dialects import Dialect, Page, WireError
from confmon.api.errors import BadResponse
from tests import reference

DATA = reference.SEED_EXAMPLES
AC = "AC" + "a" * 32
CF = "CF" + "b" * 32
CA = "CA" + "c" * 32
RC_CALL = "ID" + "1" * 32 + "-CA" + "2" * 32

ALL = [dialects.get(name) for name in dialects.NAMES]
JSON_DIALECTS = [d for d in ALL if d.MEDIA_TYPE == "application/json"]
XML_DIALECTS = [dialects.get("twilio2010-xml"), dialects.get("twilio2008"), dialects.get("restcomm")]

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parsers(d: Dialect) -> list[Callable[[bytes], object]]:
    return [
        d.parse_conference,
        d.parse_conference_page,
        d.parse_participant,
        lambda body: d.parse_participant(body, CF),
        d.parse_participant_page,
        lambda body: d.parse_participant_page(body, CF),
        lambda body: d.parse_recording_page(body, CF),
        d.parse_call,
    ]


def strings(value: object) -> list[str]:
    if isinstance(value, Page):
        return [text for item in value.items for text in strings(item)]
    assert dataclasses.is_dataclass(value)
    return [v for v in dataclasses.asdict(value).values() if isinstance(v, str)]


def is_total(parse: Callable[[bytes], object], raw: bytes) -> None:
    try:
        result = parse(raw)
    except BadResponse:
        return
    assert all(text.isprintable() for text in strings(result)), result


def all_total(d: Dialect, raw: bytes) -> None:
    for parse in parsers(d):
        is_total(parse, raw)
    assert isinstance(d.parse_error(raw), WireError)


# Arbitrary input


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=16,
)


@pytest.mark.parametrize("dialect", ALL, ids=dialects.NAMES)
@SETTINGS
@given(raw=st.binary(max_size=200))
def test_any_bytes(dialect: Dialect, raw: bytes) -> None:
    all_total(dialect, raw)


@pytest.mark.parametrize("dialect", ALL, ids=dialects.NAMES)
@SETTINGS
@given(value=json_values)
def test_any_json(dialect: Dialect, value: object) -> None:
    all_total(dialect, json.dumps(value).encode())


xml_names = st.sampled_from(
    ["TwilioResponse", "RestcommResponse", "object", "Conference", "Conferences", "Participant", "Participants",
     "Call", "Calls", "Recording", "Recordings", "Sid", "CallSid", "Status", "Muted", "RestException", "Message"]
)


@st.composite
def xml_trees(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(xml_names)
    attribute_names = st.sampled_from(["page", "numpages", "nextpageuri", "class"])
    attrs = draw(st.dictionaries(attribute_names, st.text(max_size=8), max_size=2))
    inner = "" if depth >= 3 else "".join(draw(st.lists(xml_trees(depth + 1), max_size=3)))
    text = escape(draw(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=10)))
    attributes = "".join(f' {k}="{escape(v, {chr(34): "&quot;"})}"' for k, v in attrs.items())
    return f"<{tag}{attributes}>{text}{inner}</{tag}>"


@pytest.mark.parametrize("dialect", ALL, ids=dialects.NAMES)
@SETTINGS
@given(tree=xml_trees())
def test_any_xml_shaped_like_the_apis(dialect: Dialect, tree: str) -> None:
    all_total(dialect, tree.encode())


# Valid bodies, mutated


def twilio_room(sid: str = CF, account: str = AC) -> dict[str, object]:
    return {
        "sid": sid, "account_sid": account, "friendly_name": "AHH YEAH", "status": "in-progress", "region": "us1",
        "date_created": "Fri, 18 Feb 2011 19:26:50 +0000", "date_updated": "Fri, 18 Feb 2011 19:27:33 +0000",
        "reason_conference_ended": None, "call_sid_ending_conference": None,
    }


def twilio_member(call: str = CA, room: str = CF, account: str = AC) -> dict[str, object]:
    return {
        "account_sid": account, "call_sid": call, "conference_sid": room, "label": "host", "muted": False,
        "hold": False, "coaching": False, "call_sid_to_coach": None, "status": "connected",
        "start_conference_on_enter": True, "end_conference_on_exit": False,
        "date_created": "Fri, 18 Feb 2011 21:07:19 +0000", "date_updated": "Fri, 18 Feb 2011 21:07:19 +0000",
    }


def twilio_recording(room: str = CF) -> dict[str, object]:
    return {
        "sid": "RE" + "d" * 32, "conference_sid": room, "status": "completed", "duration": "12", "channels": 1,
        "date_created": "Fri, 18 Feb 2011 21:07:19 +0000", "start_time": "Fri, 18 Feb 2011 21:07:19 +0000",
    }


def restcomm_room() -> dict[str, object]:
    return twilio_room() | {"status": "RUNNING_MODERATOR_ABSENT", "next_page_uri": "null"}


def restcomm_member() -> dict[str, object]:
    return {
        "sid": RC_CALL, "conference_sid": RC_CALL, "account_sid": AC, "muted": True, "hold": False,
        "start_conference_on_enter": True, "end_conference_on_enter": False,
        "date_created": "Wed, 1 Mar 2017 10:10:57 +0000", "date_updated": "null",
    }


UUID = "6dc6cc1a-1ba1-4351-86b8-4c22c95cd98f"
VALID_JSON: dict[str, list[tuple[str, dict[str, object]]]] = {
    # dialect -> [(what, object)]; pages are made of these
    "twilio2010": [("room", twilio_room()), ("member", twilio_member()), ("recording", twilio_recording())],
    "signalwire": [
        ("room", twilio_room(UUID, UUID)), ("member", twilio_member(UUID, UUID, UUID)),
        ("recording", twilio_recording(UUID) | {"sid": UUID}),
    ],
    "telnyx": [
        ("room", twilio_room(UUID, UUID)), ("member", twilio_member("v3:abc_Def-12", UUID, UUID)),
        ("recording", twilio_recording(UUID) | {"sid": UUID}),
    ],
    "restcomm": [("room", restcomm_room()), ("member", restcomm_member())],
}
LIST_KEYS = {"room": "conferences", "member": "participants", "recording": "recordings"}


HOSTILE = st.sampled_from(["\x1b]0;PWNED\x07", "\u202eevil", "a\nb", "nul\x00", "\x9b2J", "x" * 300, "\ud800"])
WIRE_WORDS = st.sampled_from(["null", "", "true", "1", "-1", CF, CA, RC_CALL, UUID, "Sept 2018"])


def mutations(valid: Mapping[str, object]) -> st.SearchStrategy[dict[str, object]]:
    keys = st.sampled_from(sorted(valid))
    replace = st.tuples(keys, HOSTILE | WIRE_WORDS | json_values)
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


JSON_CASES = [(name, what, obj) for name, cases in VALID_JSON.items() for what, obj in cases]


@pytest.mark.parametrize(("name", "what", "valid"), JSON_CASES, ids=[f"{n}-{w}" for n, w, _ in JSON_CASES])
def test_the_valid_json_bodies_parse(name: str, what: str, valid: dict[str, object]) -> None:
    d = dialects.get(name)
    key = "calls" if name == "restcomm" and what == "member" else LIST_KEYS[what]
    page = {key: [valid], "next_page_uri": None}
    if what == "room":
        assert d.parse_conference(json.dumps(valid).encode()).sid == valid["sid"]
        assert len(d.parse_conference_page(json.dumps(page).encode()).items) == 1
    elif what == "member":
        assert d.parse_participant(json.dumps(valid).encode(), CF).conference_sid in (CF, UUID)
        assert len(d.parse_participant_page(json.dumps(page).encode(), CF).items) == 1
    else:
        assert len(d.parse_recording_page(json.dumps(page).encode(), CF).items) == 1


@pytest.mark.parametrize(("name", "what", "valid"), JSON_CASES, ids=[f"{n}-{w}" for n, w, _ in JSON_CASES])
@SETTINGS
@given(data=st.data())
def test_mutated_json_bodies(name: str, what: str, valid: dict[str, object], data: st.DataObject) -> None:
    d = dialects.get(name)
    mutated = data.draw(mutations(valid))
    key = "calls" if name == "restcomm" and what == "member" else LIST_KEYS[what]
    next_uri = data.draw(st.none() | st.text(max_size=20) | st.just("/2010-04-01/x?Page=1") | st.just("null"))
    all_total(d, json.dumps(mutated).encode())
    all_total(d, json.dumps({key: [mutated, valid], "next_page_uri": next_uri, "page": mutated.get("sid")}).encode())


XML_CASES = [
    (dialects.get("twilio2008" if path.name.startswith("2008") else "twilio2010-xml"), path.read_bytes())
    for path in sorted(DATA.glob("*.xml"))
] + [
    (dialects.get("restcomm"), (reference.DATA / name).read_bytes())
    for name in ("restcomm_conference.xml", "restcomm_participants.xml")
]
_TEXT = re.compile(rb">([^<]*)<")
_LEAF = re.compile(rb"<(\w+)>[^<]*</\1>")
_ATTRIBUTE = re.compile(rb'="[^"]*"')


@st.composite
def xml_mutations(draw: st.DrawFn, valid: bytes) -> bytes:
    body = valid
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["text", "leaf", "attribute", "splice"]))
        if kind == "text" and (spans := list(_TEXT.finditer(body))):
            span = draw(st.sampled_from(spans))
            words = st.sampled_from(["", "null", "1", "2", "true", "yes", CF, RC_CALL, "&#x9b;2J", "&#x202e;x"])
            new = escape(draw(st.text(max_size=20) | HOSTILE)).replace("&amp;#x", "&#x")
            new_bytes = (draw(words) if draw(st.booleans()) else new).encode("utf-8", "replace")
            body = body[: span.start(1)] + new_bytes + body[span.end(1):]
        elif kind == "leaf" and (leaves := list(_LEAF.finditer(body))):
            leaf = draw(st.sampled_from(leaves))
            body = body[: leaf.start()] + body[leaf.end():]
        elif kind == "attribute" and (attributes := list(_ATTRIBUTE.finditer(body))):
            attribute = draw(st.sampled_from(attributes))
            value = draw(st.sampled_from([b'=""', b'="null"', b'="-1"', b'="99999999999"', b'="//evil/x"', b"=true"]))
            body = body[: attribute.start()] + value + body[attribute.end():]
        else:
            at = draw(st.integers(0, len(body)))
            cut = draw(st.integers(0, 8))
            body = body[:at] + draw(st.binary(max_size=8)) + body[at + cut:]
    return body


@pytest.mark.parametrize(("dialect", "valid"), XML_CASES, ids=[f"xml{i}" for i in range(len(XML_CASES))])
@SETTINGS
@given(data=st.data())
def test_mutated_xml_bodies(dialect: Dialect, valid: bytes, data: st.DataObject) -> None:
    all_total(dialect, data.draw(xml_mutations(valid)))


@pytest.mark.parametrize("dialect", ALL, ids=dialects.NAMES)
@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,
        b'{"a":' * 50_000,
        b"<TwilioResponse><Conference>" + b"<a>" * 50_000 + b"</a>" * 50_000 + b"</Conference></TwilioResponse>",
        b"<RestcommResponse><object><Calls>" + b"<Call>" * 50_000 + b"</Call>" * 50_000
        + b"</Calls></object></RestcommResponse>",
        b"<a>" * 100_000 + b"</a>" * 100_000,
    ],
    ids=["json-array", "json-object", "xml-in-a-conference", "xml-in-a-list", "xml"],
)
def test_deep_nesting(dialect: Dialect, raw: bytes) -> None:
    all_total(dialect, raw)
