"""The fault matrix: every way tests/hostile.py can misbehave, met by both faces at once.

For each case the same fault is served to the monitor (the real app over `open_backend`, on the
real clock, polling every half second) and, meanwhile, to `confmon ls` in a child process:

- the monitor keeps running, names the fault on its status bar, keeps the rooms on screen, and
  once the server heals (and `r` is pressed) shows no error and young data;
- `confmon ls` says what failed in one line on stderr with a non-zero exit, never a traceback,
  keeps its memory bounded whatever the server sends, and lists the rooms once healed.

Both faces run at once because most faults take seconds to show (the client's retries, its read
timeout); one after the other, the matrix would take twice as long.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from confmon.audit import AuditLog
from confmon.backend import open_backend
from confmon.clock import SystemClock
from confmon.config import Connection, Credentials
from confmon.launch import make_app
from confmon.model import ConferenceStatus
from confmon.secret import Secret
from confmon.sim.server import SimServer
from confmon.ui.app import ConfmonApp
from tests.hostile import CONFERENCE_LIST, Fault, HostileProxy, participants_of
from tests.simulated import ACCOUNT, TOKEN
from tests.waiting import wait_until

SIZE = (160, 45)
INTERVAL = 0.5  # seconds between polls: the shortest the command line allows
MAX_BACKOFF = 30.0  # the poller's: the longest any fault may keep it from polling
ONE_ROOM = "one room"  # for `only`: the participants of the first live room, found at run time
WITHIN = 30.0  # seconds: start-up, a fault showing (retries, a 10 s read timeout), a recovery, on a loaded machine
# `confmon ls` peak memory, whatever the server sends: about 50 MB when all is well, 66 MB reading up to
# the client's 16 MiB cap; a 50 MB body read whole (before the cap) peaked at 200 MB.
RSS_BOUND_MB = 120
EXIT_AUTH, EXIT_UNAVAILABLE, EXIT_API = 3, 4, 5


@dataclass(frozen=True)
class Case:
    """One fault and what each face says of it. `shown`: a stable fragment of the status bar while it
    lasts (None: nothing is wrong for the user); `exit` and `said`: what `confmon ls` exits with, and a
    fragment of its one line on stderr."""

    fault: Fault
    shown: str | None
    exit: int
    said: str | None
    only: str | None = None  # a regex of the paths faulted (None: all), or ONE_ROOM
    params: dict[str, Any] = field(default_factory=dict)
    name: str = ""

    @property
    def id(self) -> str:
        return self.name or self.fault.value


CASES = [
    Case(Fault.RATE_LIMITED, "retry after 3600 s", EXIT_API, "rate limited (429", params={"retry_after": 3600}),
    Case(Fault.RATE_LIMITED_BARE, "rate limited (429", EXIT_API, "rate limited (429"),
    Case(Fault.SERVER_ERROR, "unavailable (500", EXIT_UNAVAILABLE, "500"),
    Case(Fault.BAD_GATEWAY, "unavailable (502): Bad Gateway", EXIT_UNAVAILABLE, "502"),
    Case(Fault.UNAVAILABLE, "unavailable (503", EXIT_UNAVAILABLE, "503"),
    Case(Fault.UNAVAILABLE, "unavailable (503", EXIT_UNAVAILABLE, "503", only=ONE_ROOM, name="503-one-room"),
    # Longer than the client's 10 s read timeout; healing ends the stall at once.
    Case(Fault.STALL, "timed out talking to 127.0.0.1", EXIT_UNAVAILABLE, "timed out", params={"seconds": 60}),
    Case(Fault.REFUSED, "connection refused to 127.0.0.1", EXIT_UNAVAILABLE, "connection refused"),
    Case(Fault.RESET, "dropped the connection", EXIT_UNAVAILABLE, "dropped the connection"),
    Case(Fault.TRUNCATED, "dropped the connection", EXIT_UNAVAILABLE, "dropped the connection"),
    Case(Fault.MALFORMED, "bad response: body is not JSON", EXIT_API, "bad response"),
    Case(Fault.HTML, "bad response: body is an HTML page, not JSON", EXIT_API, "bad response"),
    Case(Fault.UNAUTHORIZED_MIDWAY, "auth failed (401", EXIT_AUTH, "authentication failed", params={"after": 1}),
    # Too big is a bad response, read no further than the client's cap (16 MiB), so memory stays flat.
    Case(Fault.OVERSIZED, "bad response: response body over", EXIT_API, "response body over", only=CONFERENCE_LIST),
    Case(Fault.OVERSIZED_CHUNKED, "bad response: response body over", EXIT_API, "response body over",
         only=CONFERENCE_LIST),
    Case(Fault.PAGING_LOOP, "more than 1000 pages", EXIT_API, "more than 1000 pages", only=CONFERENCE_LIST),
    # JSON is read whatever its label says, as a liberal reader should: nothing for the user to see.
    Case(Fault.WRONG_CONTENT_TYPE, None, 0, None),
    # Tolerant reading: a name that is not UTF-8 shows with U+FFFD; the page is not refused for it.
    Case(Fault.INVALID_UTF8, None, 0, None, only=CONFERENCE_LIST),
    # One odd record costs nobody else: the room with an unreadable date is read in part, the one
    # with an undocumented status is shown with it; a warning beside fresh data, not a failure.
    Case(Fault.ODD_RECORD, "1 record partly read: conference CF", 0, "1 record partly read: conference CF",
         only=CONFERENCE_LIST),
]


def live_room(simulator: SimServer) -> str:
    return next(c.sid for c in simulator.world.conferences() if c.status is ConferenceStatus.IN_PROGRESS)


def live_rooms(simulator: SimServer) -> int:
    return sum(c.status is not ConferenceStatus.COMPLETED for c in simulator.world.conferences())


async def inject(proxy: HostileProxy, case: Case, simulator: SimServer) -> None:
    only = participants_of(live_room(simulator)) if case.only == ONE_ROOM else case.only
    await proxy.inject(case.fault, only=only, **case.params)


# ---- the monitor ----------------------------------------------------------------------------------


def monitor(base_url: str, audit_path: Path) -> ConfmonApp:
    """The app `confmon --base-url URL --interval 0.5 --read-only` runs."""
    clock = SystemClock()
    credentials = Credentials(ACCOUNT, ACCOUNT, Secret(TOKEN), Secret(TOKEN))
    sources = open_backend(
        Connection(base_url, credentials, "twilio2010"),
        audit=AuditLog(audit_path, clock=clock),
        read_only=True,
        clock=clock,
    )
    return make_app(sources, clock=clock, interval=INTERVAL)


def status_text(app: ConfmonApp) -> str:
    return app.status_bar.render().plain


def loaded(app: ConfmonApp) -> bool:
    return app.status.health.last_success_at is not None and app.rooms.row_count > 0


def fresh(app: ConfmonApp, since: float) -> bool:
    """A sweep that ended after `since` succeeded, and the status bar says so: no error, young data."""
    health, text = app.status.health, status_text(app)
    return (
        health.last_error is None
        and health.last_success_at is not None
        and health.last_success_at > since
        and "⚠" not in text
        and re.search(r"data [0-2]s ago", text) is not None
    )


async def shows(app: ConfmonApp, pilot: Pilot[None], fragment: str) -> None:
    try:
        await wait_until(lambda: fragment in status_text(app), pilot, within=WITHIN)
    except AssertionError:
        raise AssertionError(f"{fragment!r} never showed; the status bar says: {status_text(app)}") from None


async def errors_over_two_sweeps(app: ConfmonApp, pilot: Pilot[None]) -> list[str]:
    """Wait until two more sweeps have succeeded (the second ran wholly under the fault, injected
    before the first ended) and return the errors shown meanwhile: as soon as one shows."""
    errors: list[str] = []
    successes: set[float] = set()
    first = app.status.health.last_success_at

    def two_more_or_an_error() -> bool:
        health = app.status.health
        if health.last_error is not None:
            errors.append(health.last_error)
        if health.last_success_at not in (None, first):
            successes.add(health.last_success_at)
        return len(successes) >= 2 or bool(errors)

    await wait_until(two_more_or_an_error, pilot, within=WITHIN)
    return errors


async def the_monitor_shows(app: ConfmonApp, pilot: Pilot[None], case: Case, rooms: int) -> None:
    """While the fault lasts: named on the status bar (or nothing shown, for what is tolerated), the
    app still running, no bug surfacing, the last good rooms still on screen."""
    if case.shown is None:
        assert await errors_over_two_sweeps(app, pilot) == [], status_text(app)
    else:
        await shows(app, pilot, case.shown)
        assert ("⚠" in status_text(app)) is (case.fault is not Fault.ODD_RECORD)
    assert app.return_code is None and app.is_running
    assert "internal error" not in status_text(app) and "failed, restarting" not in status_text(app)
    assert app.rooms.row_count == rooms, "the rooms on screen changed"
    if case.fault is Fault.INVALID_UTF8:
        assert any("\ufffd" in view.name for view in app.rooms_seen.values())
    if case.fault is Fault.ODD_RECORD:
        assert any(str(view.conference.status) == "RUNNING_RECONNECTING" for view in app.rooms_seen.values())


# ---- confmon ls -----------------------------------------------------------------------------------

# `confmon ls` as `python -m confmon ls` runs it, writing its peak RSS to argv[1] at exit. VmHWM, not
# ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec, so a child of a pytest
# worker would report the worker's own peak; VmHWM starts again with the new program.
LS_WRAPPER = """
import atexit, sys
def report(path=sys.argv[1]):
    with open("/proc/self/status") as status, open(path, "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
atexit.register(report)
from confmon.cli import main
sys.exit(main(sys.argv[2:]))
"""


def own_peak_rss_mb() -> float:
    """This process's peak RSS since its program started (see LS_WRAPPER for why not ru_maxrss)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


@dataclass(frozen=True)
class LsRun:
    exit: int
    stdout: str
    stderr: str
    peak_rss_mb: float


LS_TIMEOUT = 120.0  # seconds: past any fault's retries, timeouts and deadlines


async def run_ls(base_url: str, home: Path) -> LsRun:
    """`confmon ls --base-url URL` in a child process (the proxy keeps serving in this loop meanwhile),
    with the simulated account's credentials and a home of its own."""
    report = home / "peak-rss-kib"
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LS_WRAPPER, str(report), "ls", "--base-url", base_url,
        env=ls_environment(home), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(LS_TIMEOUT):
            out, err = await child.communicate()
    finally:  # also when cancelled: the child must not outlive the test
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert child.returncode is not None
    return LsRun(child.returncode, out.decode(errors="replace"), err.decode(errors="replace"), peak_rss_mb(report))


@contextlib.asynccontextmanager
async def ls_meanwhile(base_url: str, home: Path) -> AsyncIterator[asyncio.Task[LsRun]]:
    """`confmon ls` running while the block runs; stopped if the block fails before awaiting it."""
    task = asyncio.create_task(run_ls(base_url, home))
    try:
        yield task
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def ls_environment(home: Path) -> dict[str, str]:
    """The simulated account's credentials, and nothing of the user's: no other TWILIO_*, no config."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    return env | {
        "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN, "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
    }


def peak_rss_mb(report: Path) -> float:
    """What LS_WRAPPER wrote (KiB), in MB; NaN if it wrote nothing (no /proc: not Linux)."""
    return int(report.read_text()) / 1024 if report.exists() else float("nan")


def the_listing_says(run: LsRun, case: Case) -> None:
    """While the fault lasts: one line and the right exit status, or (tolerated) the rooms."""
    assert "Traceback" not in run.stderr, run.stderr
    assert run.exit == case.exit, f"exit {run.exit}: {run.stderr}"
    if case.said is not None:
        lines = run.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("confmon: ") and case.said in lines[0], run.stderr
    if case.fault is Fault.INVALID_UTF8:
        assert "\ufffd" in run.stdout
    if case.fault is Fault.ODD_RECORD:
        assert "RUNNING_RECONNECTING" in run.stdout
    if case.fault in (Fault.OVERSIZED, Fault.OVERSIZED_CHUNKED):
        assert run.peak_rss_mb < RSS_BOUND_MB, f"peak RSS {run.peak_rss_mb:.0f} MB (NaN: not measured)"


def the_listing_works(run: LsRun, rooms: int) -> None:
    assert run.exit == 0 and run.stderr == "", run.stderr
    assert len(run.stdout.splitlines()) == 1 + rooms, run.stdout


# ---- the matrix -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_both_faces_name_the_fault_and_recover_once_healed(
    case: Case, simulator: SimServer, tmp_path: Path
) -> None:
    async with HostileProxy(simulator.base_url or "") as proxy:
        app = monitor(proxy.url, tmp_path / "audit.jsonl")
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(lambda: loaded(app), pilot, within=WITHIN)
            rooms = app.rooms.row_count
            assert rooms == live_rooms(simulator)

            await inject(proxy, case, simulator)
            async with ls_meanwhile(proxy.url, tmp_path / "faulted") as listing:
                await pilot.press("r")
                await the_monitor_shows(app, pilot, case, rooms)
                the_listing_says(await listing, case)

            healed_at = app.clock.now()
            await proxy.heal()
            async with ls_meanwhile(proxy.url, tmp_path / "healed") as listing:
                await pilot.press("r")
                await wait_until(lambda: fresh(app, healed_at), pilot, within=WITHIN)
                assert app.rooms.row_count == rooms and app.is_running
                the_listing_works(await listing, rooms)


async def test_a_retry_after_of_an_hour_is_shown_but_waits_no_longer_than_the_backoff(
    simulator: SimServer, tmp_path: Path
) -> None:
    """A server asking for an hour gets at most the poller's longest backoff; the status bar still
    gives the server's figure, and `r` polls at once."""
    async with HostileProxy(simulator.base_url or "") as proxy:
        app = monitor(proxy.url, tmp_path / "audit.jsonl")
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(lambda: loaded(app), pilot, within=WITHIN)
            await proxy.inject(Fault.RATE_LIMITED, retry_after=3600)
            await pilot.press("r")
            await wait_until(lambda: "retry after 3600 s" in status_text(app), pilot, within=WITHIN)
            await wait_until(lambda: app.session.next_poll_at is not None, pilot, within=WITHIN)
            due = app.session.next_poll_at
            assert due is not None
            wait = due - app.clock.now()
            assert wait <= MAX_BACKOFF + 1, f"the next poll is {wait:.0f} s away"

            healed_at = app.clock.now()
            await proxy.heal()
            await pilot.press("r")  # long before the backoff is over
            await wait_until(lambda: fresh(app, healed_at), pilot, within=WITHIN)
