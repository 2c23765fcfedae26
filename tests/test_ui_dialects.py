"""The same keys on every dialect: each does the same thing, or is not offered and says why."""

from __future__ import annotations

import pytest

from confmon.api import dialects
from confmon.model import ConferenceStatus
from confmon.ui.screens import ConfirmScreen
from tests.test_ui_keys import select_participant, sim_participant, world_of
from tests.ui_harness import SIZE, make_app, wait_loaded, wait_until

DIALECTS = ["twilio2010", "twilio2010-xml", "twilio2008", "restcomm", "signalwire", "telnyx"]


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_mute_hold_kick_on_every_dialect(tmp_path, dialect):
    caps = dialects.get(dialect).CAPABILITIES
    app = make_app(tmp_path / "audit.jsonl", dialect=dialect)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        conf, call = await select_participant(pilot, muted=False, hold=False, ends_room=False)

        await pilot.press("m")
        await wait_until(pilot, lambda: sim_participant(app, conf, call).muted)

        if caps.can_hold:
            await pilot.press("h")
            await wait_until(pilot, lambda: sim_participant(app, conf, call).hold)
        else:  # not offered: hidden from the footer, and the key does nothing
            assert app.check_action("hold", ()) is False
            await pilot.press("h")
            await pilot.pause(0.3)
            assert not sim_participant(app, conf, call).hold

        await pilot.press("k", "y")
        await wait_until(pilot, lambda: sim_participant(app, conf, call) is None)


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_end_room_on_every_dialect(tmp_path, dialect):
    caps = dialects.get(dialect).CAPABILITIES
    app = make_app(tmp_path / "audit.jsonl", dialect=dialect)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        room = app.selected_room
        conf = room.conference.sid
        names = [m.participant.display_name for m in room.members.values() if m.left_at is None]
        await pilot.press("e")
        assert isinstance(app.screen, ConfirmScreen)
        question = str(app.screen.question)
        if caps.can_end:
            assert "End" in question
        else:  # RestComm and 2008 have no end call: the dialog says so and names who will be kicked
            assert "cannot end a room" in question
            assert all(name in question for name in names)
        await pilot.press("y")
        await wait_until(pilot, lambda: world_of(app).conference(conf).status == ConferenceStatus.COMPLETED)
        reason = world_of(app).conference(conf).reason_conference_ended
        assert reason == ("conference-ended-via-api" if caps.can_end else "last-participant-kicked") or (
            not caps.can_end and reason == "participant-with-end-conference-on-exit-kicked"
        )
