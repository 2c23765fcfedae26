"""Announcements (AnnounceUrl) to a room and to a participant, in every 2010-style dialect."""

from __future__ import annotations

import pytest

from confmon.sim.world import World, WorldEvent
from tests.test_sim_wire_support import busy_sid, served, texts

DIALECTS = [("twilio2010", ".json"), ("twilio2010", ""), ("signalwire", ".json"), ("telnyx", "")]


def heard(world: World) -> list[WorldEvent]:
    events: list[WorldEvent] = []
    world.listeners.append(events.append)
    return events


def body_of(reply, suffix: str, dialect: str) -> dict:
    if dialect == "twilio2010" and suffix == "":
        return {k: v for k, v in texts(reply.xml()[0]).items()}
    return reply.json()


@pytest.mark.parametrize(("dialect", "suffix"), DIALECTS)
async def test_announce_to_a_room(world: World, dialect: str, suffix: str) -> None:
    sid = busy_sid(world)
    events = heard(world)
    async with served(world, dialect) as wire:
        reply = await wire("POST", f"/Conferences/{sid}{suffix}", 200, data={"AnnounceUrl": "https://example.com/a.mp3"})
    body = body_of(reply, suffix, dialect)
    assert body.get("sid", body.get("Sid")) == sid
    (announcement,) = world.announcements
    assert (announcement.conference_sid, announcement.call_sid) == (sid, None)
    assert (announcement.url, announcement.method) == ("https://example.com/a.mp3", "POST")
    assert [e.kind for e in events] == ["announcement-end"]
    assert events[0].announcement == announcement and events[0].participant is None
    assert world.conference(sid).status == "in-progress"  # an announcement changes nothing else


@pytest.mark.parametrize(("dialect", "suffix"), DIALECTS)
async def test_announce_to_a_participant(world: World, dialect: str, suffix: str) -> None:
    sid = busy_sid(world)
    who = world.participants(sid)[1]
    events = heard(world)
    async with served(world, dialect) as wire:
        form = {"AnnounceUrl": "http://example.com/twiml", "AnnounceMethod": "get"}
        await wire("POST", f"/Conferences/{sid}/Participants/{who.call_sid}{suffix}", 200, data=form)
    (announcement,) = world.announcements
    assert (announcement.call_sid, announcement.method) == (who.call_sid, "GET")
    assert [e.kind for e in events] == ["announcement-end"] and events[0].participant.call_sid == who.call_sid
    assert world.participant(sid, who.call_sid) == who


@pytest.mark.parametrize("url", ["ftp://example.com/a.mp3", "example.com/a.mp3", "http://", "https:///x", "", "http://[::1"])
async def test_an_announce_url_must_be_http_or_https(world: World, url: str) -> None:
    sid = busy_sid(world)
    who = next(p for p in world.participants(sid) if not p.muted).call_sid
    async with served(world, "twilio2010") as wire:
        room = (await wire("POST", f"/Conferences/{sid}.json", 400, data={"AnnounceUrl": url})).json()
        person = (await wire("POST", f"/Conferences/{sid}/Participants/{who}.json", 400,
                             data={"AnnounceUrl": url, "Muted": "true"})).json()  # fmt: skip
    assert room["code"] == person["code"] == 21205
    assert world.announcements == [] and not world.participant(sid, who).muted  # refused before anything


async def test_a_bad_method_or_a_completed_room_is_refused(world: World) -> None:
    sid = busy_sid(world)
    done = next(c.sid for c in world.conferences() if c.status == "completed")
    async with served(world, "telnyx") as wire:
        bad = (await wire("POST", f"/Conferences/{sid}", 400,
                          data={"AnnounceUrl": "https://example.com/a", "AnnounceMethod": "PUT"})).json()  # fmt: skip
        over = (await wire("POST", f"/Conferences/{done}", 400, data={"AnnounceUrl": "https://example.com/a"})).json()
    assert "AnnounceMethod" in bad["errors"][0]["detail"] and "not in progress" in over["errors"][0]["detail"]
    assert world.announcements == []


async def test_announce_and_end_together_announce_first(world: World) -> None:
    sid = busy_sid(world)
    events = heard(world)
    async with served(world, "twilio2010") as wire:
        ended = {"AnnounceUrl": "https://example.com/bye.mp3", "Status": "completed"}
        body = (await wire("POST", f"/Conferences/{sid}.json", 200, data=ended)).json()
    assert body["status"] == "completed"
    assert events[0].kind == "announcement-end" and events[-1].kind == "conference-end"
