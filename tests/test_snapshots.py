"""Screens as SVG snapshots, on a seeded world with a frozen clock (update: pytest --snapshot-update)."""

from __future__ import annotations

from tests.ui_harness import SIZE, make_app, wait_loaded, world_of
from tests.waiting import wait_until


def test_main_screen(snap_compare, tmp_path):
    assert snap_compare(make_app(tmp_path / "a.jsonl"), terminal_size=SIZE, run_before=wait_loaded)


def test_participant_pane_focused_on_a_room(snap_compare, tmp_path):
    async def run_before(pilot):
        await wait_loaded(pilot)
        await pilot.press("down", "down", "tab", "down")

    assert snap_compare(make_app(tmp_path / "a.jsonl"), terminal_size=SIZE, run_before=run_before)


def test_kick_confirmation(snap_compare, tmp_path):
    async def run_before(pilot):
        await wait_loaded(pilot)
        await pilot.press("tab", "k")

    assert snap_compare(make_app(tmp_path / "a.jsonl"), terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare, tmp_path):
    async def run_before(pilot):
        await wait_loaded(pilot)
        await pilot.press("question_mark")

    assert snap_compare(make_app(tmp_path / "a.jsonl"), terminal_size=SIZE, run_before=run_before)


def test_read_only_main_screen(snap_compare, tmp_path):
    app = make_app(tmp_path / "a.jsonl", read_only=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=wait_loaded)


def test_restcomm_room_table_shows_moderator_presence(snap_compare, tmp_path):
    app = make_app(tmp_path / "a.jsonl", dialect="restcomm")
    assert snap_compare(app, terminal_size=SIZE, run_before=wait_loaded)


def test_twilio2008_room_table(snap_compare, tmp_path):
    app = make_app(tmp_path / "a.jsonl", dialect="twilio2008")
    assert snap_compare(app, terminal_size=SIZE, run_before=wait_loaded)


def test_restcomm_end_is_an_honest_kick_all(snap_compare, tmp_path):
    async def run_before(pilot):
        await wait_loaded(pilot)
        await pilot.press("e")

    assert snap_compare(make_app(tmp_path / "a.jsonl", dialect="restcomm"), terminal_size=SIZE, run_before=run_before)


def test_callbacks_live_with_someone_talking(snap_compare, tmp_path):
    app = make_app(tmp_path / "a.jsonl", callbacks=True)

    async def run_before(pilot):
        await wait_loaded(pilot)
        room = app.selected_room
        speaker = next(m.call_sid for m in room.present() if not m.participant.muted and not m.participant.hold)
        world_of(app).speak(room.conference.sid, speaker)
        await wait_until(lambda: app.selected_room.members[speaker].speaking, pilot)
        await pilot.press("tab")

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_rooms_found_by_a_pattern_and_sorted_by_people_descending(snap_compare, tmp_path):
    async def run_before(pilot):
        await wait_loaded(pilot)
        await pilot.press("slash", *"review|standup|bridge", "enter", "P", "P")
        await wait_until(lambda: pilot.app.room_sort.reverse, pilot)
        await pilot.pause()

    app = make_app(tmp_path / "a.jsonl", rooms=16)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_paused_with_changes_waiting(snap_compare, tmp_path):
    async def run_before(pilot):
        await wait_loaded(pilot)
        app = pilot.app
        await pilot.press("p")
        room = app.selected_room
        world_of(app).update_participant(room.conference.sid, next(iter(room.members)), muted=True, hold=True)
        app.clock.advance(5)
        await pilot.press("r")
        await wait_until(lambda: app._subscription.waiting > 0, pilot)
        await pilot.pause()

    assert snap_compare(make_app(tmp_path / "a.jsonl"), terminal_size=SIZE, run_before=run_before)
