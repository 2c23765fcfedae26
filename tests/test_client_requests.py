"""The client's side of the dialect contract, over httpx.MockTransport: what it sends for each dialect
(base URL, prefix, authentication), how it pages, what it makes of odd answers, and the sweep's
recordings. The simulator tests (test_client_dialects.py) cover the same ground end to end."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from confmon.api import BadResponse, ConferenceClient, InvalidRequest, NotFound
from confmon.api import client as client_module
from confmon.api.dialects import Dialect, get
from confmon.model import ConferenceStatus
from confmon.secret import Secret

AC = "AC" + "a" * 32
UUID = "61bf923e-5e4d-4595-a110-56190ea18a1b"
RC_CALL = "ID" + "1" * 32 + "-CA" + "2" * 32
TOKEN = "s3cr3t"


def cf(n: int) -> str:
    return f"CF{n:032x}"


def room(n: int, status: str = "in-progress") -> dict[str, object]:
    return {"sid": cf(n), "account_sid": AC, "friendly_name": f"room {n}", "status": status}


def member(n: int) -> dict[str, object]:
    return {"call_sid": f"CA{n:032x}", "conference_sid": cf(n), "account_sid": AC, "status": "connected"}


def recording(n: int) -> dict[str, object]:
    return {"sid": f"RE{n:032x}", "conference_sid": cf(n), "status": "completed", "duration": "7"}


def api(handler: Callable[[httpx.Request], httpx.Response], dialect: str = "twilio2010", **options) -> ConferenceClient:
    options.setdefault("base_url", "http://api.test")
    options.setdefault("account_sid", AC)
    return ConferenceClient(
        username=options.pop("username", AC),
        password=Secret(TOKEN),
        dialect=dialect,
        transport=httpx.MockTransport(handler),
        **options,
    )


def test_every_registered_dialect_meets_the_protocol() -> None:
    from confmon.api.dialects import NAMES

    assert all(isinstance(get(name), Dialect) for name in NAMES)


async def test_telnyx_defaults_to_its_host_and_sends_a_bearer_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"conferences": [], "next_page_uri": None})

    async with api(handler, "telnyx", base_url=None, account_sid=UUID, username="ignored") as client:
        assert await client.list_conferences() == []
    assert str(seen[0].url) == f"https://api.telnyx.com/v2/texml/Accounts/{UUID}/Conferences?PageSize=1000"
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in repr(client) and "telnyx" in repr(client)


def test_a_dialect_without_a_default_host_needs_one_and_ids_are_checked_at_once() -> None:
    with pytest.raises(ValueError, match="restcomm dialect has no default base URL"):
        api(lambda r: httpx.Response(200), "restcomm", base_url=None)
    with pytest.raises(InvalidRequest, match="not a AC sid"):
        api(lambda r: httpx.Response(200), "twilio2010", account_sid=UUID)
    with pytest.raises(ValueError, match="unknown dialect"):
        api(lambda r: httpx.Response(200), "plivo")
    api(lambda r: httpx.Response(200), get("signalwire"), account_sid=UUID)  # a Dialect object works too


async def test_restcomm_answering_xml_to_a_json_request_is_read_all_the_same() -> None:
    xml = (
        '<RestcommResponse><object class="org.restcomm.connect.dao.entities.ConferenceDetailRecordList">'
        '<Conferences page="0" numpages="0" pagesize="50" total="0" start="0" end="1" nextpageuri="null">'
        f"<Conference><Sid>{cf(1)}</Sid><AccountSid>{AC}</AccountSid><Status>RUNNING_MODERATOR_PRESENT</Status>"
        "<FriendlyName>1111</FriendlyName></Conference></Conferences></object></RestcommResponse>"
    )
    seen: list[httpx.Request] = []

    calls = (
        '<RestcommResponse><Calls page="0" numpages="0" nextpageuri="null"><Call>'
        f"<Sid>{RC_CALL}</Sid><ConferenceSid>{cf(1)}</ConferenceSid><Muted>true</Muted>"
        "<EndConferenceOnEnter>true</EndConferenceOnEnter></Call></Calls></RestcommResponse>"
    )

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = calls if request.url.path.endswith("/Participants.json") else xml
        return httpx.Response(200, content=body.encode(), headers={"Content-Type": "application/xml"})

    async with api(handler, "restcomm") as client:
        snapshot = await client.sweep()
    assert [(c.sid, c.moderator_present) for c in snapshot.conferences] == [(cf(1), True)]
    [caller] = snapshot.participants[cf(1)]
    assert (caller.call_sid, caller.muted, caller.end_conference_on_exit) == (RC_CALL, True, True)
    assert seen[0].headers["Accept"] == "application/json"
    assert seen[0].url.params["Status"] == "RUNNING%"


@pytest.mark.parametrize(
    ("status", "body", "act"),
    [
        (406, b"", lambda c: c.update_participant(cf(1), RC_CALL, muted=True)),  # no such call
        (410, b"Call is already completed.", lambda c: c.kick(cf(1), RC_CALL)),
        (404, b"", lambda c: c.fetch_conference(cf(1))),
    ],
)
async def test_restcomm_statuses_that_mean_gone(status: int, body: bytes, act) -> None:
    async with api(lambda r: httpx.Response(status, content=body), "restcomm") as client:
        with pytest.raises(NotFound) as caught:
            await act(client)
    assert caught.value.status == status
    assert caught.value.message == (body.decode() or httpx.codes.get_reason_phrase(status))


async def test_restcomm_pages_by_number_under_a_gateway_prefix() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        page = int(request.url.params.get("Page", "0"))
        rooms = [room(2 * page) | {"status": "RUNNING_MODERATOR_ABSENT"}] if page < 2 else []
        link = "null" if page == 2 else f"/2012-04-24/Accounts/{AC}/Conferences?Page={page + 1}&PageSize=1"
        body = {"page": page, "num_pages": 2, "next_page_uri": link, "conferences": rooms}
        return httpx.Response(200, json=body)

    async with api(handler, "restcomm", base_url="http://gw.test/pbx/") as client:
        rooms = await client.list_conferences(status=ConferenceStatus.IN_PROGRESS, page_size=1)
    assert [r.sid for r in rooms] == [cf(0), cf(2)]
    assert [(r.url.path, r.url.params.get("Page"), r.url.params["Status"]) for r in seen] == [
        (f"/pbx/restcomm/2012-04-24/Accounts/{AC}/Conferences.json", None, "RUNNING_MODERATOR%"),
        (f"/pbx/restcomm/2012-04-24/Accounts/{AC}/Conferences.json", "1", "RUNNING_MODERATOR%"),
        (f"/pbx/restcomm/2012-04-24/Accounts/{AC}/Conferences.json", "2", "RUNNING_MODERATOR%"),
    ]


async def test_2008_pages_by_number_when_there_is_no_link() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        page = int(request.url.params.get("Page", "0"))
        body = (
            f'<TwilioResponse><Conferences page="{page}" numpages="3" pagesize="1" total="3" start="{page}" '
            f'end="{page}"><Conference><Sid>{cf(page)}</Sid><AccountSid>{AC}</AccountSid><Status>1</Status>'
            "</Conference></Conferences></TwilioResponse>"
        )
        return httpx.Response(200, content=body.encode())

    async with api(handler, "twilio2008") as client:
        rooms = await client.list_conferences(status=ConferenceStatus.IN_PROGRESS, page_size=1)
    assert [r.sid for r in rooms] == [cf(0), cf(1), cf(2)]
    assert [dict(r.url.params) for r in seen] == [
        {"num": "1", "Status": "1"},
        {"num": "1", "Status": "1", "Page": "1"},
        {"num": "1", "Status": "1", "Page": "2"},
    ]
    assert seen[0].headers["Accept"] == "application/xml"


async def test_endless_paging_is_a_bad_response(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "MAX_PAGES", 5)

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("Page", "0"))
        link = f"/2010-04-01/Accounts/{AC}/Conferences.json?Page={page + 1}"
        return httpx.Response(200, json={"conferences": [], "next_page_uri": link})

    async with api(handler) as client:
        with pytest.raises(BadResponse, match="more than 5 pages"):
            await client.list_conferences()


async def test_the_sweep_fetches_recordings_of_listed_rooms_right_after_their_participants() -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/Conferences.json"):
            live = request.url.params["Status"] == "in-progress"
            return httpx.Response(200, json={"conferences": [room(1), room(2)] if live else [], "next_page_uri": None})
        n = int(path.split("/Conferences/")[1][2:34], 16)
        kind = path.rsplit("/", 1)[1].removesuffix(".json")
        asked.append(f"{kind} {n}")
        if kind == "Recordings":
            if n == 2:
                return httpx.Response(404, json={"code": 20404, "message": "gone"})
            return httpx.Response(200, json={"recordings": [recording(n)], "next_page_uri": None})
        return httpx.Response(200, json={"participants": [member(n)], "next_page_uri": None})

    async with api(handler, max_concurrency=1) as client:
        snapshot = await client.sweep(priority=[cf(2)], recordings_for=[cf(1), cf(2), cf(9)])
    assert asked == ["Participants 2", "Recordings 2", "Participants 1", "Recordings 1"]  # room 9 is not live
    assert list(snapshot.recordings) == [cf(1)]  # room 2's recordings were gone: no entry
    assert snapshot.recordings[cf(1)][0].duration == 7
    assert set(snapshot.participants) == {cf(1), cf(2)}


async def test_the_sweep_asks_for_no_recordings_where_there_are_none() -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        if request.url.path.endswith("/Conferences.json"):
            body = {"conferences": [room(1) | {"status": "RUNNING_MODERATOR_PRESENT"}], "next_page_uri": "null"}
            return httpx.Response(200, json=body)
        return httpx.Response(200, json={"calls": [], "next_page_uri": "null"})

    async with api(handler, "restcomm") as client:
        snapshot = await client.sweep(recordings_for=[cf(1)])
    assert snapshot.recordings == {} and snapshot.participants == {cf(1): ()}
    assert not any("Recordings" in path for path in asked)


async def test_the_sweep_bounds_the_rooms_whose_recordings_it_fetches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "MAX_RECORDING_ROOMS", 2)
    rooms = [room(n) for n in range(5)]

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/Conferences.json"):
            live = request.url.params["Status"] == "in-progress"
            return httpx.Response(200, json={"conferences": rooms if live else [], "next_page_uri": None})
        if path.endswith("/Recordings.json"):
            return httpx.Response(200, json={"recordings": [], "next_page_uri": None})
        return httpx.Response(200, json={"participants": [], "next_page_uri": None})

    async with api(handler) as client:
        snapshot = await client.sweep(recordings_for=[cf(n) for n in (4, 3, 2, 1)])
    assert list(snapshot.recordings) == [cf(3), cf(4)]  # the first two asked for, in listing order


async def test_announce_sends_the_url_to_be_fetched_with_get() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=room(1))

    async with api(handler) as client:
        await client.announce(cf(1), None, "https://example.com/a b.mp3".replace(" ", "%20"))
        with pytest.raises(InvalidRequest):
            await client.announce(cf(1), None, "file:///etc/passwd")
    assert len(seen) == 1
    assert seen[0].method == "POST"
    assert seen[0].url.path == f"/2010-04-01/Accounts/{AC}/Conferences/{cf(1)}.json"
    assert dict(httpx.QueryParams(seen[0].content.decode())) == {
        "AnnounceUrl": "https://example.com/a%20b.mp3",
        "AnnounceMethod": "GET",
    }
