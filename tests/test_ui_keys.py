"""Every key binding, pressed as an operator would, checked against the simulator's own state."""

from __future__ import annotations

import json

from confmon.model import Action, ConferenceStatus
from confmon.ui.screens import ConfirmScreen, HelpScreen, RoomDetailScreen
from tests.ui_harness import SIZE, clock_of, make_app, room, simulator, wait_loaded, world_of
from tests.waiting import wait_until


def sim_participant(app, conference_sid, call_sid):
    """The simulator's truth for one participant, or None once they are gone."""
    call_sid = call_sid.rpartition("-")[2]  # RestComm's call ids put an instance id before the CA sid
    for p in world_of(app).participants(conference_sid):
        if p.call_sid == call_sid:
            return p
    return None


async def select_participant(
    pilot, *, muted: bool | None = None, hold: bool | None = None, ends_room: bool | None = None
) -> tuple[str, str]:
    """Put the participant pane's cursor on a present participant matching the flags."""
    app = pilot.app
    app.participants.focus()
    selected = app.selected_room
    for member in selected.present():
        p = member.participant
        wanted = (muted, hold, ends_room)
        actual = (p.muted, p.hold, p.end_conference_on_exit)
        if all(w is None or w == a for w, a in zip(wanted, actual, strict=True)):
            app.participants.move_cursor(row=app.participants.get_row_index(member.call_sid))
            await pilot.pause()
            return selected.conference.sid, member.call_sid
    raise AssertionError("no participant with those flags in the selected room")


def audit_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_mute_and_unmute(tmp_path):
    app = make_app(tmp_path / "audit.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        conf, call = await select_participant(pilot, muted=False)
        await pilot.press("m")
        await wait_until(lambda: sim_participant(app, conf, call).muted, pilot)
        await wait_until(lambda: room(app, conf).members[call].participant.muted, pilot)
        await pilot.press("u")
        await wait_until(lambda: not sim_participant(app, conf, call).muted, pilot)
    records = audit_lines(tmp_path / "audit.jsonl")
    assert [(r["action"], r["outcome"]) for r in records] == [("mute", "success"), ("unmute", "success")]
    assert records[0]["target"]["call_sid"] == call


async def test_hold_toggles(tmp_path):
    app = make_app(tmp_path / "audit.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        conf, call = await select_participant(pilot, hold=False)
        await pilot.press("h")
        await wait_until(lambda: sim_participant(app, conf, call).hold, pilot)
        await wait_until(lambda: room(app, conf).members[call].participant.hold, pilot)
        await pilot.press("h")
        await wait_until(lambda: not sim_participant(app, conf, call).hold, pilot)


async def test_kick_asks_first_and_cancel_keeps_the_caller(tmp_path):
    app = make_app(tmp_path / "audit.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        conf, call = await select_participant(pilot)
        await pilot.press("k")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # the focused button is Cancel: a stray Enter does no harm
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.session.moderations == 0 and sim_participant(app, conf, call) is not None
        await pilot.press("k")
        await pilot.press("y")
        await wait_until(lambda: sim_participant(app, conf, call) is None, pilot)
        await wait_until(lambda: room(app, conf).members[call].left_at is not None, pilot)


async def test_end_room_asks_first(tmp_path):
    app = make_app(tmp_path / "audit.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        conf = app.selected_room.conference.sid
        await pilot.press("e")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert world_of(app).conference(conf).status == ConferenceStatus.IN_PROGRESS
        await pilot.press("e", "y")
        await wait_until(lambda: world_of(app).conference(conf).status == ConferenceStatus.COMPLETED, pilot)
        assert world_of(app).conference(conf).reason_conference_ended == "conference-ended-via-api"
        await wait_until(lambda: room(app, conf).ended_at is not None, pilot)


async def test_filter_refresh_tab_help_quit(tmp_path):
    app = make_app(tmp_path / "audit.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        total = app.rooms.row_count
        name = next(iter(app.rooms_seen.values())).conference.friendly_name
        await pilot.press("slash", *name, "enter")
        await wait_until(lambda: app.rooms.row_count < total, pilot)
        assert all(
            name.casefold() in app.rooms_seen[key].conference.friendly_name.casefold()
            for key in app.rooms._shown
        )
        await pilot.press("slash", "escape")
        await wait_until(lambda: app.rooms.row_count == total, pilot)

        polls = app.status.health.last_success_at
        clock_of(app).advance(5)
        await pilot.press("r")
        await wait_until(lambda: app.status.health.last_success_at != polls, pilot)

        assert app.focused is app.rooms
        await pilot.press("tab")
        assert app.focused is app.participants

        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("q")
    assert app.return_code == 0


async def test_read_only_hides_and_refuses_every_write_key(tmp_path):
    app = make_app(tmp_path / "audit.jsonl", read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        conf, call = await select_participant(pilot, muted=False)
        for action in ("mute", "unmute", "hold", "kick", "end"):
            assert app.check_action(action, ()) is False
        shown = {binding.action for (_, binding, enabled, _) in app.active_bindings.values() if binding.show}
        assert not shown & {"mute", "unmute", "hold", "kick", "end"}
        await pilot.press("m", "h", "k", "e")
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.session.moderations == 0
        truth = sim_participant(app, conf, call)
        assert truth is not None and not truth.muted and not truth.hold
        assert world_of(app).conference(conf).status == ConferenceStatus.IN_PROGRESS


async def test_hostile_names_are_shown_as_text(tmp_path):
    """A room named like markup or a terminal escape must not act: no quit, no crash, no escape."""
    app = make_app(tmp_path / "audit.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        world = world_of(app)
        for name in ("[@click=app.quit]boom[/]", "weekly [/] sync", "\x1b]0;PWNED\x07title", "[bold red]red"):
            world.create_participant(name, from_="+15005550006", to="conf", label="[@click=app.quit]x")
        clock_of(app).advance(1)
        await pilot.press("r")
        await wait_until(lambda: any("PWNED" in r.conference.friendly_name for r in app.rooms_seen.values()), pilot)
        await pilot.pause()
        for row in range(app.rooms.row_count):  # a click on a markup action would run it
            await pilot.click(app.rooms, offset=(3, row + 1))
            if isinstance(app.screen, RoomDetailScreen):  # a click on the highlighted row opens it
                await pilot.press("escape")
        hostile = next(key for key, r in app.rooms_seen.items() if r.conference.friendly_name.startswith("[@click"))
        app.rooms.move_cursor(row=app.rooms.get_row_index(hostile))
        await pilot.pause()
        app.participants.focus()
        await pilot.press("k")  # the confirmation names both the label and the room
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.pause()
        svg = app.export_screenshot()
        await pilot.press("n")
        assert app.is_running
        assert "\x1b" not in svg and "PWNED\x07" not in svg
        shown = svg.replace("&#160;", " ")
        assert "[@click=app.quit]boom[/]" in shown  # the room title and the dialog, as literal text
        assert "[@click=app.quit]x" in shown and "Kick" in shown


async def test_network_faults_show_on_the_status_bar_and_never_exit(tmp_path):
    app = make_app(tmp_path / "audit.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        loaded_at = app.status.health.last_success_at
        simulator(app).faults.fail_next(1000, status=503)
        clock_of(app).advance(30)
        await pilot.press("r")
        await wait_until(lambda: app.status.health.last_error is not None, pilot)
        await pilot.pause()
        status = str(app.query_one("#status").render())
        assert "30s ago" in status and "⚠" in status and "503" in status
        assert app.rooms.row_count > 0  # the last good data stays on screen
        simulator(app).faults.clear()
        app.session.refresh_now()
        await wait_until(lambda: app.status.health.last_error is None, pilot, within=40)
        assert app.status.health.last_success_at > loaded_at
        assert app.is_running


async def test_the_secret_never_reaches_the_screen_or_the_audit_log(tmp_path):
    from confmon.audit import AuditLog
    from confmon.backend import open_backend
    from confmon.clock import FrozenClock
    from confmon.config import Connection, Credentials
    from confmon.launch import make_app as launch_app
    from confmon.secret import Secret
    from confmon.sim.server import SimServer
    from confmon.sim.world import World

    token = "tok-" + "7e" * 14
    clock = FrozenClock()
    sid = "AC" + "ab" * 16
    server = SimServer(World(1, clock, sid, target_rooms=3, traffic=False), auth_token=token)
    url = await server.start(port=0)
    try:
        audit = AuditLog(tmp_path / "a.jsonl", clock=clock)
        connection = Connection(url, Credentials(sid, sid, Secret(token)))
        backend = open_backend(connection, audit=audit, read_only=False, clock=clock)
        app = launch_app(backend, clock=clock, interval=0.25)
        async with app.run_test(size=SIZE) as pilot:
            await wait_loaded(pilot)
            await pilot.press("tab", "m", "k", "y")
            audit_file = tmp_path / "a.jsonl"
            await wait_until(lambda: audit_file.exists() and audit_file.read_text().count("\n") == 2, pilot)
            assert token not in app.export_screenshot()
            assert token not in repr(app.session.backend.client) and token not in repr(connection)
        assert (tmp_path / "a.jsonl").read_text().count("\n") == 2
        assert token not in (tmp_path / "a.jsonl").read_text()
    finally:
        await server.stop()


async def test_participant_keys_do_nothing_from_the_rooms_pane(tmp_path):
    app = make_app(tmp_path / "audit.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        conf = app.selected_room.conference.sid
        before = {p.call_sid: (p.muted, p.hold) for p in world_of(app).participants(conf)}
        assert app.focused is app.rooms
        for action in ("mute", "unmute", "hold", "kick"):
            assert app.check_action(action, ()) is None  # shown greyed, not acted on
        await pilot.press("m", "u", "h", "k")
        assert not isinstance(app.screen, ConfirmScreen) and app.session.moderations == 0
        assert {p.call_sid: (p.muted, p.hold) for p in world_of(app).participants(conf)} == before
        assert not (tmp_path / "audit.jsonl").exists()
        told = [n.message for n in app._notifications]
        assert told and all(message.startswith("select a participant first: tab") for message in told)


async def test_a_vanished_row_leaves_no_selection_until_the_cursor_moves(tmp_path):
    app = make_app(tmp_path / "audit.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        conf, call = await select_participant(pilot, ends_room=False)
        world_of(app).remove_participant(conf, call, reason="left")
        clock_of(app).advance(1)
        app.session.refresh_now()
        await wait_until(lambda: room(app, conf).members[call].left_at is not None, pilot)
        clock_of(app).advance(60)  # past the departed retention: the row goes
        await wait_until(lambda: call not in app.participants._shown, pilot)
        assert app.participant_target() is None
        muted_before = {p.call_sid for p in world_of(app).participants(conf) if p.muted}
        await pilot.press("m")
        assert app.session.moderations == 0
        assert {p.call_sid for p in world_of(app).participants(conf) if p.muted} == muted_before
        assert not (tmp_path / "audit.jsonl").exists()
        await pilot.press("down")
        assert app.participant_target() is not None


async def test_actions_from_the_command_palette(tmp_path):
    app = make_app(tmp_path / "audit.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        conf, call = await select_participant(pilot, muted=False)
        await pilot.press("ctrl+p", *"Mute", "enter")
        await wait_until(lambda: sim_participant(app, conf, call).muted, pilot)


async def test_an_unwritable_audit_log_is_said_out_loud(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    app = make_app(blocker / "audit.jsonl")  # a path under a regular file cannot be created
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_loaded(pilot)
        conf, call = await select_participant(pilot, muted=False)
        await pilot.press("m")
        await wait_until(lambda: sim_participant(app, conf, call).muted, pilot)
        await wait_until(lambda: "audit log not written" in str(app.query_one("#status").render()), pilot)


async def test_announce_to_a_participant_and_to_a_room(tmp_path):
    from confmon.ui.screens import AnnounceScreen

    app = make_app(tmp_path / "audit.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        conf, call = await select_participant(pilot)
        await pilot.press("a")
        assert isinstance(app.screen, AnnounceScreen)
        await pilot.press(*"https://example.com/hello.mp3", "enter")
        await wait_until(lambda: (tmp_path / "audit.jsonl").exists(), pilot)
        app.rooms.focus()
        await pilot.press("a")
        await pilot.press(*"https://example.com/all.mp3", "enter")
        await wait_until(lambda: len(audit_lines(tmp_path / "audit.jsonl")) == 2, pilot)
    records = audit_lines(tmp_path / "audit.jsonl")
    assert [(r["action"], r["outcome"], r["target"]["call_sid"]) for r in records] == [
        ("announce", "success", call),
        ("announce", "success", None),
    ]
    announced = world_of(app).announcements
    assert [(a.conference_sid, a.call_sid, a.url) for a in announced] == [
        (conf, call, "https://example.com/hello.mp3"),
        (conf, None, "https://example.com/all.mp3"),
    ]


async def test_a_key_on_a_caller_with_an_action_in_flight_sends_nothing_and_says_so(tmp_path):
    audit = tmp_path / "audit.jsonl"
    app = make_app(audit)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        conf, call = await select_participant(pilot, muted=False)
        simulator(app).faults.delay_next(1, 1.0)  # the mute's POST takes a second
        await pilot.press("m")
        await wait_until(lambda: room(app, conf).members[call].pending is Action.MUTE, pilot)
        await pilot.press("m", "u")  # while "muting…": neither may be sent
        await wait_until(lambda: audit.exists(), pilot)
        await wait_until(lambda: room(app, conf).members[call].pending is None, pilot)
        assert sim_participant(app, conf, call).muted  # the unmute did not race the mute
        assert app.session.moderations == 3
        assert [json.loads(line)["action"] for line in audit.read_text().splitlines()] == ["mute"]
        log = "\n".join(entry.text for entry in app.event_log.entries)
        assert "unmute" in log and "not sent: its mute is still in flight" in log
