"""The operator's console, pressed as an operator would: `/` with a regular expression (a caller's
number, an inverted name, a broken pattern), Shift+letter on either table, an event log that stays
where it is read, and pause; checked on the rows shown."""

from __future__ import annotations

import re

from confmon.model import ConferenceStatus
from confmon.ui.app import ConfmonApp
from confmon.views import RoomView
from tests.ui_harness import SIZE, make_app, wait_loaded
from tests.waiting import wait_until


def shown_rooms(app: ConfmonApp) -> list[RoomView]:
    return [app.rooms_seen[key] for key in app.rooms.keys_shown()]


def status_line(app: ConfmonApp) -> str:
    return str(app.status_bar.render())


def every_room(app: ConfmonApp) -> list[RoomView]:
    return list(app.rooms_seen.values())


async def find(pilot, text: str) -> None:
    await pilot.press("slash", *text, "enter")
    await wait_until(lambda: pilot.app.find.text == text, pilot)


async def select_room(pilot, room: RoomView) -> None:
    app = pilot.app
    app.rooms.move_cursor(row=app.rooms.get_row_index(room.key))
    if app.rooms.highlighted_key is None:  # the find hid the row that was selected: a key brings the cursor back
        app.rooms.focus()
        await pilot.press("up")
    await wait_until(lambda: app.participants.room_key == room.key, pilot)


async def test_part_of_a_callers_number_finds_their_rooms_and_marks_them(tmp_path):
    app = make_app(tmp_path / "audit.jsonl", rooms=12)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        numbered = [(r, m) for r in every_room(app) for m in r.present() if m.participant.display_name.startswith("+1")]
        assert numbered, "the seeded world has callers known by number"
        room, member = numbered[0]
        digits = member.participant.display_name[-6:]

        def has_caller(r: RoomView) -> bool:  # what a find looks at: a hex SID may hold the digits too
            callers = (text for m in r.present() for text in (m.participant.display_name, m.call_sid))
            texts = [r.name, r.conference.sid, *callers]
            return any(digits in text for text in texts)

        await find(pilot, digits)
        expected = {r.key for r in every_room(app) if has_caller(r)}
        await wait_until(lambda: set(app.rooms.keys_shown()) == expected, pilot)
        assert room.key in expected and len(expected) < len(app.rooms_seen)

        await select_room(pilot, room)
        assert "underline" in app.participants.get_cell(member.call_sid, "name").style
        others = [m for m in room.present() if digits not in m.participant.display_name]
        assert others and all("underline" not in app.participants.get_cell(m.call_sid, "name").style for m in others)


async def test_a_leading_bang_inverts_and_a_broken_pattern_is_plain_text(tmp_path):
    app = make_app(tmp_path / "audit.jsonl", rooms=12)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        total = len(app.rooms_seen)
        victim = next(r for r in shown_rooms(app) if r.name.replace(" ", "").isalnum())
        namesakes = sum(r.name == victim.name for r in every_room(app))
        await find(pilot, f"!^{victim.name}$")
        await wait_until(lambda: app.rooms.row_count == total - namesakes, pilot)
        assert victim.key not in app.rooms.keys_shown()

        await pilot.press("slash", "escape")
        await wait_until(lambda: app.rooms.row_count == total, pilot)
        await find(pilot, "dial-in (")  # not a pattern: matched as the text it is
        await wait_until(lambda: "not a valid pattern" in str(app.rooms_pane.border_title), pilot)
        assert shown_rooms(app) and all("dial-in (" in r.name.lower() for r in shown_rooms(app))


async def test_shift_letters_sort_the_rooms_and_again_reverses_and_the_cursor_stays(tmp_path):
    app = make_app(tmp_path / "audit.jsonl", rooms=12)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        live = [r.conference.status is ConferenceStatus.IN_PROGRESS for r in shown_rooms(app)]
        assert live == sorted(live, reverse=True)  # the default order: live rooms first
        app.rooms.move_cursor(row=3)
        await pilot.pause()
        selected = app.rooms.highlighted_key

        def names() -> list[str]:
            return [r.name.casefold() for r in shown_rooms(app)]

        await pilot.press("N")
        await wait_until(lambda: names() == sorted(names()), pilot)
        assert app.rooms.highlighted_key == selected
        await pilot.press("N")
        await wait_until(lambda: names() == sorted(names(), reverse=True), pilot)
        assert app.rooms.highlighted_key == selected

        def counts() -> list[int]:
            return [r.participant_count for r in shown_rooms(app)]

        await pilot.press("P")
        await wait_until(lambda: app.rooms._sorted_by == ("people", False) and counts() == sorted(counts()), pilot)
        assert app.rooms.highlighted_key == selected and app.room_sort.column == "people"


async def test_shift_letters_sort_the_participants_when_that_pane_has_the_focus(tmp_path):
    app = make_app(tmp_path / "audit.jsonl", rooms=12)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        busiest = max(every_room(app), key=lambda r: r.participant_count)
        await select_room(pilot, busiest)
        rooms_before = app.rooms.keys_shown()

        def members():
            room = app.rooms_seen[busiest.key]
            return [room.members[key].participant for key in app.participants.keys_shown()]

        await pilot.press("tab", "N")
        await wait_until(lambda: [p.display_name.casefold() for p in members()] == sorted(
            p.display_name.casefold() for p in members()
        ), pilot)
        await pilot.press("M")
        await wait_until(lambda: [p.muted for p in members()] == sorted(p.muted for p in members()), pilot)
        assert app.member_sort.column == "muted"
        await pilot.press("P")  # the participants have no such column: nothing moves
        assert app.rooms.keys_shown() == rooms_before and app.room_sort.column is None


async def test_the_event_log_stops_following_while_scrolled_up_and_end_resumes(tmp_path):
    from confmon.views import LogEntry, LogKind

    app = make_app(tmp_path / "audit.jsonl", rooms=12)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        log = app.event_log

        def write(count: int, start: int) -> None:
            log.add(LogEntry(0.0, LogKind.INFO, f"line {n}") for n in range(start, start + count))

        write(200, 0)
        await wait_until(lambda: log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y, pilot)
        log.focus()
        await pilot.press("home")
        await wait_until(lambda: log.scroll_y == 0 and log.border_subtitle == log.NOT_FOLLOWING, pilot)
        longest = log.max_scroll_y
        write(50, 200)
        await wait_until(lambda: log.max_scroll_y > longest, pilot)  # the lines are in...
        await pilot.pause()
        assert log.scroll_y == 0  # ...and the log is still where the operator is reading

        await pilot.press("end")
        await wait_until(lambda: log.scroll_y == log.max_scroll_y and not log.border_subtitle, pilot)
        write(50, 250)
        await wait_until(lambda: log.scroll_y == log.max_scroll_y, pilot)  # following again


async def test_pause_freezes_the_screen_while_the_state_moves_on_and_resume_shows_it_at_once(tmp_path):
    from tests.ui_harness import clock_of, world_of

    app = make_app(tmp_path / "audit.jsonl", rooms=12)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        room = app.selected_room
        assert room is not None
        caller = next(m for m in room.present() if not m.participant.muted)
        shown_before = app.participants.get_cell(caller.call_sid, "muted").plain
        await pilot.press("p")
        assert app.paused and "PAUSED" in str(app.rooms_pane.border_title)

        world_of(app).update_participant(room.conference.sid, caller.call_sid, muted=True)
        clock_of(app).advance(5)
        await pilot.press("r")

        def in_state() -> bool:
            return app.session.rooms()[room.key].members[caller.call_sid].participant.muted

        await wait_until(in_state, pilot)  # the data flowed into the state, and the app was told...
        await wait_until(lambda: re.search(r"PAUSED · \d+ changes? waiting", status_line(app)) is not None, pilot)
        assert not app.rooms_seen[room.key].members[caller.call_sid].participant.muted  # ...not onto the screen
        assert app.participants.get_cell(caller.call_sid, "muted").plain == shown_before

        await pilot.press("p")
        await wait_until(lambda: app.rooms_seen[room.key].members[caller.call_sid].participant.muted, pilot)
        assert app.participants.get_cell(caller.call_sid, "muted").plain != shown_before
        assert not app.paused and "PAUSED" not in status_line(app)


async def test_a_find_that_hides_the_selected_room_moves_the_selection_to_its_neighbour_and_says_so(tmp_path):
    app = make_app(tmp_path / "audit.jsonl", rooms=12)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        rows = shown_rooms(app)
        kept = next(r for r in rows if r.name.replace(" ", "").isalnum())
        await select_room(pilot, kept)
        await find(pilot, kept.name[:4])  # still shown: the selection stays
        await wait_until(lambda: app.rooms.row_count < len(rows), pilot)
        assert app.rooms.highlighted_key == kept.key

        await pilot.press("slash", "escape")
        await wait_until(lambda: app.rooms.row_count == len(rows), pilot)
        await select_room(pilot, kept)
        await find(pilot, f"!^{kept.name}$")  # hides it
        await wait_until(lambda: kept.key not in app.rooms.keys_shown(), pilot)
        await wait_until(lambda: app.rooms.highlighted_key is not None, pilot)
        assert app.participants.room_key == app.rooms.highlighted_key  # the panes agree on the new one
        told = [n.message for n in app._notifications]
        assert any(m.startswith("selection moved to ") and m.endswith(f"the find hides {kept.name}") for m in told)


async def test_marked_participants_are_acted_on_together_after_a_dialog_that_lists_them(tmp_path):
    from confmon.ui.screens import ConfirmScreen
    from tests.ui_harness import world_of

    app = make_app(tmp_path / "audit.jsonl", rooms=12)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        room = max(every_room(app), key=lambda r: sum(not m.participant.muted for m in r.present()))
        await select_room(pilot, room)
        unmuted = [m.call_sid for m in room.present() if not m.participant.muted][:2]
        assert len(unmuted) == 2
        await pilot.press("space")  # in the rooms pane: marks are for participants
        assert not app.marks and any(n.message.startswith("marks are for participants") for n in app._notifications)

        await pilot.press("tab")
        for call_sid in unmuted:
            app.participants.move_cursor(row=app.participants.get_row_index(call_sid))
            await pilot.press("space")
        assert [call_sid for _, call_sid in app.marks] == unmuted
        assert "2 marked" in str(app.participants.border_title)
        assert app.participants.get_cell(unmuted[0], "name").plain.startswith("✓ ")

        await pilot.press("m")
        assert isinstance(app.screen, ConfirmScreen)
        asked = app.screen.question.plain
        assert "Mute 2 participants?" in asked
        assert all(room.members[c].participant.display_name in asked for c in unmuted)
        await pilot.press("y")

        def muted_in_the_simulator() -> bool:
            truth = {p.call_sid: p.muted for p in world_of(app).participants(room.conference.sid)}
            return all(truth[c] for c in unmuted)

        await wait_until(muted_in_the_simulator, pilot)
        assert not app.marks
        audit = tmp_path / "audit.jsonl"
        await wait_until(lambda: audit.exists() and len(audit.read_text().splitlines()) == 2, pilot)  # one each


async def test_a_range_of_marks_and_clearing_them(tmp_path):
    app = make_app(tmp_path / "audit.jsonl", rooms=12)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        room = max(every_room(app), key=lambda r: r.participant_count)
        await select_room(pilot, room)
        await pilot.press("tab")
        rows = app.participants.keys_shown()
        app.participants.move_cursor(row=0)
        await pilot.press("space")
        app.participants.move_cursor(row=3)
        await pilot.press("ctrl+@")  # what a terminal sends for ctrl+space
        assert [call_sid for _, call_sid in app.marks] == rows[:4]
        await pilot.press("ctrl+backslash")
        assert not app.marks and "marked" not in str(app.participants.border_title)


async def test_mute_everyone_but_the_hosts_in_one_command(tmp_path):
    from confmon.ui.screens import ConfirmScreen
    from tests.ui_harness import world_of

    app = make_app(tmp_path / "audit.jsonl", rooms=12)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        world = world_of(app)
        room = max(every_room(app), key=lambda r: sum(not m.participant.muted for m in r.present()))
        present = list(room.present())
        host = next(m for m in present if not m.participant.muted)
        world.update_participant(room.conference.sid, host.call_sid, end_conference_on_exit=True)
        app.clock.advance(5)
        await pilot.press("r")
        def hosting() -> bool:
            return app.rooms_seen[room.key].members[host.call_sid].participant.end_conference_on_exit

        await wait_until(hosting, pilot)
        await select_room(pilot, room)

        await pilot.press("o")
        assert isinstance(app.screen, ConfirmScreen)
        assert host.participant.display_name not in app.screen.question.plain.split("?", 1)[1]
        await pilot.press("y")

        def others_muted() -> bool:
            truth = {p.call_sid: p for p in world.participants(room.conference.sid)}
            return all(p.muted for c, p in truth.items() if c != host.call_sid)

        await wait_until(others_muted, pilot)
        assert not next(p for p in world.participants(room.conference.sid) if p.call_sid == host.call_sid).muted


async def test_the_palette_offers_confmons_commands_and_not_textuals_key_panel(tmp_path):
    app = make_app(tmp_path / "audit.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Keys" not in titles
        assert {"Details", "Find", "Pause", "Mark", "Sort by name", "Mute all but hosts", "Quit"} <= set(titles)
        await pilot.press("ctrl+p", *"Details", "enter")
        from confmon.ui.screens import RoomDetailScreen

        await wait_until(lambda: isinstance(app.screen, RoomDetailScreen), pilot)


async def test_ctrl_s_saves_the_rooms_on_screen_as_shown_in_csv_and_json(tmp_path):
    import csv
    import json
    import stat

    app = make_app(tmp_path / "audit.jsonl", rooms=12)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        await find(pilot, "review|standup")
        await pilot.press("N", "N")  # by name, Z to A
        await wait_until(lambda: app.room_sort.reverse, pilot)
        await pilot.pause()
        shown = shown_rooms(app)
        await pilot.press("ctrl+s")
        exports = tmp_path / "exports"
        await wait_until(lambda: len(list(exports.glob("rooms-*"))) == 2, pilot)
        await wait_until(lambda: any(n.message.startswith("saved ") for n in app._notifications), pilot)

    table = next(exports.glob("rooms-*.csv"))
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert [row["sid"] for row in rows] == [room.conference.sid for room in shown]  # found and sorted as shown
    assert [int(row["participants"]) for row in rows] == [room.participant_count for room in shown]
    document = json.loads(next(exports.glob("rooms-*.json")).read_text(encoding="utf-8"))
    assert [r["sid"] for r in document] == [room.conference.sid for room in shown]
    assert all(len(r["participants"]) == room.participant_count for r, room in zip(document, shown, strict=True))
    assert stat.S_IMODE(table.stat().st_mode) == 0o600


async def test_a_row_that_changes_is_coloured_for_a_few_seconds_but_not_the_first_load(tmp_path):
    from tests.ui_harness import clock_of, world_of

    app = make_app(tmp_path / "audit.jsonl", rooms=12)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert all(not app.rooms.get_cell(key, "name").style for key in app.rooms.keys_shown())  # loaded, not news
        room = app.selected_room
        assert room is not None
        caller = next(m for m in room.present() if not m.participant.muted)
        world_of(app).update_participant(room.conference.sid, caller.call_sid, muted=True)
        clock_of(app).advance(1)
        await pilot.press("r")
        changed = app.flash.changed
        await wait_until(lambda: str(app.rooms.get_cell(room.key, "name").style) == changed, pilot)
        assert changed in str(app.participants.get_cell(caller.call_sid, "name").style)
        others = [key for key in app.rooms.keys_shown() if key != room.key]
        assert all(not app.rooms.get_cell(key, "name").style for key in others)

        clock_of(app).advance(5)  # the tick redraws every row: the colour is gone
        await wait_until(lambda: not app.rooms.get_cell(room.key, "name").style, pilot)


async def test_a_marked_caller_who_leaves_is_no_longer_a_target(tmp_path):
    from tests.ui_harness import clock_of, world_of

    app = make_app(tmp_path / "audit.jsonl", rooms=12)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        room = max(every_room(app), key=lambda r: r.participant_count)
        await select_room(pilot, room)
        await pilot.press("tab")
        leaving = app.participants.keys_shown()[0]
        app.participants.move_cursor(row=0)
        await pilot.press("space")
        assert app.marks
        world_of(app).remove_participant(room.conference.sid, leaving, reason="left")
        clock_of(app).advance(5)
        await pilot.press("r")
        await wait_until(lambda: not app.marks, pilot)
        assert "marked" not in str(app.participants.border_title)


async def test_callers_on_screen_are_identified_from_the_calls_resource_and_found_by_number(tmp_path):
    from tests.ui_harness import clock_of, world_of

    app = make_app(tmp_path / "audit.jsonl", rooms=12)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        room = app.selected_room
        assert room is not None
        truth = {m.call_sid: world_of(app).call(m.call_sid) for m in room.present()}

        def identified() -> bool:
            members = app.rooms_seen[room.key].members
            return all(members[sid].call is not None for sid in truth)

        for _ in range(5):  # a few ticks: callers are identified on a budget, the room on screen first
            if identified():
                break
            clock_of(app).advance(1)
            await pilot.pause(0.1)
        await wait_until(identified, pilot)
        for sid, leg in truth.items():
            assert app.participants.get_cell(sid, "number").plain.strip() == (leg.from_ or "–")

        named = [(sid, leg) for sid, leg in truth.items() if leg.caller_name]
        labels = {m.participant.label for m in room.present()}
        number_only = next(leg for leg in truth.values() if leg.from_.startswith("+") and leg.from_ not in labels)
        await find(pilot, number_only.from_[-7:])  # the number calling, which no label on screen holds
        await wait_until(lambda: room.key in app.rooms.keys_shown(), pilot)
        if named:
            sid, leg = named[0]
            assert app.rooms_seen[room.key].members[sid].name in (leg.caller_name, room.members[sid].participant.label)
