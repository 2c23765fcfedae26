"""Bodies beyond the seeds: RestComm's JSON and XML as its converters write them (reference §1.3-1.5),
Twilio's XML, recordings, error bodies of every dialect, and the trust boundary on each."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from confmon.api import dialects
from confmon.api.dialects import Page, WireError
from confmon.api.errors import BadResponse
from confmon.model import Conference, ConferenceStatus, Participant, ParticipantStatus, Recording, Unrecognized

AC = "ACae6e420f425248d6a26948c17a9e2acf"
CF = "CFcc373b0637114f088eae954fa73f0f57"
CALL = "ID8deb35fc5121429fa96635aebe3976d2-CA6d61e3877f3c47828a26efc498a9e8f9"
PARENT = "ID8deb35fc5121429fa96635aebe3976d2-CA00000000000000000000000000000000"
HOSTILE = "\x1b]0;PWNED\x07[@click=app.quit]"

RESTCOMM = dialects.get("restcomm")
TWILIO_XML = dialects.get("twilio2010-xml")
TWILIO2008 = dialects.get("twilio2008")
TELNYX = dialects.get("telnyx")


def restcomm_room(status: str = "RUNNING_MODERATOR_PRESENT", **extra: object) -> dict[str, object]:
    return {
        "sid": CF,
        "date_created": "Wed, 15 Mar 2017 10:10:57 +0000",
        "date_updated": "Wed, 1 Mar 2017 10:15:33 +0000",  # SimpleDateFormat "d": no leading zero
        "account_sid": AC,
        "status": status,
        "api_version": "2012-04-24",
        "friendly_name": "1111",
        "uri": f"/2012-04-24/Accounts/{AC}/Conferences/{CF}.json",
        "subresource_uris": {"participants": f"/2012-04-24/Accounts/{AC}/Conferences/{CF}/Participants.json"},
    } | extra


def restcomm_call(**extra: object) -> dict[str, object]:
    return {
        "sid": CALL,
        "conference_sid": PARENT,  # the converter's bug: the parent call, not the room
        "date_created": "Wed, 15 Mar 2017 10:10:57 +0000",
        "date_updated": "Wed, 15 Mar 2017 10:12:00 +0000",
        "account_sid": AC,
        "muted": True,
        "hold": False,
        "start_conference_on_enter": True,
        "end_conference_on_enter": True,  # (sic): end on exit
        "uri": f"/2012-04-24/Accounts/{AC}/Calls/{CALL}.json",
    } | extra


ROOM = Conference(
    sid=CF,
    account_sid=AC,
    friendly_name="1111",
    status=ConferenceStatus.IN_PROGRESS,
    date_created=datetime(2017, 3, 15, 10, 10, 57, tzinfo=UTC),
    date_updated=datetime(2017, 3, 1, 10, 15, 33, tzinfo=UTC),
    moderator_present=True,
)
CALLER = Participant(
    call_sid=CALL,
    conference_sid=CF,
    status=ParticipantStatus.CONNECTED,
    muted=True,
    hold=False,
    end_conference_on_exit=True,
    start_conference_on_enter=True,
    date_created=datetime(2017, 3, 15, 10, 10, 57, tzinfo=UTC),
    date_updated=datetime(2017, 3, 15, 10, 12, tzinfo=UTC),
)

XML_ROOM = f"""<RestcommResponse>
  <object class="org.restcomm.connect.dao.entities.ConferenceDetailRecord">
    <Conference><Sid>{CF}</Sid><DateCreated>Wed, 15 Mar 2017 10:10:57 +0000</DateCreated>
      <DateUpdated>Wed, 1 Mar 2017 10:15:33 +0000</DateUpdated><AccountSid>{AC}</AccountSid>
      <Status>RUNNING_MODERATOR_PRESENT</Status><ApiVersion>2012-04-24</ApiVersion><FriendlyName>1111</FriendlyName>
      <Uri>/2012-04-24/Accounts/{AC}/Conferences/{CF}</Uri>
      <SubresourceUris><Participants>/2012-04-24/Accounts/{AC}/Conferences/{CF}/Participants</Participants></SubresourceUris>
    </Conference>
  </object>
</RestcommResponse>"""
XML_CALL = f"""<Call><Sid>{CALL}</Sid><ConferenceSid>{CF}</ConferenceSid>
<DateCreated>Wed, 15 Mar 2017 10:10:57 +0000</DateCreated><DateUpdated>Wed, 15 Mar 2017 10:12:00 +0000</DateUpdated>
<AccountSid>{AC}</AccountSid><Muted>true</Muted><Hold>false</Hold>
<StartConferenceOnEnter>true</StartConferenceOnEnter><EndConferenceOnEnter>true</EndConferenceOnEnter>
<Uri>/2012-04-24/Accounts/{AC}/Calls/{CALL}</Uri></Call>"""


def js(value: object) -> bytes:
    return json.dumps(value).encode()


# RestComm


@pytest.mark.parametrize(
    ("wire", "status", "moderator"),
    [
        ("RUNNING_INITIALIZING", ConferenceStatus.INIT, None),
        ("RUNNING_MODERATOR_ABSENT", ConferenceStatus.IN_PROGRESS, False),
        ("RUNNING_MODERATOR_PRESENT", ConferenceStatus.IN_PROGRESS, True),
        ("COMPLETED", ConferenceStatus.COMPLETED, None),
        ("STOPPING", ConferenceStatus.IN_PROGRESS, None),  # in-memory states, tolerated
        ("FAILED", ConferenceStatus.COMPLETED, None),
    ],
)
def test_restcomm_statuses_and_moderator_presence(wire: str, status: ConferenceStatus, moderator: bool | None) -> None:
    room = RESTCOMM.parse_conference(js(restcomm_room(wire)))
    assert (room.status, room.moderator_present) == (status, moderator)


def test_restcomm_undocumented_status_is_kept_as_sent() -> None:
    room = RESTCOMM.parse_conference(js(restcomm_room("RUNNING_RECONNECTING")))
    assert room.status == Unrecognized("RUNNING_RECONNECTING") and room.moderator_present is None


def test_restcomm_json_and_xml_conference_are_the_same_room() -> None:
    assert RESTCOMM.parse_conference(js(restcomm_room())) == ROOM
    assert RESTCOMM.parse_conference(XML_ROOM.encode()) == ROOM  # through the <object class=…> wrapper
    bare = XML_ROOM.replace('<object class="org.restcomm.connect.dao.entities.ConferenceDetailRecord">', "")
    assert RESTCOMM.parse_conference(bare.replace("</object>", "").encode()) == ROOM


def test_restcomm_participant_takes_the_room_from_the_request() -> None:
    assert RESTCOMM.parse_participant(js(restcomm_call()), CF) == CALLER
    without = restcomm_call()
    del without["conference_sid"]
    assert RESTCOMM.parse_participant(js(without), CF) == CALLER
    xml = f"<RestcommResponse>{XML_CALL}</RestcommResponse>".encode()
    assert RESTCOMM.parse_participant(xml, CF) == CALLER
    assert RESTCOMM.parse_participant(xml) == CALLER  # XML's ConferenceSid is right
    with pytest.raises(BadResponse, match="conference_sid"):
        RESTCOMM.parse_participant(js(restcomm_call()))  # JSON's is a call id


def test_restcomm_pages_in_both_formats() -> None:
    link = f"/2012-04-24/Accounts/{AC}/Conferences/{CF}/Participants?Page=1&PageSize=1"
    envelope = {
        "page": 0,
        "num_pages": 1,
        "page_size": 1,
        "total": 2,
        "start": "0",
        "end": "0",
        "uri": f"/2012-04-24/Accounts/{AC}/Conferences/{CF}/Participants",
        "first_page_uri": link.replace("Page=1", "Page=0"),
        "previous_page_uri": "null",
        "next_page_uri": link,
        "last_page_uri": link,
        "calls": [restcomm_call()],
    }
    assert RESTCOMM.parse_participant_page(js(envelope), CF) == Page((CALLER,), link, 0, 1)
    last = envelope | {"page": 1, "next_page_uri": "null", "calls": []}
    assert RESTCOMM.parse_participant_page(js(last), CF) == Page((), None, 1, 1)
    xml = (
        f'<RestcommResponse><Calls page="0" numpages="1" pagesize="1" total="1" start="0" end="0" '
        f'uri="x" firstpageuri="x" previouspageuri="null" nextpageuri="null" lastpageuri="x">'
        f"{XML_CALL}</Calls></RestcommResponse>"
    )
    assert RESTCOMM.parse_participant_page(xml.encode(), CF) == Page((CALLER,), None, 0, 1)
    rooms = (
        '<RestcommResponse><object class="org.restcomm.connect.dao.entities.ConferenceDetailRecordList">'
        '<Conferences page="0" numpages="0" pagesize="50" total="0" start="0" end="1" nextpageuri="null">'
        + XML_ROOM.split("<object", 1)[1].split(">", 1)[1].split("</object>")[0]
        + "</Conferences></object></RestcommResponse>"
    )
    assert RESTCOMM.parse_conference_page(rooms.encode()) == Page((ROOM,), None, 0, 0)


def test_restcomm_null_strings_and_lenient_booleans() -> None:
    caller = RESTCOMM.parse_participant(js(restcomm_call(hold="null", muted="TRUE", date_updated="null")), CF)
    assert (caller.hold, caller.muted, caller.date_updated) == (False, True, None)
    named_null = RESTCOMM.parse_conference(js(restcomm_room(friendly_name="null")))
    assert named_null.friendly_name == "null"  # a name is a name


def test_restcomm_legacy_call_ids_and_bad_ones() -> None:
    legacy = "CA" + "6d61e3877f3c47828a26efc498a9e8f9"
    assert RESTCOMM.parse_participant(js(restcomm_call(sid=legacy)), CF).call_sid == legacy
    for bad in ("ID1-CA2", CALL + "\n", "../" + CALL, 7, None):
        with pytest.raises(BadResponse, match="sid"):
            RESTCOMM.parse_participant(js(restcomm_call(sid=bad)), CF)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", WireError()),
        (b"Call is already completed.", WireError(message="Call is already completed.")),
        (b"java.lang.NullPointerException\n\tat org.restcomm", WireError(message="java.lang.NullPointerException")),
        (HOSTILE.encode(), WireError(message="\\x1b]0;PWNED\\x07[@click=app.quit]")),
        (b"\xff\xfe", WireError()),
        (b"<html><body>502</body></html>", WireError()),
        (js({"code": 20404, "message": "gone"}), WireError(20404, "gone")),
    ],
)
def test_restcomm_errors_are_bare_statuses(body: bytes, expected: WireError) -> None:
    assert RESTCOMM.parse_error(body) == expected


# Twilio XML, 2010 and 2008


def test_twilio_xml_conference_and_recordings() -> None:
    room = TWILIO_XML.parse_conference(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<TwilioResponse><Conference><Sid>CF{"a" * 32}</Sid><AccountSid>AC{"b" * 32}</AccountSid>
<FriendlyName>&#x9b;2J&#x202e;[@click=app.quit]</FriendlyName>
<Status>in-progress</Status><Region>us1</Region><ReasonConferenceEnded/><CallSidEndingConference/>
<DateCreated>Fri, 18 Feb 2011 19:26:50 +0000</DateCreated><DateUpdated/></Conference></TwilioResponse>""".encode()
    )
    assert room.status is ConferenceStatus.IN_PROGRESS and room.region == "us1"
    assert room.friendly_name == "\\x9b2J\\u202e[@click=app.quit]"  # XML 1.0 allows C1 controls and bidi
    assert (room.reason_conference_ended, room.call_sid_ending_conference, room.date_updated) == (None, None, None)
    recordings = TWILIO_XML.parse_recording_page(
        f"""<TwilioResponse><Recordings page="0" pagesize="50" nextpageuri="">
<Recording><Sid>RE{"c" * 32}</Sid><ConferenceSid>CF{"a" * 32}</ConferenceSid><Status>completed</Status>
<Duration>61</Duration><Channels>2</Channels><StartTime>Fri, 18 Feb 2011 19:27:00 +0000</StartTime></Recording>
</Recordings></TwilioResponse>""".encode(),
        "CF" + "a" * 32,
    )
    assert recordings.items == (
        Recording(
            sid="RE" + "c" * 32,
            conference_sid="CF" + "a" * 32,
            status="completed",
            duration=61,
            channels=2,
            start_time=datetime(2011, 2, 18, 19, 27, tzinfo=UTC),
        ),
    )


def test_json_recordings_follow_the_openapi_schema() -> None:
    twilio = dialects.get("twilio2010")
    recording = {
        "account_sid": "AC" + "b" * 32,
        "api_version": "2010-04-01",
        "call_sid": "CA" + "d" * 32,
        "conference_sid": "CF" + "a" * 32,
        "date_created": "Fri, 18 Feb 2011 19:26:50 +0000",
        "date_updated": "Fri, 18 Feb 2011 19:27:33 +0000",
        "start_time": "Fri, 18 Feb 2011 19:26:50 +0000",
        "duration": "-1",  # a string in the schema; -1 while recording
        "sid": "RE" + "c" * 32,
        "status": "in-progress",
        "channels": 1,
        "source": "StartConferenceRecordingAPI",
        "error_code": None,
    }
    page = twilio.parse_recording_page(js({"recordings": [recording], "next_page_uri": None}), "CF" + "a" * 32)
    assert page.items[0].duration is None and page.items[0].status == "in-progress"
    assert twilio.parse_recording_page(js({"recordings": [recording | {"duration": "42"}]})).items[0].duration == 42
    odd = (({"duration": "soon"}, "duration is not an integer"), ({"channels": "two"}, "channels is not an integer"))
    for bad, problem in odd:
        page = twilio.parse_recording_page(js({"recordings": [recording | bad, recording]}))
        assert len(page.items) == 2 and page.problems == (f"recording {recording['sid']}: {problem}",)
    page = twilio.parse_recording_page(js({"recordings": [recording | {"sid": "CA" + "c" * 32}, recording]}))
    assert len(page.items) == 1 and page.dropped == 0  # a sid that is no RE sid is no recording read before
    assert page.problems == (f"recording CA{'c' * 32} dropped: sid is not a RE sid",)  # named by the sid it sent


def test_twilio_xml_errors() -> None:
    rest_exception = b"""<TwilioResponse><RestException><Status>400</Status><Message>Invalid\xc2\x9b2J</Message>
<Code>21201</Code><MoreInfo>http://www.twilio.com/docs/errors/21201</MoreInfo></RestException></TwilioResponse>"""
    for dialect in (TWILIO_XML, TWILIO2008):
        assert dialect.parse_error(rest_exception) == WireError(21201, "Invalid\\x9b2J")
        assert dialect.parse_error(b"<TwilioResponse><RestException><Status>404</Status><Message>The requested "
                                   b"resource was not found</Message></RestException></TwilioResponse>") == WireError(
            None, "The requested resource was not found"
        )
        assert dialect.parse_error(b"<html>502 Bad Gateway</html>") == WireError()
        assert dialect.parse_error(b"") == WireError()


def test_xml_with_a_dtd_is_refused() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<TwilioResponse><Conference><Sid>&lol2;</Sid></Conference></TwilioResponse>"""
    external = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<TwilioResponse><Conference><FriendlyName>&x;</FriendlyName></Conference></TwilioResponse>"""
    for body in (bomb, external):
        for parse in (TWILIO_XML.parse_conference, TWILIO2008.parse_conference, RESTCOMM.parse_conference):
            with pytest.raises(BadResponse):
                parse(body)
        assert TWILIO_XML.parse_error(body) == WireError()


def test_2008_status_integers_and_booleans() -> None:
    statuses = (("0", ConferenceStatus.INIT), ("1", ConferenceStatus.IN_PROGRESS), (" 2 ", ConferenceStatus.COMPLETED))
    for wire, status in statuses:
        body = f"<TwilioResponse><Conference><Sid>CF{'a' * 32}</Sid><AccountSid>AC{'b' * 32}</AccountSid>" \
               f"<Status>{wire}</Status></Conference></TwilioResponse>"
        assert TWILIO2008.parse_conference(body.encode()).status is status
    odd = TWILIO2008.parse_conference(body.replace(" 2 ", "in-progress").encode())
    assert odd.status == Unrecognized("in-progress")
    member = f"<TwilioResponse><Participant><CallSid>CA{'c' * 32}</CallSid>" \
             f"<ConferenceSid>CF{'a' * 32}</ConferenceSid>" \
             "<Muted>TRUE</Muted><StartConferenceOnEnter>0</StartConferenceOnEnter>" \
             "<EndConferenceOnExit>1</EndConferenceOnExit></Participant></TwilioResponse>"
    who = TWILIO2008.parse_participant(member.encode())
    assert (who.muted, who.start_conference_on_enter, who.end_conference_on_exit) == (True, False, True)
    assert not TWILIO2008.parse_participant(member.replace("TRUE", "yes").encode()).muted  # unreadable: the default


def test_xml_is_not_json_and_json_is_not_xml() -> None:
    with pytest.raises(BadResponse, match="not XML"):
        TWILIO_XML.parse_conference(b'{"sid": "x"}')
    with pytest.raises(BadResponse, match="not JSON"):
        dialects.get("twilio2010").parse_conference(b"<TwilioResponse/>")
    with pytest.raises(BadResponse, match="root"):
        TWILIO_XML.parse_conference(b"<RestcommResponse/>")


# Telnyx and SignalWire


def test_telnyx_errors_and_opaque_ids() -> None:
    error = {"code": "10005", "title": "Not found", "detail": "Resource not found"}
    assert TELNYX.parse_error(js({"errors": [error]})) == WireError(10005, "Resource not found")
    assert TELNYX.parse_error(js({"errors": []})) == WireError()
    member = {
        "account_sid": "61bf923e-5e4d-4595-a110-56190ea18a1b",
        "call_sid": "v3:Aa1-bB2_cC3",
        "conference_sid": "6dc6cc1a-1ba1-4351-86b8-4c22c95cd98f",
        "muted": False,
        "hold": True,
        "status": "connected",
        "date_created": "Mon, 24 Sept 2018 21:00:00 +0000",  # as SignalWire's documentation writes it
    }
    who = TELNYX.parse_participant(js(member))
    assert (who.call_sid, who.hold, who.start_conference_on_enter) == ("v3:Aa1-bB2_cC3", True, True)
    assert who.date_created == datetime(2018, 9, 24, 21, tzinfo=UTC)
    for bad in ("", "..", "a\x1bb", "\u202eevil", 3):
        with pytest.raises(BadResponse, match="call_sid"):
            TELNYX.parse_participant(js(member | {"call_sid": bad}))


def test_telnyx_names_the_coached_call_coaching_call_sid() -> None:
    member = {
        "call_sid": "v3:coach",
        "conference_sid": "6dc6cc1a-1ba1-4351-86b8-4c22c95cd98f",
        "coaching": True,
        "coaching_call_sid": "v3:agent",
        "coaching_call_sid_legacy": "v3:agent",
        "status": "connected",
    }
    who = TELNYX.parse_participant(js(member))
    assert (who.coaching, who.call_sid_to_coach) == (True, "v3:agent")
