"""Requests, as each dialect builds them: the exact method, path, query, form and expected statuses of
every action, what each refuses before anything is sent, and how each follows its page links."""

from __future__ import annotations

from datetime import date

import pytest

from confmon.api import dialects
from confmon.api.dialects import ConferenceFilters, Page, ParticipantFilters, Request
from confmon.api.errors import BadResponse, InvalidRequest, NotSupported
from confmon.model import ConferenceStatus

AC = "AC" + "a" * 32
CF = "CF" + "b" * 32
CA = "CA" + "c" * 32
RC_CALL = "ID" + "1f" * 16 + "-CA" + "2e" * 16  # RestComm's call ids since issue #1907
UUID_AC = "61bf923e-5e4d-4595-a110-56190ea18a1b"
UUID_CF = "6dc6cc1a-1ba1-4351-86b8-4c22c95cd98f"
V3_CALL = "v3:Aa1-bB2_cC3/dD4"  # Telnyx call-control ids carry a colon; say one also had a slash
V3_QUOTED = "v3%3AAa1-bB2_cC3%2FdD4"
URL = "https://example.com/maintenance.mp3"
ANNOUNCE = {"AnnounceUrl": URL, "AnnounceMethod": "GET"}

OK = frozenset({200})
NO_CONTENT = frozenset({204})


def post(path: str, form: dict[str, str], expect: frozenset[int] = OK, gone: frozenset[int] = frozenset()) -> Request:
    return Request("POST", path, form=form, expect=expect, idempotent=False, gone=gone)


def test_the_registry() -> None:
    assert dialects.NAMES == ("twilio2010", "twilio2010-xml", "twilio2008", "restcomm", "signalwire", "telnyx")
    for name in dialects.NAMES:
        dialect = dialects.get(name)
        assert name == dialect.NAME
        assert ("bearer" if name == "telnyx" else "basic") == dialect.AUTH
        assert dialect.CAPABILITIES.name
    with pytest.raises(ValueError, match="unknown dialect 'plivo'"):
        dialects.get("plivo")
    assert [dialects.get(n).DEFAULT_BASE_URL for n in dialects.NAMES] == [
        "https://api.twilio.com",
        "https://api.twilio.com",
        "https://api.twilio.com",
        None,  # self-hosted
        None,  # one host per Space
        "https://api.telnyx.com",
    ]


# Twilio 2010 JSON and XML, SignalWire and Telnyx: one shape, four prefixes


TWILIO_SHAPED = [
    # (dialect, account, conference, call, account segment, conference segment, call segment, root, suffix)
    ("twilio2010", AC, CF, CA, AC, CF, CA, "/2010-04-01", ".json"),
    ("twilio2010-xml", AC, CF, CA, AC, CF, CA, "/2010-04-01", ""),
    ("signalwire", UUID_AC, UUID_CF, UUID_CF, UUID_AC, UUID_CF, UUID_CF, "/api/laml/2010-04-01", ".json"),
    ("telnyx", UUID_AC, UUID_CF, V3_CALL, UUID_AC, UUID_CF, V3_QUOTED, "/v2/texml", ""),
]


@pytest.mark.parametrize(("name", "ac", "cf", "ca", "ac_seg", "cf_seg", "ca_seg", "root", "ext"), TWILIO_SHAPED)
def test_twilio_shaped_requests(
    name: str, ac: str, cf: str, ca: str, ac_seg: str, cf_seg: str, ca_seg: str, root: str, ext: str
) -> None:
    d = dialects.get(name)
    room = f"{root}/Accounts/{ac_seg}/Conferences/{cf_seg}"
    member = f"{room}/Participants/{ca_seg}{ext}"

    assert d.list_conferences(ac, ConferenceFilters(status=ConferenceStatus.INIT, page_size=20)) == Request(
        "GET", f"{root}/Accounts/{ac_seg}/Conferences{ext}", {"PageSize": "20", "Status": "init"}
    )
    assert [r.params for r in d.live_conferences(ac, 1000)] == [
        {"PageSize": "1000", "Status": "init"},
        {"PageSize": "1000", "Status": "in-progress"},
    ]
    assert d.fetch_conference(ac, cf) == Request("GET", room + ext)
    assert d.list_participants(ac, cf, ParticipantFilters(hold=True)) == Request(
        "GET", f"{room}/Participants{ext}", {"PageSize": "50", "Hold": "true"}
    )
    assert d.fetch_participant(ac, cf, ca) == Request("GET", member)
    assert d.update_participant(ac, cf, ca, muted=True, hold=None) == post(member, {"Muted": "true"})
    assert d.update_participant(ac, cf, ca, muted=False, hold=None) == post(member, {"Muted": "false"})
    assert d.update_participant(ac, cf, ca, muted=None, hold=True) == post(member, {"Hold": "true"})
    assert d.kick(ac, cf, ca) == Request("DELETE", member, expect=NO_CONTENT, idempotent=False)
    assert d.end_conference is not None and d.announce is not None and d.list_recordings is not None
    assert d.end_conference(ac, cf) == post(room + ext, {"Status": "completed"})
    assert d.announce(ac, cf, None, URL) == post(room + ext, ANNOUNCE)
    assert d.announce(ac, cf, ca, URL) == post(member, ANNOUNCE)
    assert d.list_recordings(ac, cf, 50) == Request("GET", f"{room}/Recordings{ext}", {"PageSize": "50"})


def test_twilio2008_requests() -> None:
    d = dialects.get("twilio2008")
    root = f"/2008-08-01/Accounts/{AC}"
    member = f"{root}/Conferences/{CF}/Participants/{CA}"
    filters = ConferenceFilters(
        status=ConferenceStatus.IN_PROGRESS,
        friendly_name="MyRoom",
        date_created_after=date(2009, 7, 6),
        page_size=5,
    )
    # Seed 001: ?Status=1&DateCreated>=2009-07-06 (the query name ends before "="); `num` sizes a page.
    assert d.list_conferences(AC, filters) == Request(
        "GET",
        f"{root}/Conferences",
        {"num": "5", "Status": "1", "FriendlyName": "MyRoom", "DateCreated>": "2009-07-06"},
    )
    assert [r.params for r in d.live_conferences(AC, 1000)] == [
        {"num": "1000", "Status": "0"},
        {"num": "1000", "Status": "1"},
    ]
    assert d.fetch_conference(AC, CF) == Request("GET", f"{root}/Conferences/{CF}")
    assert d.list_participants(AC, CF, ParticipantFilters(muted=True)) == Request(
        "GET", f"{root}/Conferences/{CF}/Participants", {"num": "50", "Muted": "true"}
    )
    assert d.fetch_participant(AC, CF, CA) == Request("GET", member)
    assert d.update_participant(AC, CF, CA, muted=True, hold=None) == post(member, {"Muted": "true"})
    assert d.update_participant(AC, CF, CA, muted=False, hold=None) == post(member, {"Muted": "false"})
    assert d.kick(AC, CF, CA) == Request("DELETE", member, expect=NO_CONTENT, idempotent=False)
    assert (d.end_conference, d.announce, d.list_recordings) == (None, None, None)
    with pytest.raises(NotSupported, match="hold"):
        d.update_participant(AC, CF, CA, muted=None, hold=True)
    with pytest.raises(NotSupported):
        d.list_participants(AC, CF, ParticipantFilters(hold=False))
    caps = d.CAPABILITIES
    assert (caps.can_hold, caps.can_end, caps.end_by_kicking_all, caps.has_recordings) == (False, False, True, False)


def test_restcomm_requests() -> None:
    d = dialects.get("restcomm")
    root = f"/restcomm/2012-04-24/Accounts/{AC}"
    room = f"{root}/Conferences/{CF}"
    assert d.MEDIA_TYPE == "application/json"
    assert d.list_conferences(AC, ConferenceFilters(status=ConferenceStatus.IN_PROGRESS)) == Request(
        "GET", f"{root}/Conferences.json", {"PageSize": "50", "Status": "RUNNING_MODERATOR%"}
    )
    assert d.list_conferences(AC, ConferenceFilters(status=ConferenceStatus.INIT)).params == {
        "PageSize": "50",
        "Status": "RUNNING_INITIALIZING",
    }
    # One listing covers init and in-progress: SQL LIKE.
    assert d.live_conferences(AC, 1000) == (
        Request("GET", f"{root}/Conferences.json", {"PageSize": "1000", "Status": "RUNNING%"}),
    )
    assert d.fetch_conference(AC, CF) == Request("GET", f"{room}.json")
    assert d.list_participants(AC, CF, ParticipantFilters()) == Request(
        "GET", f"{room}/Participants.json", {"PageSize": "50"}
    )
    assert d.fetch_participant(AC, CF, RC_CALL) == Request("GET", f"{room}/Participants/{RC_CALL}.json")
    # Mute: no suffix, `Mute` (not `Muted`), always sent; 406 is RestComm's "no such call".
    gone = frozenset({406})
    assert d.update_participant(AC, CF, RC_CALL, muted=True, hold=None) == post(
        f"{room}/Participants/{RC_CALL}", {"Mute": "true"}, gone=gone
    )
    assert d.update_participant(AC, CF, RC_CALL, muted=False, hold=None) == post(
        f"{room}/Participants/{RC_CALL}", {"Mute": "false"}, gone=gone
    )
    # Kick: the call itself, hung up; 410 is "already completed".
    assert d.kick(AC, CF, RC_CALL) == post(
        f"{root}/Calls/{RC_CALL}", {"Status": "completed"}, expect=frozenset({200, 204}), gone=frozenset({410})
    )
    assert (d.end_conference, d.announce, d.list_recordings) == (None, None, None)
    assert d.UPDATE_RETURNS_STALE_BODY
    with pytest.raises(NotSupported, match="hold"):
        d.update_participant(AC, CF, RC_CALL, muted=None, hold=True)
    with pytest.raises(NotSupported):
        d.list_participants(AC, CF, ParticipantFilters(muted=True))
    with pytest.raises(NotSupported):
        d.list_conferences(AC, ConferenceFilters(date_created=date(2020, 1, 1)))
    assert d.list_conferences(AC, ConferenceFilters(date_created_after=date(2020, 1, 2))).params == {
        "PageSize": "50",
        "DateCreated": "2020-01-02",
    }
    caps = d.CAPABILITIES
    assert caps.reports_moderator and caps.end_by_kicking_all and not caps.can_end and not caps.can_hold


def test_nothing_to_update_is_refused_everywhere() -> None:
    for name in dialects.NAMES:
        with pytest.raises(InvalidRequest, match="nothing to update"):
            dialects.get(name).update_participant(AC, CF, CA, muted=None, hold=None)


# Ids: checked per dialect, quoted where opaque


@pytest.mark.parametrize("name", ["twilio2010", "twilio2010-xml", "twilio2008"])
@pytest.mark.parametrize("bad", ["../" + CA, CA + "\n", CA + "/x", CF, "CA" + "c" * 31, RC_CALL, "customer", ""])
def test_twilio_ids_are_prefix_and_hex(name: str, bad: str) -> None:
    with pytest.raises(InvalidRequest, match="not a CA sid"):
        dialects.get(name).kick(AC, CF, bad)


def test_restcomm_ids() -> None:
    d = dialects.get("restcomm")
    assert len(RC_CALL) == 69  # ID + 32 + -CA + 32 (Sid.java); the reference's "71" counts wrong
    legacy = "CA" + "Zz09" * 8  # before #1907: 34 letters and digits
    assert d.kick(AC, CF, legacy).path.endswith(f"/Calls/{legacy}")
    for bad in (CA + "-", "ID" + "1" * 32 + "CA" + "2" * 32, "ID" + "1" * 31 + "-CA" + "2" * 32, "../Calls", "v3:x"):
        with pytest.raises(InvalidRequest, match="not a call id"):
            d.kick(AC, CF, bad)
    with pytest.raises(InvalidRequest, match="not a CF sid"):
        d.kick(AC, "CF" + "-" * 32, RC_CALL)  # not in the path, still checked


@pytest.mark.parametrize("name", ["signalwire", "telnyx"])
def test_opaque_ids_are_quoted_and_dot_segments_refused(name: str) -> None:
    d = dialects.get(name)
    path = d.fetch_participant(UUID_AC, "room one?x=1#y", "a/b%c").path
    assert "/Conferences/room%20one%3Fx%3D1%23y/Participants/a%2Fb%25c" in path
    for bad in ("", ".", "..", "...", "a\nb", "\u202eab", " lead", "x" * 257, "zero\u200bwidth"):
        with pytest.raises(InvalidRequest):
            d.fetch_conference(UUID_AC, bad)
    d.check_account(UUID_AC)
    with pytest.raises(InvalidRequest):
        d.check_account("..")


def test_announce_takes_only_absolute_http_urls() -> None:
    d = dialects.get("twilio2010")
    assert d.announce is not None
    for bad in ("", "ftp://x.example/a.mp3", "javascript:alert(1)", "/relative.mp3", "https://", "http://a b/c",
                "https://x.example/\n", "https://exämple.com/a.mp3", "http://[::1/x",
                "https://x.example/" + "a" * 2100):
        with pytest.raises(InvalidRequest, match="not an absolute http"):
            d.announce(AC, CF, None, bad)


# Paging


def page(next_uri: str | None, number: int | None = None, count: int | None = None, items: tuple = (1,)) -> Page:
    return Page(items, next_uri, number, count)


def test_twilio2010_follows_next_page_uri_verbatim() -> None:
    d = dialects.get("twilio2010")
    first = d.list_conferences(AC, ConferenceFilters())
    uri = f"/2010-04-01/Accounts/{AC}/Conferences.json?PageSize=50&Page=1&PageToken=PA1"
    assert d.next_page(first, page(uri)) == Request("GET", uri)
    assert d.next_page(first, page(None, 0, 5)) is None  # links only


def test_twilio2008_follows_links_or_counts_pages() -> None:
    d = dialects.get("twilio2008")
    first = d.list_conferences(AC, ConferenceFilters(status=ConferenceStatus.IN_PROGRESS, page_size=2))
    assert d.next_page(first, page("/2008-08-01/x?Page=1")) == Request("GET", "/2008-08-01/x?Page=1")
    second = d.next_page(first, page(None, number=0, count=3))
    assert second == Request("GET", first.path, {"num": "2", "Status": "1", "Page": "1"})
    assert d.next_page(second, page(None, number=2, count=3)) is None  # page+1 == numpages: the last
    assert d.next_page(first, page(None, number=0, count=None)) is None
    assert d.next_page(first, page(None, number=0, count=3, items=())) is None  # an empty page ends it


def test_restcomm_pages_by_number_since_its_links_lose_the_filters() -> None:
    d = dialects.get("restcomm")
    first = d.live_conferences(AC, 50)[0]
    link = f"/2012-04-24/Accounts/{AC}/Conferences?Page=1&PageSize=50"  # no Status, no .json, no /restcomm
    assert d.next_page(first, page(link, number=0, count=3)) == Request(
        "GET", first.path, {"PageSize": "50", "Status": "RUNNING%", "Page": "1"}
    )
    assert d.next_page(first, page(None, 0, 3)) is None  # "null": the last page
    participants = d.list_participants(AC, CF, ParticipantFilters())
    assert d.next_page(participants, page(link.replace("Conferences", f"Conferences/{CF}/Participants"), 0, 1)) is None


def test_restcomm_follows_a_bare_link_with_its_context_root_and_json_back() -> None:
    d = dialects.get("restcomm")
    first = d.live_conferences(AC, 50)[0]
    link = f"/2012-04-24/Accounts/{AC}/Conferences?Page=1&PageSize=50"
    expected = f"/restcomm/2012-04-24/Accounts/{AC}/Conferences.json?Page=1&PageSize=50"
    assert d.next_page(first, page(link)) == Request("GET", expected)  # no page number in the envelope
    old = f"/restcomm/2012-04-24/Accounts/{AC}/Conferences.json?Page=1&PageSize=50"  # 800ga wrote it whole
    assert d.next_page(first, page(old)) == Request("GET", old)
    with pytest.raises(BadResponse, match="outside the API"):
        d.next_page(first, page("/admin/x"))
