"""A record the client cannot read is dropped alone, named, and counted, and a dropped record ends no
room and departs no caller: the sweep says which listings lost one, and the store keeps whoever may be
that record until a whole listing says otherwise. Over httpx.MockTransport, into a real Store."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from confmon.api import ConferenceClient
from confmon.api.dialects import get
from confmon.clock import FrozenClock
from confmon.model import RoomKey
from confmon.secret import Secret
from confmon.store import Store

AC = "AC" + "a" * 32
TOKEN = "s3cr3t"
Records = list[dict[str, object]]


def cf(n: int) -> str:
    return f"CF{n:032x}"


def ca(n: int) -> str:
    return f"CA{n:032x}"


def room(n: int, **change: object) -> dict[str, object]:
    return {"sid": cf(n), "account_sid": AC, "friendly_name": f"room {n}", "status": "in-progress"} | change


def caller(n: int, in_room: int, **change: object) -> dict[str, object]:
    return {"call_sid": ca(n), "conference_sid": cf(in_room), "label": f"p{n}", "status": "connected"} | change


def server(live: Callable[[], Records], starting: Callable[[], Records], people: Callable[[str], Records]):
    """Twilio 2010 JSON: the in-progress and init listings, and each room's participants."""

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/Conferences.json"):
            rooms = live() if request.url.params["Status"] == "in-progress" else starting()
            return httpx.Response(200, json={"conferences": rooms, "next_page_uri": None})
        sid = path.split("/Conferences/")[1].split("/")[0]
        return httpx.Response(200, json={"participants": people(sid), "next_page_uri": None})

    return handler


def api(handler: Callable[[httpx.Request], httpx.Response], clock: FrozenClock) -> ConferenceClient:
    return ConferenceClient(
        base_url="http://api.test",
        account_sid=AC,
        username=AC,
        password=Secret(TOKEN),
        transport=httpx.MockTransport(handler),
        clock=clock,
    )


async def test_the_sweep_counts_names_and_orders_what_it_could_not_read(clock: FrozenClock) -> None:
    odd_date = {"date_created": "yesterday"}
    people = {
        cf(1): [caller(1, 1), caller(2, 1, call_sid=None)],  # the second is dropped
        cf(2): [caller(3, 2, muted="yes")],  # read in part
        cf(3): [caller(4, 3)],
    }
    handler = server(
        live=lambda: [room(1), room(9, sid=None), room(2), room(3, **odd_date)],
        starting=lambda: [room(3, status="init", **odd_date)],  # room 3 started between the listings
        people=lambda sid: people[sid],
    )
    async with api(handler, clock) as client:
        snapshot = await client.sweep(priority=[cf(2)])

    assert [c.sid for c in snapshot.conferences] == [cf(1), cf(2), cf(3)]
    assert not snapshot.complete  # the room without a sid is live, for all anyone can tell
    assert snapshot.rooms_dropped == 1 and snapshot.participants_dropped == {cf(1): 1}
    assert [p.call_sid for p in snapshot.participants[cf(1)]] == [ca(1)]
    assert snapshot.problems == (
        f"conference {cf(3)}: date_created is not a date",  # in both listings, named once
        "conference #2 dropped: sid is missing",
        f"room {cf(2)}: participant {ca(3)}: muted is not a boolean",  # the priority room first
        f"room {cf(1)}: participant #2 dropped: call_sid is missing",
    )


async def test_a_sweep_that_dropped_nothing_is_whole(clock: FrozenClock) -> None:
    handler = server(lambda: [room(1, status="paused")], lambda: [], lambda sid: [caller(1, 1, status="on-air")])
    async with api(handler, clock) as client:
        snapshot = await client.sweep()
    assert snapshot.complete and snapshot.participants_dropped == {} and snapshot.problems == ()


async def test_a_dropped_record_ends_no_room_and_departs_no_caller(clock: FrozenClock) -> None:
    """Room 2's record and bob's are unreadable for one sweep: both stay, carol's arrival is still
    seen; the next whole sweep without them ends the room and sees bob gone."""
    rooms: Records = [room(1), room(2)]
    people: dict[str, Records] = {cf(1): [caller(1, 1), caller(2, 1)], cf(2): [caller(3, 2)]}
    store = Store(clock)

    def present(n: int) -> set[str]:
        return {sid for sid, member in store.rooms[RoomKey(AC, cf(n))].members.items() if member.left_at is None}

    async with api(server(lambda: rooms, lambda: [], lambda sid: people[sid]), clock) as client:
        store.apply_snapshot(await client.sweep())
        assert present(1) == {ca(1), ca(2)} and present(2) == {ca(3)}

        clock.advance(2)
        rooms[1] = room(2, sid=None)
        people[cf(1)] = [caller(1, 1), caller(2, 1, call_sid=None), caller(4, 1)]
        store.apply_snapshot(await client.sweep())
        assert store.rooms[RoomKey(AC, cf(2))].ended_at is None and present(2) == {ca(3)}
        assert present(1) == {ca(1), ca(2), ca(4)}

        clock.advance(2)
        del rooms[1]
        people[cf(1)] = [caller(1, 1), caller(4, 1)]
        store.apply_snapshot(await client.sweep())
        assert store.rooms[RoomKey(AC, cf(2))].ended_at is not None
        assert present(1) == {ca(1), ca(4)}


def test_a_dropped_xml_record_is_named_by_the_sid_it_sent() -> None:
    body = f"""<TwilioResponse><Conferences page="0" nextpageuri="">
<Conference><Sid>CF-not-hex</Sid><Status>in-progress</Status></Conference>
<Conference><Status>in-progress</Status></Conference>
<Conference><Sid>{cf(1)}</Sid><Status>in-progress</Status></Conference>
</Conferences></TwilioResponse>""".encode()
    page = get("twilio2010-xml").parse_conference_page(body)
    assert [c.sid for c in page.items] == [cf(1)] and page.dropped == 1  # "CF-not-hex" is no room read before
    assert page.problems == (
        "conference CF-not-hex dropped: sid is not a CF sid",
        "conference #2 dropped: sid is missing",
    )


async def test_a_record_whose_sid_is_no_sid_holds_nothing_back(clock: FrozenClock) -> None:
    """A server that keeps sending one record with a malformed sid must not keep every room live for
    ever: no room or caller read before can be that record, so the rest reconciles as usual."""
    rooms: Records = [room(1), room(2)]
    people: dict[str, Records] = {cf(1): [caller(1, 1), caller(2, 1)], cf(2): [caller(3, 2)]}
    store = Store(clock)
    async with api(server(lambda: rooms, lambda: [], lambda sid: people[sid]), clock) as client:
        store.apply_snapshot(await client.sweep())
        clock.advance(2)
        rooms[1] = room(2, sid="CF-garbled")
        people[cf(1)] = [caller(1, 1), caller(2, 1, call_sid="CA-garbled")]
        snapshot = await client.sweep()
        assert snapshot.complete and snapshot.participants_dropped == {}
        store.apply_snapshot(snapshot)
    assert store.rooms[RoomKey(AC, cf(2))].ended_at is not None
    members = store.rooms[RoomKey(AC, cf(1))].members
    assert {sid for sid, member in members.items() if member.left_at is None} == {ca(1)}
