"""Status callbacks in the running app: the simulator's signed callbacks reach the screen without a
poll, refused ones change nothing, and the status bar says where the data came from."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import aiohttp
import pytest

from confmon.backend import DEMO_PUBLIC_URL
from confmon.model import Snapshot
from confmon.sim.callbacks import rfc2822, sign
from confmon.ui.app import ConfmonApp
from tests.ui_harness import DEMO_TOKEN, SIZE, clock_of, make_app, room, wait_loaded, world_of
from tests.waiting import wait_until

LATE = 10_000  # a SequenceNumber above anything the frozen world numbers during a test


def cell(app: ConfmonApp, call_sid: str, column: str) -> str:
    return app.participants.get_cell(call_sid, column).plain


def status(app: ConfmonApp) -> str:
    return str(app.status_bar.render())


def log_lines(app: ConfmonApp) -> list[str]:
    return [entry.text for entry in app.event_log.entries]


def count_sweeps(app: ConfmonApp) -> list[Snapshot]:
    """Every sweep the app makes from now on."""
    client = app.session.backend.client
    sweep: Callable = client.sweep
    made: list[Snapshot] = []

    async def counted(**kw) -> Snapshot:
        made.append(snapshot := await sweep(**kw))
        return snapshot

    client.sweep = counted
    return made


def focus_participant(app: ConfmonApp) -> tuple[str, str]:
    """The selected room and a present participant in it, not muted."""
    selected = app.selected_room
    assert selected is not None
    call_sid = next(m.call_sid for m in selected.present() if not m.participant.muted)
    return selected.conference.sid, call_sid


def form(app: ConfmonApp, conference_sid: str, call_sid: str, kind: str, seq: int, **overrides: str) -> dict[str, str]:
    world = world_of(app)
    participant = world.participant(conference_sid, call_sid)
    fields = {
        "AccountSid": world.account_sid,
        "ConferenceSid": conference_sid,
        "FriendlyName": world.conference(conference_sid).friendly_name,
        "SequenceNumber": str(seq),
        "Timestamp": rfc2822(app.clock.now()),
        "StatusCallbackEvent": kind,
        "CallSid": call_sid,
        "Muted": str(participant.muted).lower(),
        "Hold": str(participant.hold).lower(),
        "Coaching": "false",
        "EndConferenceOnExit": "false",
        "StartConferenceOnEnter": "true",
    }
    return fields | overrides


async def post(
    app: ConfmonApp, fields: dict[str, str], *, token: str | None = DEMO_TOKEN, body: str | None = None
) -> int:
    host, port = app.session.backend.callback_address
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if token is not None:
        headers["X-Twilio-Signature"] = sign(token, DEMO_PUBLIC_URL, fields)
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"http://{host}:{port}/confmon/events", data=body or urlencode(fields), headers=headers) as r,
    ):
        return r.status


async def test_a_mute_in_the_simulator_shows_with_no_poll_in_between(tmp_path) -> None:
    app = make_app(tmp_path / "audit.jsonl", callbacks=True, interval=3600)  # the first poll is the only one
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        sweeps = count_sweeps(app)
        conference_sid, call_sid = focus_participant(app)
        assert cell(app, call_sid, "muted") == "·"

        world_of(app).update_participant(conference_sid, call_sid, muted=True)  # someone else's doing

        await wait_until(lambda: cell(app, call_sid, "muted") == "●", pilot)
        assert room(app, conference_sid).members[call_sid].participant.muted
        assert sweeps == []
        assert "via callback" in status(app)


async def test_a_leave_and_a_room_end_arrive_by_callback(tmp_path) -> None:
    app = make_app(tmp_path / "audit.jsonl", callbacks=True, interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        sweeps = count_sweeps(app)
        conference_sid, call_sid = focus_participant(app)
        world = world_of(app)

        world.remove_participant(conference_sid, call_sid, reason="kicked")
        await wait_until(lambda: cell(app, call_sid, "status") == "kicked", pilot)  # greyed, with why
        assert room(app, conference_sid).members[call_sid].left_at is not None

        world.end_conference(conference_sid)
        key = room(app, conference_sid).key
        await wait_until(lambda: app.rooms.get_cell(key, "status").plain == "ended", pilot)
        assert room(app, conference_sid).ended_at is not None
        assert sweeps == []


@pytest.mark.parametrize(
    "refusal",
    ["unsigned", "wrong-token", "tampered", "stale", "oversized", "malformed"],
)
async def test_refused_callbacks_change_nothing(tmp_path, refusal: str) -> None:
    app = make_app(tmp_path / "audit.jsonl", callbacks=True, interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        conference_sid, call_sid = focus_participant(app)
        mute = form(app, conference_sid, call_sid, "participant-mute", LATE, Muted="true")
        expected, kwargs = {
            "unsigned": (403, {"token": None}),
            "wrong-token": (403, {"token": "f" * 32}),
            "tampered": (403, {"body": urlencode({**mute, "CallSid": "CA" + "0" * 32})}),
            "stale": (403, {}),
            "oversized": (413, {"body": urlencode(mute) + "&Pad=" + "x" * 20_000}),
            "malformed": (400, {"body": "%%%not a form"}),
        }[refusal]
        if refusal == "stale":  # rightly signed, but from ten minutes ago: a replay
            mute["Timestamp"] = rfc2822(app.clock.now() - 600)
        before = dict(room(app, conference_sid).members)

        assert await post(app, mute, **kwargs) == expected
        why = {
            "unsigned": "unsigned callback",
            "wrong-token": "bad callback signature",
            "tampered": "bad callback signature",
            "stale": "callback timestamp too far from now (a replay?)",
            "oversized": "callback body over the limit",
            "malformed": "callback form does not parse",
        }[refusal]
        await wait_until(lambda: f"1 callback refused, last: {why}" in status(app), pilot)
        assert any(f"callback refused: {why}" in line for line in log_lines(app))

        assert dict(room(app, conference_sid).members) == before
        assert app.status.health.last_event_at is None
        assert cell(app, call_sid, "muted") == "·"
        # The same callback, rightly signed, goes through: the refusal was about the request.
        mute["Timestamp"] = rfc2822(app.clock.now())
        assert await post(app, mute) == 204
        await wait_until(lambda: cell(app, call_sid, "muted") == "●", pilot)


async def test_who_is_talking_is_marked(tmp_path) -> None:
    app = make_app(tmp_path / "audit.jsonl", callbacks=True, interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        conference_sid, call_sid = focus_participant(app)
        assert cell(app, call_sid, "talk") == ""

        world = world_of(app)
        world.speak(conference_sid, call_sid)
        await wait_until(lambda: cell(app, call_sid, "talk") == "◀))", pilot)
        assert app.participants.get_cell(call_sid, "name").style == "bold"

        world.speak(conference_sid, call_sid, speaking=False)
        await wait_until(lambda: cell(app, call_sid, "talk") == "", pilot)

        world.speak(conference_sid, call_sid)
        await wait_until(lambda: cell(app, call_sid, "talk") == "◀))", pilot)
        await pilot.press("tab", *["down"] * list(room(app, conference_sid).members).index(call_sid), "m")
        await wait_until(lambda: cell(app, call_sid, "muted") == "●" and cell(app, call_sid, "talk") == "", pilot)
        assert not world.speaking(conference_sid)  # muting the speaker ended the speech, and the screen says so


async def next_sweep(app: ConfmonApp, pilot, sweeps: list[Snapshot]) -> None:
    """Move the clock to the end of the poller's wait, and wait for the sweep that follows."""
    made = len(sweeps)
    await wait_until(lambda: app.session.next_poll_at is not None, pilot)
    clock = clock_of(app)
    clock.advance(max(0.0, app.session.next_poll_at - clock.now()))
    await wait_until(lambda: len(sweeps) > made, pilot)


async def test_live_callbacks_turn_polling_into_a_slow_reconcile(tmp_path) -> None:
    app = make_app(tmp_path / "audit.jsonl", callbacks=True, interval=0.25, reconcile_interval=30)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert "no callbacks yet, polling every 250ms" in status(app)
        conference_sid, call_sid = focus_participant(app)
        sweeps = count_sweeps(app)

        world_of(app).update_participant(conference_sid, call_sid, hold=True)
        others = len(app.rooms_seen) - 1
        # This room's callbacks cover it; the others, which sent none, are still polled meanwhile.
        await wait_until(
            lambda: f"reconciled 0s ago, every 30s · {others} rooms without callbacks polled every 250ms"
            in status(app), pilot,
        )
        await next_sweep(app, pilot, sweeps)
        await next_sweep(app, pilot, sweeps)
        assert all(conference_sid not in snapshot.participants for snapshot in sweeps)

        clock_of(app).advance(31)  # the callbacks went quiet: polling again, at once, every room
        await wait_until(lambda: "callbacks quiet 31s, polling every 250ms" in status(app), pilot)
        await wait_until(lambda: conference_sid in sweeps[-1].participants, pilot)


async def test_rooms_all_covered_by_callbacks_wait_for_the_reconcile_sweep(tmp_path) -> None:
    app = make_app(tmp_path / "audit.jsonl", callbacks=True, rooms=1, interval=0.25, reconcile_interval=30)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        conference_sid, call_sid = focus_participant(app)
        world_of(app).update_participant(conference_sid, call_sid, muted=True)
        await wait_until(lambda: "via callback · reconciled" in status(app) and "every 30s" in status(app), pilot)
        assert "without callbacks" not in status(app)
        clock = clock_of(app)
        sweeps = count_sweeps(app)
        # The wait that began before the callback came ends with one more sweep; the next one waits
        # for the reconcile sweep, half a minute after the last.
        reconcile_at = clock.now() + 30
        await next_sweep(app, pilot, sweeps)
        await wait_until(lambda: (app.session.next_poll_at or 0) >= reconcile_at - 1, pilot)
        made = len(sweeps)
        clock.advance(1.0)  # four poll intervals
        await wait_until(lambda: app.session.next_poll_at is not None, pilot)
        assert len(sweeps) == made
        clock.advance(app.session.next_poll_at - clock.now())
        await wait_until(lambda: len(sweeps) > made, pilot)  # the reconcile sweep


async def test_a_lost_callback_is_repaired_by_the_reconcile_sweep(tmp_path) -> None:
    app = make_app(tmp_path / "audit.jsonl", callbacks=True, interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        conference_sid, call_sid = focus_participant(app)
        sender = app.session.backend.callback_sender
        sender.drop = 1.0  # Twilio's delivery lost this one

        world_of(app).update_participant(conference_sid, call_sid, muted=True)
        await sender.drain()  # it was dropped, not sent: nothing can have reached the app
        assert cell(app, call_sid, "muted") == "·" and sender.stats.dropped == 1

        await pilot.press("r")  # what the next reconcile sweep does on its own
        await wait_until(lambda: cell(app, call_sid, "muted") == "●", pilot)


async def test_a_dialect_without_callbacks_listens_for_none(tmp_path) -> None:
    app = make_app(tmp_path / "audit.jsonl", callbacks=True, dialect="restcomm")
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        assert app.session.backend.events is None and app.session.backend.callback_address is None
        assert "talk" not in [key for key, _, _ in app.participants.columns_shown]
        assert "via poll" in status(app) and "callback" not in status(app)


async def test_callbacks_that_cannot_listen_stay_said_on_the_status_bar(tmp_path, monkeypatch) -> None:
    from confmon.callbacks.receiver import CallbackReceiver

    async def taken(self) -> tuple[str, int]:
        raise OSError(98, "Address already in use")

    monkeypatch.setattr(CallbackReceiver, "start", taken)
    app = make_app(tmp_path / "audit.jsonl", callbacks=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_loaded(pilot)
        clock_of(app).advance(5)
        await pilot.press("r")
        await wait_until(lambda: app.status.health.last_success_at == app.clock.now(), pilot)
        # Good polls since, and it still says why there are no callbacks; no Talk column to stay empty.
        assert "callbacks off: cannot listen on 127.0.0.1:0: Address already in use" in status(app)
        assert "talk" not in [key for key, _, _ in app.participants.columns_shown]
        assert app.session.backend.events is None and app.is_running
