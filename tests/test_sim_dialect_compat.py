"""SignalWire's LaML API and Telnyx TeXML: the 2010 API under other prefixes, auth and field sets."""

from __future__ import annotations

from confmon.model import ConferenceStatus
from confmon.sim.world import World
from tests.test_sim_wire_support import AC, FROM, TO, basic, bearer, busy_sid, live_sid, served

TWILIO_PARTICIPANT = {
    "account_sid", "call_sid", "call_sid_to_coach", "coaching", "conference_sid", "date_created", "date_updated",
    "end_conference_on_exit", "hold", "label", "muted", "queue_time", "start_conference_on_enter", "status", "uri",
}  # fmt: skip
# Reference §5.3 (Telnyx's ParticipantResource model), in its order.
TELNYX_PARTICIPANT = [
    "account_sid", "api_version", "call_sid", "call_sid_legacy", "coaching", "coaching_call_sid",
    "coaching_call_sid_legacy", "conference_sid", "date_created", "date_updated", "end_conference_on_exit", "hold",
    "muted", "status", "uri",
]  # fmt: skip


# -- SignalWire


async def test_signalwire_serves_the_2010_json_under_api_laml(world: World) -> None:
    sid = busy_sid(world)
    async with served(world, "signalwire") as wire:
        assert wire.account == f"/api/laml/2010-04-01/Accounts/{AC}"
        listed = (await wire("GET", "/Conferences.json?PageSize=2", 200)).json()
        bare = (await wire("GET", "/Conferences?PageSize=2", 200)).json()
        room = (await wire("GET", f"/Conferences/{sid}.json", 200)).json()
        people = (await wire("GET", f"/Conferences/{sid}/Participants.json", 200)).json()
        await wire("GET", "/Conferences.xml", 404)
    assert bare == listed
    # Reference §5.2: no start, end, total or num_pages in the envelope.
    assert list(listed) == ["conferences", "uri", "first_page_uri", "next_page_uri", "previous_page_uri", "page",
                            "page_size"]  # fmt: skip
    assert listed["next_page_uri"].startswith(f"/api/laml/2010-04-01/Accounts/{AC}/Conferences.json?")
    assert room["api_version"] == "2010-04-01" and room["uri"] == f"{wire.account}/Conferences/{sid}.json"
    assert "reason_conference_ended" not in room and "call_sid_ending_conference" not in room
    assert set(people["participants"][0]) == TWILIO_PARTICIPANT - {"label", "queue_time"}


async def test_signalwire_paging_walks_every_room_once(world: World) -> None:
    async with served(world, "signalwire") as wire:
        seen: list[str] = []
        uri = f"{wire.account}/Conferences.json?PageSize=3"
        while uri:
            body = (await wire("GET", uri, 200, absolute=True)).json()
            seen += [c["sid"] for c in body["conferences"]]
            uri = body["next_page_uri"]
    assert sorted(seen) == sorted(c.sid for c in world.conferences())


async def test_signalwire_actions(world: World) -> None:
    sid = busy_sid(world)
    who = next(p for p in world.participants(sid) if not p.end_conference_on_exit).call_sid
    async with served(world, "signalwire") as wire:
        path = f"/Conferences/{sid}/Participants/{who}.json"
        assert (await wire("POST", path, 200, data={"Muted": "true"})).json()["muted"] is True
        assert (await wire("POST", path, 200, data={"Hold": "true"})).json()["hold"] is True
        await wire("DELETE", path, 204)
        ended = (await wire("POST", f"/Conferences/{sid}.json", 200, data={"Status": "completed"})).json()
    assert ended["status"] == "completed" and world.conference(sid).status == ConferenceStatus.COMPLETED


async def test_signalwire_auth_is_the_project_id_and_token(world: World) -> None:
    key = ("SK" + "fedcba9876543210" * 2, "key-secret")
    async with served(world, "signalwire", api_key=key) as wire:
        for headers in (basic(AC, "wrong"), basic(*key), bearer()):
            reply = await wire("GET", "/Conferences.json", 401, headers=headers)
            assert reply.json()["code"] == 20003 and "Basic" in reply.headers["WWW-Authenticate"]
        missing = (await wire("GET", f"/Conferences/CF{'0' * 32}.json", 404)).json()
    assert missing["code"] == 20404 and missing["status"] == 404


# -- Telnyx


async def test_telnyx_serves_json_without_a_suffix_with_its_own_fields(world: World) -> None:
    sid = busy_sid(world)
    coached = world.participants(sid)[0]
    coach = world.create_participant(sid, from_=FROM, to=TO, coaching=True, call_sid_to_coach=coached.call_sid)
    async with served(world, "telnyx") as wire:
        assert wire.account == f"/v2/texml/Accounts/{AC}"
        listed = (await wire("GET", "/Conferences?PageSize=2", 200)).json()
        suffixed = (await wire("GET", "/Conferences.json?PageSize=2", 200)).json()
        room = (await wire("GET", f"/Conferences/{sid}", 200)).json()
        people = (await wire("GET", f"/Conferences/{sid}/Participants", 200)).json()
        one = (await wire("GET", f"/Conferences/{sid}/Participants/{coach.call_sid}", 200)).json()
    assert listed["conferences"] == suffixed["conferences"]
    assert list(listed) == ["conferences", "page", "page_size", "start", "end", "uri", "first_page_uri",
                            "next_page_uri"]  # fmt: skip
    assert room["api_version"] == "v2/texml"
    assert room["uri"] == f"/v2/texml/Accounts/{AC}/Conferences/{sid}.json"  # URIs say .json
    assert set(room["subresource_uris"]) == {"participants", "recordings"}
    assert list(people) == ["participants", "page", "page_size", "start", "end", "uri", "first_page_uri",
                            "next_page_uri"]  # fmt: skip
    assert all(list(p) == TELNYX_PARTICIPANT for p in people["participants"])
    assert one["coaching"] is True and one["coaching_call_sid"] == one["coaching_call_sid_legacy"] == coached.call_sid
    assert one["call_sid_legacy"] == one["call_sid"] == coach.call_sid


async def test_telnyx_actions_by_call_sid_or_label(world: World) -> None:
    sid = live_sid(world)
    world.create_participant(sid, from_=FROM, to=TO, label="agent-7")
    async with served(world, "telnyx") as wire:
        path = f"/Conferences/{sid}/Participants/agent-7"
        assert (await wire("POST", path, 200, data={"Muted": "true"})).json()["muted"] is True
        assert (await wire("POST", path, 200, data={"Hold": "true"})).json()["hold"] is True
        await wire("DELETE", path, 204)
        gone = (await wire("GET", path, 404)).json()
        ended = (await wire("POST", f"/Conferences/{sid}", 200, data={"Status": "completed"})).json()
    assert gone == {"errors": [{"code": "20404", "title": "Not Found", "detail": gone["errors"][0]["detail"]}]}
    assert ended["status"] == "completed" and ended["reason_conference_ended"] == "conference-ended-via-api"


async def test_telnyx_takes_a_bearer_key_only(world: World) -> None:
    async with served(world, "telnyx") as wire:
        for headers in (basic(AC, "sim-dialect-token"), bearer("wrong"), {"Authorization": "Bearer "}):
            reply = await wire("GET", "/Conferences", 401, headers=headers)
            assert reply.headers["WWW-Authenticate"] == "Bearer"
            assert list(reply.json()) == ["errors"] and reply.json()["errors"][0]["detail"]
        bad = (await wire("POST", f"/Conferences/{live_sid(world)}", 400, data={"Status": "paused"})).json()
        wire.server.faults.fail_next(1, status=503)
        unavailable = (await wire("GET", "/Conferences", 503)).json()
    assert bad["errors"][0]["code"] == "20001"
    assert unavailable["errors"][0]["title"] == "Service Unavailable"
