"""Screens as SVG snapshots, on a seeded world with a frozen clock (update: pytest --snapshot-update)."""

from __future__ import annotations

from tests.ui_harness import SIZE, make_app, wait_loaded


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
