"""The same keys on every dialect: each does the same thing, or is not offered and says why."""

from __future__ import annotations

import json

import pytest

from confmon.api import dialects
from confmon.model import ConferenceStatus
from confmon.ui.screens import ConfirmScreen
from tests.test_ui_keys import select_participant, sim_participant
from tests.ui_harness import SIZE, make_app, wait_loaded, world_of
from tests.waiting import wait_until

DIALECTS = ["twilio2010", "twilio2010-xml", "twilio2008", "restcomm", "signalwire", "telnyx"]


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_mute_hold_kick_on_every_dialect(tmp_path, dialect):
    caps = dialects.get(dialect).CAPABILITIES
    app = make_app(tmp_path / "audit.jsonl", dialect=dialect)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        conf, call = await select_participant(pilot, muted=False, hold=False, ends_room=False)

        await pilot.press("m")
        await wait_until(lambda: sim_participant(app, conf, call).muted, pilot)

        if caps.can_hold:
            await pilot.press("h")
            await wait_until(lambda: sim_participant(app, conf, call).hold, pilot)
        else:  # not offered: hidden from the footer, and the key does nothing
            assert app.check_action("hold", ()) is False
            await pilot.press("h")
            assert app.session.moderations == 1 and not sim_participant(app, conf, call).hold  # the mute only

        await pilot.press("k", "y")
        await wait_until(lambda: sim_participant(app, conf, call) is None, pilot)


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_end_room_on_every_dialect(tmp_path, dialect):
    caps = dialects.get(dialect).CAPABILITIES
    app = make_app(tmp_path / "audit.jsonl", dialect=dialect)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        room = app.selected_room
        conf = room.conference.sid
        names = [m.participant.display_name for m in room.present()]
        await pilot.press("e")
        assert isinstance(app.screen, ConfirmScreen)
        question = str(app.screen.question)
        if caps.can_end:
            assert "End" in question
        else:  # RestComm and 2008 have no end call: the dialog says so and names who will be kicked
            assert "cannot end a room" in question
            assert all(name in question for name in names)
        await pilot.press("y")
        await wait_until(lambda: world_of(app).conference(conf).status == ConferenceStatus.COMPLETED, pilot)
        reason = world_of(app).conference(conf).reason_conference_ended
        assert reason == ("conference-ended-via-api" if caps.can_end else "last-participant-kicked") or (
            not caps.can_end and reason == "participant-with-end-conference-on-exit-kicked"
        )


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_announce_and_room_detail_on_every_dialect(tmp_path, dialect):
    from confmon.ui.screens import AnnounceScreen, RoomDetailScreen

    caps = dialects.get(dialect).CAPABILITIES
    app = make_app(tmp_path / "audit.jsonl", dialect=dialect)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, RoomDetailScreen)
        detail = app.export_screenshot()
        assert app.selected_room.conference.sid in detail
        if not caps.has_recordings:
            assert "no recordings" in detail.replace("&#160;", " ")
        await pilot.press("escape")

        await pilot.press("a")
        if caps.can_announce_room:
            assert isinstance(app.screen, AnnounceScreen)
            await pilot.press(*"https://example.com/a.mp3", "enter")
            await wait_until(lambda: len(world_of(app).announcements) == 1, pilot)
        else:  # not offered, and the key does nothing
            assert app.check_action("announce", ()) is False
            assert not isinstance(app.screen, AnnounceScreen) and app.session.moderations == 0
            assert world_of(app).announcements == []


async def test_kick_all_kicks_only_those_confirmed(tmp_path):
    """RestComm cannot end a room: `e` kicks exactly the callers its dialog listed, not a late joiner."""
    app = make_app(tmp_path / "audit.jsonl", dialect="restcomm")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_loaded(pilot)
        # a room where no one ends it on exit, so only the kicks decide whether it ends
        key = next(
            key for key, room in app.rooms_seen.items()
            if not any(m.participant.end_conference_on_exit for m in room.members.values())
        )
        conf = key.sid
        app.rooms.move_cursor(row=app.rooms.get_row_index(key))
        await pilot.pause()
        listed = {p.call_sid for p in world_of(app).participants(conf)}
        await pilot.press("e")
        assert isinstance(app.screen, ConfirmScreen)
        late = world_of(app).create_participant(conf, from_="+15005550006", to="conf")
        await pilot.press("y")
        await wait_until(lambda: not listed & {p.call_sid for p in world_of(app).participants(conf)}, pilot)
        assert [p.call_sid for p in world_of(app).participants(conf)] == [late.call_sid]
        assert world_of(app).conference(conf).status != ConferenceStatus.COMPLETED
        await wait_until(lambda: (tmp_path / "audit.jsonl").exists(), pilot)
    record = json.loads((tmp_path / "audit.jsonl").read_text().splitlines()[-1])
    assert record["outcome"] == "failure" and "joined since and not kicked" in record["error"]
    assert len(record["target"]["call_sids"]) == len(listed)
