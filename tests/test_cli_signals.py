"""Signals and the terminal, as a user, a service manager or a closed window meets them: confmon in
a real pseudo-terminal (its controlling terminal) over the simulator on loopback.

The monitor with a mute held in flight by the server, then SIGTERM, SIGHUP or SIGINT: the audit says
the action was interrupted, the terminal leaves the alternate screen, and the exit status is the
shell's 128 + the signal's number. `confmon ls` exits the same way, quietly. Ctrl-C at the token
prompt ends its line; a host that never answers is said to be waited for, and the line is cleared.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from confmon import signals
from confmon.sim.server import Handler, SimServer
from confmon.sim.world import World
from tests.simulated import ACCOUNT, TOKEN

ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN = b"\x1b[?1049h", b"\x1b[?1049l"
COLUMNS, ROWS = 160, 45
WITHIN = 30.0  # seconds: a Textual app starting on a loaded CI machine is slow; a pass returns at once
SIGNALS = [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)]


class HoldingSimulator(SimServer):
    """The simulator, but requests of the `held` methods wait until released: a call in flight."""

    def __init__(self, world: World, held: set[str]) -> None:
        super().__init__(world, auth_token=TOKEN)
        self.held_methods = held
        self.held = 0
        self.release = asyncio.Event()

    @web.middleware
    async def _disturb(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in self.held_methods:
            await request.read()  # the whole request has arrived: released, it takes effect
            self.held += 1
            await self.release.wait()
        return await super()._disturb(request, handler)


@pytest_asyncio.fixture
async def holding_posts(world: World) -> AsyncIterator[HoldingSimulator]:
    async with serving(HoldingSimulator(world, {"POST"})) as server:
        yield server


@pytest_asyncio.fixture
async def holding_everything(world: World) -> AsyncIterator[HoldingSimulator]:
    async with serving(HoldingSimulator(world, {"GET", "POST"})) as server:
        yield server


@contextlib.asynccontextmanager
async def serving(server: HoldingSimulator) -> AsyncIterator[HoldingSimulator]:
    await server.start()
    try:
        yield server
    finally:
        server.release.set()
        await server.stop()


def environment(token: bool = True) -> dict[str, str]:
    # COLUMNS and LINES (pytest-xdist sets them) would override the pty's own size.
    unwanted = ("TWILIO_", "TEXTUAL", "COLUMNS", "LINES")
    base = {k: v for k, v in os.environ.items() if not k.startswith(unwanted)}
    secrets = {"TWILIO_AUTH_TOKEN": TOKEN} if token else {}
    return {**base, "TERM": "xterm-256color", "TWILIO_ACCOUNT_SID": ACCOUNT, **secrets}


def _take_the_terminal() -> None:
    """In the child, after setsid: make the pty its controlling terminal, as a shell's child has one
    (so /dev/tty opens, and Ctrl-C typed there is SIGINT)."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """`python -m confmon ARGS` on the slave side of a pseudo-terminal; everything it writes is kept."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        self._master = master
        self.process = subprocess.Popen(
            [sys.executable, "-m", "confmon", *args],
            stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
            preexec_fn=_take_the_terminal,
        )
        os.close(slave)  # the child's copies are the only ones left: its exit ends our reads
        self._output = bytearray()
        self._lock = threading.Lock()
        self._hung_up = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        """Keep what the child writes until it closes the terminal, or until asked to hang up (the
        descriptor is closed here, by the one thread that reads it, so its number is never reused
        under a read)."""
        while not self._hung_up.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 65536)
            except OSError:  # EIO: every slave descriptor is closed
                return
            if not chunk:
                return
            with self._lock:
                self._output += chunk
        os.close(self._master)

    @property
    def output(self) -> bytes:
        with self._lock:
            return bytes(self._output)

    def type(self, keys: bytes) -> None:
        os.write(self._master, keys)

    def hang_up(self) -> None:
        """Close the terminal, as a closed window does: the kernel sends the child SIGHUP."""
        self._hung_up.set()

    async def wait_for(self, condition: Callable[[bytes], bool], within: float = WITHIN) -> None:
        for _ in range(int(within / 0.05)):
            if condition(self.output):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"not on the terminal within {within:g} s; it shows: {self.output[-600:]!r}")

    async def exit_code(self) -> int:
        code = await asyncio.to_thread(self.process.wait, WITHIN)
        await asyncio.to_thread(self._reader.join, 5)
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(5)
        if not self._hung_up.is_set():
            os.close(self._master)


@pytest.fixture
def terminals() -> Iterator[Callable[..., Terminal]]:
    opened: list[Terminal] = []

    def open_terminal(*args: str, env: dict[str, str]) -> Terminal:
        opened.append(Terminal(*args, env=env))
        return opened[-1]

    yield open_terminal
    for terminal in opened:
        terminal.close()


async def wait_until(condition: Callable[[], bool], within: float = WITHIN) -> None:
    for _ in range(int(within / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not met within {within:g} s")


def audit_records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def mute_the_first_participant(terminal: Terminal, server: HoldingSimulator) -> None:
    """Tab to the participants pane (its first row is highlighted) and press m until the server holds
    the POST: the screen gives no sign a test can read of which pane has the focus yet."""
    terminal.type(b"\t")
    for _ in range(10):
        terminal.type(b"m")
        try:
            await wait_until(lambda: server.held > 0, within=2)
            return
        except AssertionError:
            continue
    raise AssertionError("the mute never reached the server")


@pytest.mark.parametrize(("signum", "code"), SIGNALS)
async def test_a_signal_mid_action_is_audited_restores_the_terminal_and_exits_128_plus_its_number(
    holding_posts, terminals, tmp_path, signum, code
):
    audit = tmp_path / "audit.jsonl"
    terminal = terminals("--base-url", holding_posts.base_url, "--audit-log", str(audit), env=environment())
    await terminal.wait_for(lambda out: ENTER_ALT_SCREEN in out and b"sweep " in out)  # a poll is on screen
    await mute_the_first_participant(terminal, holding_posts)

    terminal.process.send_signal(signum)

    assert await terminal.exit_code() == code
    records = audit_records(audit)
    assert records, "no audit line"
    assert {(r["action"], r["outcome"], r["error"]) for r in records} == {
        ("mute", "failure", "interrupted; it may have taken effect")
    }
    output = terminal.output
    assert output.rfind(LEAVE_ALT_SCREEN) > output.rfind(ENTER_ALT_SCREEN) > -1
    assert b"Traceback" not in output


@pytest.mark.parametrize(("signum", "code"), SIGNALS)
async def test_ls_ends_quietly_on_a_signal(holding_everything, signum, code):
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "confmon", "ls", "--base-url", holding_everything.base_url,
        env=environment(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    await wait_until(lambda: holding_everything.held > 0)  # the listing is in flight
    process.send_signal(signum)
    stdout, stderr = await asyncio.wait_for(process.communicate(), WITHIN)
    assert (process.returncode, stdout, stderr) == (code, b"", b"")


@pytest.mark.parametrize(("key", "code", "after"), [(b"\x03", 130, b""), (b"\x04", 2, b"confmon: no auth token given")])
async def test_ctrl_c_or_ctrl_d_at_the_token_prompt_ends_its_line(terminals, key, code, after):
    terminal = terminals("ls", "--base-url", "http://127.0.0.1:9", env=environment(token=False))
    await terminal.wait_for(lambda out: b"Auth token for " in out)
    terminal.type(key)
    assert await terminal.exit_code() == code
    typed_after_prompt = terminal.output.rpartition(b"Auth token for ")[2]
    assert re.fullmatch(rb"AC0123\xe2\x80\xa6cdef: \r\n" + re.escape(after) + rb"(\r\n)?", typed_after_prompt)


@pytest.fixture
def silent_host() -> Iterator[socket.socket]:
    """A host that takes connections and never answers: the kernel accepts, nobody reads."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener


async def test_waiting_for_a_silent_host_is_said_on_the_terminal_then_cleared(terminals, silent_host):
    port = silent_host.getsockname()[1]
    terminal = terminals("--base-url", f"http://127.0.0.1:{port}", env=environment())
    progress = f"\rconfmon: connecting to 127.0.0.1:{port}… ".encode()
    await terminal.wait_for(lambda out: progress + b"2s" in out)
    assert progress + b"1s\x1b[K" in terminal.output  # one line, updated in place each second
    silent_host.close()  # the waiting connection is reset, and nothing listens any more

    assert await terminal.exit_code() == 4
    output = terminal.output
    cleared = output.rindex(b"\r\x1b[K")
    assert output.rindex(progress) < cleared < output.index(b"confmon: cannot reach the API")
    assert ENTER_ALT_SCREEN not in output


async def test_closing_the_terminal_mid_action_is_audited_and_exits_129(holding_posts, terminals, tmp_path):
    """The window closed: the kernel hangs the terminal up and sends SIGHUP; nothing can be drawn any more."""
    audit = tmp_path / "audit.jsonl"
    terminal = terminals("--base-url", holding_posts.base_url, "--audit-log", str(audit), env=environment())
    await terminal.wait_for(lambda out: ENTER_ALT_SCREEN in out and b"sweep " in out)
    await mute_the_first_participant(terminal, holding_posts)

    terminal.hang_up()

    assert await terminal.exit_code() == 129
    assert [(r["action"], r["error"]) for r in audit_records(audit)] == [
        ("mute", "interrupted; it may have taken effect")
    ]


async def test_a_suspended_monitor_resumes_and_a_stray_sigcont_changes_nothing(holding_posts, terminals, tmp_path):
    """Ctrl+Z's SIGTSTP then `fg`'s SIGCONT give the screen back; a SIGCONT alone (as a hang-up sends
    with its SIGHUP) must not start the screen a second time."""
    audit = str(tmp_path / "audit.jsonl")
    terminal = terminals("--base-url", holding_posts.base_url, "--audit-log", audit, env=environment())
    await terminal.wait_for(lambda out: ENTER_ALT_SCREEN in out and b"sweep " in out)
    terminal.process.send_signal(signal.SIGCONT)  # stray: nothing was suspended
    await asyncio.sleep(1)  # (a stop signal sent now would discard a SIGCONT still pending)
    assert terminal.output.count(ENTER_ALT_SCREEN) == 1
    terminal.process.send_signal(signal.SIGTSTP)
    await terminal.wait_for(lambda out: LEAVE_ALT_SCREEN in out)
    terminal.process.send_signal(signal.SIGCONT)
    await terminal.wait_for(lambda out: out.rfind(ENTER_ALT_SCREEN) > out.rfind(LEAVE_ALT_SCREEN))
    terminal.type(b"q")
    assert await terminal.exit_code() == 0
    assert terminal.output.count(ENTER_ALT_SCREEN) == 2


def test_a_signal_whose_cancellation_was_swallowed_on_the_way_still_ends_the_command() -> None:
    """Cleanup code that waits on a task may swallow the cancellation a SIGTERM caused; the command
    must still end with the signal's status, not carry on into the monitor."""

    async def swallows_its_cancellation() -> str:
        with contextlib.suppress(asyncio.CancelledError):
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.sleep(5)
        return "carried on"

    with pytest.raises(signals.Interrupted) as ended:
        signals.run(swallows_its_cancellation())
    assert ended.value.exit_code == 143

