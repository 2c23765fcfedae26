"""Command line: `confmon` (monitor), `confmon demo`, `confmon sim`, `confmon ls`.

Every failure a user can cause or meet (a bad flag, a wrong token, an unreachable host) ends in one
line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http
import math
import os
import secrets
import signal
import socket
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO
from urllib.parse import urlsplit

from confmon import registry, signals
from confmon.api.errors import ApiError, AuthFailed, Unavailable
from confmon.config import (
    CallbackSettings,
    ConfigError,
    Connection,
    callback_settings,
    check_account_sid,
    check_max_body_mib,
    load_profiles,
    resolve_connection,
)
from confmon.sanitize import display_text

if TYPE_CHECKING:
    from confmon.audit import AuditLog
    from confmon.backend import Sources
    from confmon.clock import Clock
    from confmon.listing import Listed

EXIT_USAGE, EXIT_AUTH, EXIT_UNAVAILABLE, EXIT_API = 2, 3, 4, 5
# stdout's reader went away (`confmon ls | head -1`): the status of a tool killed by SIGPIPE, as the
# shell reports it (128 + 13), so a `set -o pipefail` script can tell the output was cut short.
EXIT_READER_GONE = 141
MIN_INTERVAL = 0.5  # seconds: faster polling only hammers the provider's concurrency limit
SIM_HOST = "127.0.0.1"  # the simulator prints its token and takes any request with it: loopback only
LS_DEADLINE = 60.0  # seconds `confmon ls` may take in all, by default
# Seconds of silence before the preflight says what it is waiting for: a quick answer shows nothing.
PROGRESS_AFTER = 1.0
# Characters of one message on stderr, at most: a server's error text must not flood a script's log.
MAX_MESSAGE = 1000
# `confmon ls` words, as listing.STATUSES and listing.RENDERERS know them (spelled out here so that
# parsing the command line does not import the listing and its session; a test keeps them equal).
LS_STATUSES = ("live", "waiting", "ended", "in-progress", "init", "completed")
LS_FORMATS = ("table", "json", "csv")


class _GaveUp(Exception):
    """`confmon ls` ran past its --deadline."""

    def __init__(self, seconds: float, host: str) -> None:
        super().__init__(f"gave up after {seconds:g} s: {host} had not finished answering (--deadline {seconds:g})")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage dump
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see --help)\n")


def _interval(text: str) -> float:
    return _seconds(text, at_least=MIN_INTERVAL, inclusive=True)


def _seconds(text: str, *, at_least: float, inclusive: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value < at_least or (value == at_least and not inclusive):
        bound = f"at least {at_least:g}" if inclusive else f"more than {at_least:g}"
        raise argparse.ArgumentTypeError(f"must be {bound} seconds, got {text}")
    return value


def _latency(text: str) -> float:
    return _seconds(text, at_least=0.0, inclusive=True)


def _deadline(text: str) -> float:
    return _seconds(text, at_least=0.0, inclusive=False)


def _max_body(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan  # refused below, in the same words as a profile's
    try:
        return check_max_body_mib(value)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(f"{error}, got {text!r}") from None


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535, got {text}")
    return value


def _rooms(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100000, got {text}")
    return value


_LOSSY_HELP = "reorder, repeat and lose some status callbacks, as real delivery may"


def _options(*, defaults: bool) -> tuple[_Parser, _Parser, _Parser]:
    """The options shared by the top level and the subcommands. A subcommand's copies have no
    defaults of their own, so `confmon --interval 5 demo` keeps the 5 instead of the subparser's
    default silently replacing it."""

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    dialect = _Parser(add_help=False)
    dialect.add_argument(
        "--dialect", choices=registry.NAMES, default=default(None),
        help=f"API dialect (default: the profile's, else {registry.DEFAULT})",
    )

    connection = _Parser(add_help=False, parents=[dialect])
    connection.add_argument(
        "--profile", default=default(None), help="a named profile from the config file (see `confmon profiles`)"
    )
    connection.add_argument(
        "--base-url", default=default(None), help="API base URL (default: the profile's, else the dialect's)"
    )
    connection.add_argument(
        "--account-sid", default=default(None), help="account SID (default: the profile's, else $TWILIO_ACCOUNT_SID)"
    )
    connection.add_argument(
        "--max-body", type=_max_body, default=default(None), metavar="MIB",
        help="refuse a response body past this many MiB (default: the profile's, else 16)",
    )

    monitor = _Parser(add_help=False)
    monitor.add_argument("--interval", type=_interval, default=default(2.0), help="seconds between polls (default 2)")
    monitor.add_argument(
        "--read-only", action="store_true", default=default(False), help="hide every key that changes a call"
    )
    monitor.add_argument(
        "--audit-log", type=Path, default=default(None), help="where actions are recorded (default: user data dir)"
    )
    monitor.add_argument(
        "--export-dir", type=Path, default=default(None), metavar="DIR",
        help="where ctrl+s saves the rooms on screen, as CSV and JSON (default: the user data dir's exports)",
    )
    monitor.add_argument(
        "--reconcile", type=_interval, default=default(30.0), metavar="SECONDS",
        help="while status callbacks arrive, seconds between the polls that repair what they missed (default 30)",
    )
    return dialect, connection, monitor


def build_parser() -> argparse.ArgumentParser:
    _, connection, monitor = _options(defaults=True)
    dialect, sub_connection, sub_monitor = _options(defaults=False)

    listen = _Parser(add_help=False)
    listen.add_argument(
        "--callbacks", metavar="HOST:PORT",
        help="receive signed status callbacks here (e.g. 127.0.0.1:8090); needs the account's auth token",
    )
    listen.add_argument(
        "--public-url", metavar="URL",
        help="the URL the provider posts callbacks to and signs, forwarded to --callbacks by a tunnel or proxy",
    )

    parser = _Parser(
        prog="confmon",
        parents=[connection, monitor, listen],
        description="Monitor and moderate live conferences. Credentials come from TWILIO_ACCOUNT_SID with "
        "TWILIO_AUTH_TOKEN, or TWILIO_API_KEY + TWILIO_API_SECRET, or a prompt; never from the command line.",
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    demo = commands.add_parser(
        "demo", parents=[sub_monitor, dialect], help="monitor a simulated account (no credentials)"
    )
    demo.add_argument("--seed", type=int, default=7, help="world seed (default 7)")
    demo.add_argument("--rooms", type=_rooms, default=12, help="live rooms to keep (default 12)")
    demo.add_argument(
        "--no-callbacks", dest="demo_callbacks", action="store_false", help="poll only: no simulated status callbacks"
    )
    demo.add_argument("--lossy-callbacks", action="store_true", help=_LOSSY_HELP)

    sim = commands.add_parser("sim", parents=[dialect], help="serve a simulated conference API on 127.0.0.1")
    sim.add_argument("--port", type=_port, default=8089, help="port on 127.0.0.1 (0 picks a free one)")
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--rooms", type=_rooms, default=12)
    sim.add_argument("--account-sid", default=None, help="account SID to serve (default: a fixed demo SID)")
    sim.add_argument("--auth-token", default=None, help="test token to accept (default: a random one, printed)")
    sim.add_argument("--latency", type=_latency, default=0.0, help="seconds added to every response")
    sim.add_argument("--callback-url", metavar="URL", help="post signed status callbacks for every change here")
    sim.add_argument("--lossy-callbacks", action="store_true", help=_LOSSY_HELP)

    ls = commands.add_parser("ls", parents=[sub_connection], help="print the rooms once and exit")
    ls.add_argument("--format", choices=LS_FORMATS, help="print a table (the default), JSON or CSV")
    ls.add_argument("--json", action="store_true", help="print JSON: --format json")
    ls.add_argument(
        "--status", choices=LS_STATUSES, default="live",
        help="which rooms, in confmon's words or the API's: waiting (init), in-progress (shown as live), "
        "ended (completed), or live (the default): every room not ended",
    )
    ls.add_argument("--participants", "-p", action="store_true", help="list each room's participants too")
    ls.add_argument(
        "--deadline", type=_deadline, default=LS_DEADLINE, metavar="SECONDS",
        help=f"give up (exit {EXIT_UNAVAILABLE}) if the listing is not done by then (default {LS_DEADLINE:g})",
    )

    commands.add_parser("profiles", help="list the profiles of the config file (never a secret)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    signals.raise_on_termination()
    try:
        code = _main(argv)
        sys.stdout.flush()  # a reader gone away shows here, not in the interpreter's own flush at exit
        return code
    except BrokenPipeError:
        return _reader_gone()
    except signals.Interrupted as interrupted:  # SIGTERM, SIGHUP: cleaned up on the way out
        return interrupted.exit_code
    except KeyboardInterrupt:
        return signals.exit_code(signal.SIGINT)


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _check_options(args)
        if args.command == "sim":
            return _run_sim(args)
        if args.command == "ls":
            return _run_ls(args)
        if args.command == "demo":
            return _run_demo(args)
        if args.command == "profiles":
            return _list_profiles()
        return _run_monitor(args)
    except ConfigError as error:
        return _fail(EXIT_USAGE, str(error))
    except AuthFailed as error:
        return _fail(EXIT_AUTH, f"authentication failed: {error}")
    except Unavailable as error:
        return _fail(EXIT_UNAVAILABLE, _unavailable(error))
    except _GaveUp as error:
        return _fail(EXIT_UNAVAILABLE, str(error))
    except ApiError as error:
        return _fail(EXIT_API, str(error))
    except EOFError:  # ctrl-d at the token prompt
        return _fail(EXIT_USAGE, "no auth token given")


def _unavailable(error: Unavailable) -> str:
    """A server that answered with an error (5xx) was reached: only a network failure is "cannot reach"."""
    if error.status is None:
        return f"cannot reach the API: {error}"
    try:
        phrase = http.HTTPStatus(error.status).phrase
    except ValueError:  # a status the standard does not name
        phrase = ""
    said = f"the API answered {error.status} {phrase}".rstrip()
    if error.code is not None:
        said += f" (code {error.code})"
    return f"{said}: {error.message}" if error.message and error.message != phrase else said


def _reader_gone() -> int:
    """stdout's reader went away (`confmon ls | head -1`): stop quietly, as Unix tools do. What is
    still buffered goes to /dev/null, so the interpreter's flush at exit has nothing to complain of."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_READER_GONE


def _check_options(args: argparse.Namespace) -> None:
    if args.command == "ls" and args.json and args.format not in (None, "json"):
        raise ConfigError(f"--json is --format json, not --format {args.format}: give one of them")
    if args.command is not None and (args.callbacks is not None or args.public_url is not None):
        raise ConfigError(f"--callbacks and --public-url are for the monitor itself, not `confmon {args.command}`")
    if args.command in (None, "demo") and args.reconcile < args.interval:
        raise ConfigError(
            f"--reconcile {args.reconcile:g} is shorter than --interval {args.interval:g}: "
            "the reconcile sweep is the slow one"
        )


def _say(message: str) -> None:
    """One line on stderr. Made safe first: an error may quote a server, and a server may echo a
    secret or send terminal escapes."""
    print(f"confmon: {display_text(message, MAX_MESSAGE)}", file=sys.stderr)


def _fail(code: int, message: str) -> int:
    _say(message)
    return code


def _connection(args: argparse.Namespace) -> Connection:
    return resolve_connection(
        profile_name=args.profile, dialect=args.dialect, base_url=args.base_url, account_sid=args.account_sid,
        max_body_mib=args.max_body,
    )


def _list_profiles() -> int:
    from confmon.config import default_config_path

    path = default_config_path()
    profiles = load_profiles(path)
    if not profiles:
        print(f"no profiles in {path}")
    for profile in profiles.values():  # a refused one says why; the others stay usable
        print(display_text(profile.describe(), MAX_MESSAGE))  # a name in the file may hold an escape
    return 0


def _audit(args: argparse.Namespace, clock: Clock) -> AuditLog:
    from confmon.audit import AuditLog, default_audit_path

    return AuditLog(args.audit_log or default_audit_path(), clock=clock)


def _run_monitor(args: argparse.Namespace) -> int:
    from confmon.backend import open_backend
    from confmon.clock import SystemClock

    connection = _connection(args)
    callbacks = _callback_settings(args, connection)
    signals.run(_preflight(connection))  # a wrong token or a dead host is told now, in one line
    clock = SystemClock()
    sources = open_backend(
        connection, audit=_audit(args, clock), read_only=args.read_only, clock=clock, callbacks=callbacks
    )
    return _run_app(sources, clock, args)


def _callback_settings(args: argparse.Namespace, connection: Connection) -> CallbackSettings | None:
    if args.callbacks is None:
        if args.public_url is not None:
            raise ConfigError("--public-url needs --callbacks HOST:PORT to listen on")
        return None
    settings = callback_settings(args.callbacks, args.public_url)
    capabilities = registry.get(connection.dialect).capabilities
    if not capabilities.has_callbacks:
        raise ConfigError(f"{capabilities.name} sends no status callbacks confmon can check; drop --callbacks")
    if connection.credentials.signing_token is None:
        raise ConfigError(
            "status callbacks are signed with the account's auth token: set TWILIO_AUTH_TOKEN too "
            "(an API key cannot check them)"
        )
    _check_port(settings.host, settings.port)  # a taken port told now, in one line, not after the screen opened
    return settings


def _check_port(host: str, port: int, hint: str = "") -> None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp's site does
            probe.bind(infos[0][4])
    except OSError as error:
        raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror or error}{hint}") from error


def _run_demo(args: argparse.Namespace) -> int:
    from confmon.backend import open_demo_backend
    from confmon.clock import SystemClock

    clock = SystemClock()
    sources = open_demo_backend(
        seed=args.seed,
        rooms=args.rooms,
        clock=clock,
        audit=_audit(args, clock),
        read_only=args.read_only,
        dialect=args.dialect or registry.DEFAULT,
        callbacks=args.demo_callbacks,
        lossy_callbacks=args.lossy_callbacks,
    )
    return _run_app(sources, clock, args)


def _run_app(sources: Sources, clock: Clock, args: argparse.Namespace) -> int:
    from confmon.launch import make_app
    from confmon.ui.running import run_app

    app = make_app(
        sources, clock=clock, interval=args.interval, reconcile_interval=args.reconcile, export_dir=args.export_dir
    )
    return run_app(app)


async def _preflight(connection: Connection) -> None:
    from confmon.backend import make_client

    where = urlsplit(connection.base_url).netloc
    async with make_client(connection) as client, _waiting(f"connecting to {where}", sys.stderr):
        await client.check()


@contextlib.asynccontextmanager
async def _waiting(what: str, stream: TextIO) -> AsyncIterator[None]:
    """Say what confmon waits for, once the wait is long enough to wonder about, and clear it after."""
    task = asyncio.create_task(_tell_waiting(what, stream))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.wait({task})  # not `await task`: a cancellation of ours must not be taken for its own


async def _tell_waiting(what: str, stream: TextIO) -> None:
    """On a terminal, one line updated in place each second ("connecting to HOST… 3s"), erased when
    cancelled; elsewhere (a log) one plain line, as nothing there can be updated."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    what = display_text(what, MAX_MESSAGE)  # a host name may hold an escape, as any message may
    await asyncio.sleep(PROGRESS_AFTER)
    if not stream.isatty():
        print(f"confmon: {what}…", file=stream, flush=True)
        return
    try:
        while True:
            elapsed = loop.time() - started
            stream.write(f"\rconfmon: {what}… {int(elapsed)}s\x1b[K")
            stream.flush()
            await asyncio.sleep(1 - elapsed % 1)  # on the next whole second
    finally:
        stream.write("\r\x1b[K")  # the screen or the next message starts on a clean line
        stream.flush()


def _run_ls(args: argparse.Namespace) -> int:
    from confmon import listing

    connection = _connection(args)
    listed = signals.run(_list_rooms(args, connection))
    with_participants = args.participants and args.status not in listing.ENDED  # Twilio lists none for ended rooms
    render = listing.RENDERERS["json" if args.json else args.format or "table"]
    print(render(listed.rooms, with_participants))
    if listed.warning is not None:  # what could be read is listed; what could not is said, once
        _say(listed.warning)
    return 0


async def _list_rooms(args: argparse.Namespace, connection: Connection) -> Listed:
    """One listing, all of it within --deadline: a server that keeps handing out pages, or answers
    a byte at a time, must not keep a script waiting."""
    from confmon import listing
    from confmon.backend import open_backend
    from confmon.clock import SystemClock
    from confmon.launch import make_session

    clock = SystemClock()
    sources = open_backend(connection, audit=_audit(args, clock), read_only=True, clock=clock)
    session = make_session(sources, clock=clock)
    budget = asyncio.timeout(args.deadline)
    try:
        async with budget:
            return await listing.rooms(session, args.status)
    except TimeoutError:
        if not budget.expired():
            raise
        raise _GaveUp(args.deadline, urlsplit(connection.base_url).netloc) from None
    finally:
        await session.aclose()


def _run_sim(args: argparse.Namespace) -> int:
    from confmon.backend import DEMO_ACCOUNT_SID
    from confmon.sim.server import run_standalone

    token = args.auth_token or secrets.token_hex(16)
    if args.account_sid:
        check_account_sid(args.account_sid, args.dialect or registry.DEFAULT)
    if args.port != 0:  # a taken port is told in one line, as the monitor's callback port is
        _check_port(SIM_HOST, args.port, hint=" (another `confmon sim`? --port 0 picks a free one)")
    signals.end_on_termination()  # it runs its own loop; Ctrl-C stops it, SIGTERM kills it, as before
    return run_standalone(
        host=SIM_HOST,
        port=args.port,
        seed=args.seed,
        rooms=args.rooms,
        account_sid=args.account_sid or DEMO_ACCOUNT_SID,
        auth_token=token,
        latency=args.latency,
        dialect=args.dialect or registry.DEFAULT,
        callback_url=args.callback_url,
        lossy_callbacks=args.lossy_callbacks,
    )

