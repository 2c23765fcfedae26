"""The Calls instance in every dialect, without a server: the request each builds, the documented bodies
each reads, and tolerance. A call is one object, so a missing or unreadable sid is a BadResponse; any
other field that is missing, empty or odd is read as unknown (None), never an error; text is made safe."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from confmon.api import dialects
from confmon.api.dialects import Request
from confmon.api.errors import BadResponse, InvalidRequest
from confmon.model import Call
from tests.test_dialect_totality import HOSTILE, SETTINGS, is_total, mutations

AC = "AC" + "a" * 32
CA = "CA" + "c" * 32
RC_CALL = "ID" + "1" * 32 + "-CA" + "2" * 32
UUID = "6dc6cc1a-1ba1-4351-86b8-4c22c95cd98f"
V3 = "v3:KBnLO0ZK3DhKM5s7bE9VluaSmKsOchKht_fUYvxcp8ysbmzCCtpkmA"

# Twilio's OpenAPI example of a fetched call (twilio-oai, api.v2010.account.call), trimmed.
TWILIO_JSON = {
    "account_sid": AC, "answered_by": "machine_start", "api_version": "2010-04-01", "caller_name": "callerid",
    "date_created": "Fri, 18 Oct 2019 17:00:00 +0000", "direction": "outbound-api", "duration": "4",
    "from": "+13051416799", "from_formatted": "(305) 141-6799", "parent_call_sid": "CA" + "de" * 16,
    "sid": CA, "status": "completed", "to": "+13051913581", "to_formatted": "(305) 191-3581", "queue_time": "1000",
    "subresource_uris": {"recordings": f"/2010-04-01/Accounts/{AC}/Calls/{CA}/Recordings.json"},
}  # fmt: skip
TWILIO_CALL = Call(CA, "+13051416799", "+13051913581", "callerid", "outbound-api")
TWILIO_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<TwilioResponse><Call><Sid>{CA}</Sid><ParentCallSid/><AccountSid>{AC}</AccountSid><To>+13051913581</To>
<ToFormatted>(305) 191-3581</ToFormatted><From>+13051416799</From><PhoneNumberSid/><Status>completed</Status>
<Direction>outbound-api</Direction><AnsweredBy/><CallerName>callerid</CallerName>
<SubresourceUris><Recordings>/2010-04-01/Accounts/{AC}/Calls/{CA}/Recordings</Recordings></SubresourceUris>
</Call></TwilioResponse>""".encode()
# Twilio's 2008 Calls page, its instance example.
CA_2008 = "CA42ed11f93dc08b952027ffbc406d0868"
TWILIO_2008 = b"""<TwilioResponse>
  <Call>
    <Sid>CA42ed11f93dc08b952027ffbc406d0868</Sid>
    <DateCreated>Sat, 07 Feb 2009 13:15:19 -0800</DateCreated>
    <DateUpdated>Sat, 07 Feb 2009 13:15:19 -0800</DateUpdated>
    <CallSegmentSid/>
    <AccountSid>AC309475e5fede1b49e100272a8640f438</AccountSid>
    <Called>4159633717</Called>
    <Caller>4156767925</Caller>
    <PhoneNumberSid>PN01234567890123456789012345678900</PhoneNumberSid>
    <Status>2</Status>
    <StartTime>Thu, 03 Apr 2008 04:36:33 -0400</StartTime>
    <EndTime>Thu, 03 Apr 2008 04:36:47 -0400</EndTime>
    <Duration>14</Duration>
    <Price/>
    <Flags>1</Flags>
  </Call>
</TwilioResponse>"""
# RestComm's CallDetailRecordConverter members (reference §1.4), JSON and XML.
RESTCOMM_JSON = {
    "sid": RC_CALL, "InstanceId": "ID" + "1" * 32, "date_created": "Wed, 1 Mar 2017 10:10:57 +0000",
    "account_sid": AC, "to": "+18005550164", "from": "alice", "status": "in-progress", "duration": 0,
    "direction": "inbound", "api_version": "2012-04-24", "caller_name": "Alice",
}  # fmt: skip
RESTCOMM_XML = f"""<RestcommResponse><Call><Sid>{RC_CALL}</Sid><AccountSid>{AC}</AccountSid><To>+18005550164</To>
<From>alice</From><Status>in-progress</Status><Direction>inbound</Direction><CallerName>Alice</CallerName>
</Call></RestcommResponse>""".encode()
RESTCOMM_CALL = Call(RC_CALL, "alice", "+18005550164", "Alice", "inbound")
# Telnyx's "Fetch a call" example.
TELNYX_JSON = {
    "account_sid": "61bf923e-5e4d-4595-a110-56190ea18a1b", "answered_by": "human", "caller_name": "+13122010094",
    "date_created": "Thu, 15 Jun 2023 09:56:45 +0000", "date_updated": "Thu, 15 Jun 2023 09:56:56 +0000",
    "direction": "inbound", "duration": "11", "end_time": "Thu, 15 Jun 2023 09:56:56 +0000",
    "from": "+13123456789", "from_formatted": "(312) 345-6789", "sid": V3,
    "start_time": "Thu, 15 Jun 2023 09:56:45 +0000", "status": "completed", "to": "+13987654321",
    "to_formatted": "(398) 765-4321", "uri": f"/v2/texml/Accounts/61bf923e-5e4d-4595-a110-56190ea18a1b/Calls/{V3}.json",
}  # fmt: skip
TELNYX_CALL = Call(V3, "+13123456789", "+13987654321", "+13122010094", "inbound")

DOCUMENTED = [
    ("twilio2010", json.dumps(TWILIO_JSON).encode(), TWILIO_CALL),
    ("twilio2010-xml", TWILIO_XML, TWILIO_CALL),
    ("twilio2008", TWILIO_2008, Call(CA_2008, "4156767925", "4159633717", None, "inbound")),
    ("restcomm", json.dumps(RESTCOMM_JSON).encode(), RESTCOMM_CALL),
    ("restcomm", RESTCOMM_XML, RESTCOMM_CALL),  # whichever format the server chose
    ("signalwire", json.dumps(TWILIO_JSON | {"sid": UUID}).encode(), dataclasses.replace(TWILIO_CALL, sid=UUID)),
    ("telnyx", json.dumps(TELNYX_JSON).encode(), TELNYX_CALL),
]


@pytest.mark.parametrize(
    ("name", "body", "expected"), DOCUMENTED, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(DOCUMENTED)]
)
def test_documented_calls_are_read(name: str, body: bytes, expected: Call) -> None:
    assert dialects.get(name).parse_call(body) == expected


PATHS = {
    "twilio2010": f"/2010-04-01/Accounts/{AC}/Calls/{CA}.json",
    "twilio2010-xml": f"/2010-04-01/Accounts/{AC}/Calls/{CA}",
    "twilio2008": f"/2008-08-01/Accounts/{AC}/Calls/{CA}",
    "restcomm": f"/restcomm/2012-04-24/Accounts/{AC}/Calls/{RC_CALL}.json",
    "signalwire": f"/api/laml/2010-04-01/Accounts/{UUID}/Calls/{UUID}.json",
    "telnyx": f"/v2/texml/Accounts/{UUID}/Calls/v3%3Aabc_Def-12",  # the colon quoted
}
IDS = {"restcomm": (AC, RC_CALL), "signalwire": (UUID, UUID), "telnyx": (UUID, "v3:abc_Def-12")}


@pytest.mark.parametrize("name", list(dialects.NAMES))
def test_the_request_is_one_idempotent_get_of_the_calls_instance(name: str) -> None:
    assert dialects.get(name).fetch_call(*IDS.get(name, (AC, CA))) == Request.get(PATHS[name])


@pytest.mark.parametrize("name", list(dialects.NAMES))
def test_an_id_that_is_no_call_id_is_refused(name: str) -> None:
    d = dialects.get(name)
    account = IDS.get(name, (AC, CA))[0]
    for bad in ("..", "", " CA1"):
        with pytest.raises(InvalidRequest):
            d.fetch_call(account, bad)
    if name not in IDS:  # Twilio's shape: CA and 32 hex digits
        for bad in ("CA123", "CF" + "c" * 32, CA + "\n"):
            with pytest.raises(InvalidRequest):
                d.fetch_call(account, bad)


# Tolerance, in JSON (the 2010 family and RestComm) and XML (2010 XML, 2008, RestComm)

JSON_DIALECTS = ["twilio2010", "signalwire", "telnyx", "restcomm"]
SIDS = {"twilio2010": CA, "signalwire": UUID, "telnyx": V3, "restcomm": RC_CALL}


@pytest.mark.parametrize("name", JSON_DIALECTS)
@pytest.mark.parametrize("odd", [None, "", [], {}, True, ["+1"], {"number": "+1"}])
def test_odd_fields_are_unknown_not_errors(name: str, odd: object) -> None:
    body = {"sid": SIDS[name], "from": odd, "to": odd, "caller_name": odd, "direction": odd, "status": odd,
            "start_time": odd, "brand_new_field": {"x": [1]}}  # fmt: skip
    assert dialects.get(name).parse_call(json.dumps(body).encode()) == Call(SIDS[name])


@pytest.mark.parametrize("name", JSON_DIALECTS)
def test_only_the_sid_is_needed(name: str) -> None:
    d = dialects.get(name)
    assert d.parse_call(json.dumps({"sid": SIDS[name]}).encode()) == Call(SIDS[name])
    numbered = d.parse_call(json.dumps({"sid": SIDS[name], "from": 14155550181, "to": 18005550164}).encode())
    assert (numbered.from_number, numbered.to_number) == ("14155550181", "18005550164")  # a number sent as one


@pytest.mark.parametrize("name", JSON_DIALECTS)
@pytest.mark.parametrize("sid", [None, "", 17, ["CA"], "CF" + "c" * 32, "not a sid\u0000", "x" * 300])
def test_a_call_without_a_readable_sid_is_a_bad_response(name: str, sid: object) -> None:
    d = dialects.get(name)
    body = {"from": "+14155550181", "to": "+18005550164"} | ({} if sid is None else {"sid": sid})
    if name in ("signalwire", "telnyx") and sid == "CF" + "c" * 32:
        return  # opaque ids: any printable text is a call id there
    with pytest.raises(BadResponse):
        d.parse_call(json.dumps(body).encode())


@pytest.mark.parametrize("name", list(dialects.NAMES))
@pytest.mark.parametrize(
    "body", [b"", b"[]", b"null", b"<html><body>Bad gateway</body></html>", b"{", b"<TwilioResponse/>", b"\xff\xfe"]
)
def test_a_body_that_is_no_call_is_a_bad_response(name: str, body: bytes) -> None:
    with pytest.raises(BadResponse):
        dialects.get(name).parse_call(body)


@pytest.mark.parametrize(
    ("flags", "direction"),
    [("1", "inbound"), ("2", "outbound-api"), ("4", "outbound-dial"), ("6", "outbound-dial"), ("3", "inbound"),
     (" 2 ", "outbound-api"), ("0", None), ("-1", None), ("8", None), ("inbound", None), ("", None)],
)  # fmt: skip
def test_2008_reads_the_direction_from_its_flags(flags: str, direction: str | None) -> None:
    body = TWILIO_2008.replace(b"<Flags>1</Flags>", f"<Flags>{flags}</Flags>".encode())
    assert dialects.get("twilio2008").parse_call(body).direction == direction


def test_xml_calls_with_empty_or_missing_elements_read_as_unknown() -> None:
    empty = f"<TwilioResponse><Call><Sid>{CA}</Sid><From/><To></To><CallerName> </CallerName></Call></TwilioResponse>"
    assert dialects.get("twilio2010-xml").parse_call(empty.encode()) == Call(CA)
    nested = f"<TwilioResponse><Call><Sid>{CA}</Sid><From><Number>1</Number></From></Call></TwilioResponse>"
    assert dialects.get("twilio2010-xml").parse_call(nested.encode()) == Call(CA)
    bare = f"<TwilioResponse><Call><Sid>{CA}</Sid></Call></TwilioResponse>".encode()
    assert dialects.get("twilio2008").parse_call(bare) == Call(CA)
    assert dialects.get("restcomm").parse_call(bare.replace(b"TwilioResponse", b"RestcommResponse")) == Call(CA)
    participant = TWILIO_XML.replace(b"Call>", b"Participant>")
    with pytest.raises(BadResponse):  # a participant is not a call
        dialects.get("twilio2010-xml").parse_call(participant)


@pytest.mark.parametrize("name", JSON_DIALECTS)
@given(text=HOSTILE)
def test_wire_text_is_made_safe(name: str, text: str) -> None:
    body = {"sid": SIDS[name], "from": text, "to": text, "caller_name": text, "direction": text}
    call = dialects.get(name).parse_call(json.dumps(body).encode())
    for value in (call.from_number, call.to_number, call.caller_name, call.direction):
        assert value is not None and value.isprintable() and len(value) <= 128


CALL_BODIES = {
    "twilio2010": TWILIO_JSON,
    "signalwire": TWILIO_JSON | {"sid": UUID},
    "telnyx": TELNYX_JSON,
    "restcomm": RESTCOMM_JSON,
}


@pytest.mark.parametrize("name", JSON_DIALECTS)
@SETTINGS
@given(data=st.data())
def test_mutated_calls_parse_totally(name: str, data: st.DataObject) -> None:
    mutated = data.draw(mutations(CALL_BODIES[name]))
    is_total(dialects.get(name).parse_call, json.dumps(mutated).encode())
