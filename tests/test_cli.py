"""The command line as a user meets it: real processes, a real simulator on a loopback port."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from confmon.callbacks.receiver import CallbackReceiver
from confmon.cli import _fail, build_parser
from confmon.secret import Secret

ACCOUNT = "AC" + "c1" * 16
TOKEN = "cli-test-token"


def confmon(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    return subprocess.run(
        [sys.executable, "-m", "confmon", *args],
        env={**base, **(env or {})}, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "confmon", "sim", "--port", "0", "--seed", "5", "--rooms", "4",
         "--account-sid", ACCOUNT, "--auth-token", TOKEN],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        banner = [process.stdout.readline() for _ in range(4)]
        assert any(ACCOUNT in line for line in banner) and any(TOKEN in line for line in banner)
        url = next(line.split("base URL", 1)[1].split()[0] for line in banner if "base URL" in line)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def creds(token: str = TOKEN) -> dict[str, str]:
    return {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": token}


def test_ls_prints_the_live_rooms(sim_url):
    result = confmon("ls", "--base-url", sim_url, env=creds())
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["SID", "NAME", "STATUS"]
    assert len(lines) == 1 + 4
    assert all(line.startswith("CF") for line in lines[1:])


def test_ls_json_with_participants(sim_url):
    result = confmon("ls", "--base-url", sim_url, "--json", "-p", env=creds())
    assert result.returncode == 0, result.stderr
    rooms = json.loads(result.stdout)
    assert len(rooms) == 4
    assert all(room["status"] in ("init", "in-progress") for room in rooms)
    assert all(p["call_sid"].startswith("CA") for room in rooms for p in room["participants"])
    assert sum(len(room["participants"]) for room in rooms) > 0


def test_ls_with_an_api_key(sim_url):
    # The simulator only knows the auth token, so an API key is refused: the key path is taken.
    env = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_API_KEY": "SK" + "0" * 32, "TWILIO_API_SECRET": "nope"}
    result = confmon("ls", "--base-url", sim_url, env=env)
    assert result.returncode == 3


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["demo"], {"interval": 2.0, "reconcile": 30.0, "read_only": False, "demo_callbacks": True}),
        (["--reconcile", "50", "--read-only", "demo"], {"reconcile": 50.0, "read_only": True}),
        (["demo", "--interval", "5", "--no-callbacks"], {"interval": 5.0, "demo_callbacks": False}),
        (["--interval", "5", "demo", "--interval", "7"], {"interval": 7.0}),
        (["--profile", "lab", "--dialect", "restcomm", "ls"], {"profile": "lab", "dialect": "restcomm"}),
        (["ls", "--base-url", "http://x"], {"base_url": "http://x", "profile": None}),
        (["--dialect", "twilio2008", "sim"], {"dialect": "twilio2008"}),
        (["--max-body", "8"], {"max_body": 8.0}),
        (["--max-body", "2", "ls"], {"max_body": 2.0}),
        (["ls", "--max-body", "0.5"], {"max_body": 0.5}),
        (["ls"], {"max_body": None}),  # the profile's, else the client's default
    ],
)
def test_options_before_a_subcommand_are_kept(argv, expected):
    """A subcommand's own copy of an option has no default to overwrite the one given before it."""
    args = build_parser().parse_args(argv)
    assert {key: getattr(args, key) for key in expected} == expected


@pytest.mark.parametrize(
    ("args", "env", "code", "words"),
    [
        (("--bogus",), {}, 2, "unrecognized arguments"),
        (("ls", "--status", "nope"), {}, 2, "invalid choice"),
        (("ls", "--format", "xml"), {}, 2, "invalid choice"),
        (("ls", "--json", "--format", "csv"), creds(), 2, "--json is --format json, not --format csv"),
        (("ls",), {}, 2, "TWILIO_ACCOUNT_SID"),
        (("ls", "--base-url", "ftp://example"), creds(), 2, "http(s) URL"),
        (("ls", "--base-url", "http://127.0.0.1:9"), creds(), 4, "cannot reach"),
        (("--base-url", "http://127.0.0.1:9"), creds(), 4, "cannot reach"),
        (("demo", "--rooms", "-3"), {}, 2, "--rooms"),
        (("demo", "--interval", "nan"), {}, 2, "--interval"),
        (("demo", "--interval", "0.01"), {}, 2, "at least"),
        (("sim", "--port", "70000"), {}, 2, "--port"),
        (("sim", "--latency", "-5"), {}, 2, "--latency: must be at least 0 seconds, got -5"),
        (("sim", "--latency", "nan"), {}, 2, "--latency"),
        (("sim", "--latency", "inf"), {}, 2, "--latency"),
        (("ls", "--deadline", "0"), creds(), 2, "--deadline: must be more than 0 seconds, got 0"),
        (("ls", "--deadline", "-1"), creds(), 2, "--deadline"),
        (("ls", "--deadline", "soon"), creds(), 2, "must be a number of seconds"),
        (("ls", "--max-body", "0"), creds(), 2, "--max-body: must be a positive number of MiB (one byte at least)"),
        (("ls", "--max-body", "-3"), creds(), 2, "--max-body"),
        (("ls", "--max-body", "1e-9"), creds(), 2, "one byte at least"),
        (("ls", "--max-body", "lots"), creds(), 2, "--max-body"),
        (("--max-body", "inf"), creds(), 2, "--max-body"),
        (("ls", "--base-url", "http://user:pw@127.0.0.1:9"), creds(), 2, "must not carry credentials"),
        (("ls", "--base-url", "http://[::1"), creds(), 2, "http(s) URL"),
        (("--public-url", "https://cb.example.test/"), creds(), 2, "needs --callbacks"),
        (("--callbacks", "8090"), creds(), 2, "HOST:PORT"),
        (("--callbacks", "127.0.0.1:²"), creds(), 2, "HOST:PORT"),
        (("--callbacks", "0.0.0.0:8090"), creds(), 2, "needs --public-url"),
        (("--callbacks", "[::]:8090"), creds(), 2, "needs --public-url"),
        (("--callbacks", "127.0.0.1:8090", "demo"), {}, 2, "for the monitor itself"),
        (("--public-url", "https://cb.example.test/", "ls"), creds(), 2, "for the monitor itself"),
        (("--interval", "10", "--reconcile", "5", "demo"), {}, 2, "shorter than --interval"),
        (("demo", "--interval", "60"), {}, 2, "shorter than --interval"),
        (("--callbacks", "127.0.0.1:0"), creds(), 2, "needs --public-url"),
        (("--callbacks", "127.0.0.1:8090", "--public-url", "ftp://cb.example.test/"), creds(), 2, "http(s) URL"),
        (("--callbacks", "127.0.0.1:8090", "--dialect", "restcomm", "--base-url", "http://127.0.0.1:9"), creds(), 2,
         "sends no status callbacks"),
        (("--callbacks", "127.0.0.1:8090"),
         {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_API_KEY": "SK" + "0" * 32, "TWILIO_API_SECRET": "s"}, 2,
         "set TWILIO_AUTH_TOKEN too"),
    ],
)
def test_user_errors_are_one_line_and_a_nonzero_exit(args, env, code, words):
    result = confmon(*args, env=env)
    assert result.returncode == code
    assert words in result.stderr
    # The monitor's preflight may first say, once, what it waits for (stderr is not a terminal here).
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("confmon: connecting to ")]
    assert len(lines) == 1
    assert "Traceback" not in result.stderr


def test_a_taken_simulator_port_is_one_clear_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = confmon("sim", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr == (
        f"confmon: cannot listen on 127.0.0.1:{port}: Address already in use "
        "(another `confmon sim`? --port 0 picks a free one)\n"
    )
    assert result.stdout == ""


def test_waiting_for_a_silent_host_is_said_once_when_stderr_is_not_a_terminal():
    with socket.socket() as silent:  # takes connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        base = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
        process = subprocess.Popen(
            [sys.executable, "-m", "confmon", "--base-url", f"http://127.0.0.1:{port}"],
            env={**base, **creds()}, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stderr.readline() == f"confmon: connecting to 127.0.0.1:{port}…\n"
        finally:
            silent.close()  # now the host is gone: the preflight fails
        _, rest = process.communicate(timeout=60)
    assert process.returncode == 4
    assert rest.startswith("confmon: cannot reach the API: ") and len(rest.splitlines()) == 1
    assert "\r" not in rest and "\x1b" not in rest


def test_a_taken_callback_port_is_told_before_the_screen_opens():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = confmon("--callbacks", f"127.0.0.1:{port}", "--base-url", "http://127.0.0.1:9", env=creds())
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"confmon: cannot listen on 127.0.0.1:{port}:")


async def test_the_simulator_posts_signed_callbacks_to_a_listening_monitor():
    """`confmon sim --callback-url`: what a monitor started with --callbacks receives."""
    events: asyncio.Queue = asyncio.Queue()
    with socket.socket() as probe:  # a free port, so the public URL can name it before listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/events"
    receiver = CallbackReceiver(url, Secret(TOKEN), events, accounts=(ACCOUNT,), port=port)
    await receiver.start()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "confmon", "sim", "--port", "0", "--rooms", "40", "--account-sid", ACCOUNT,
        "--auth-token", TOKEN, "--callback-url", url, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        banner = [(await process.stdout.readline()).decode() for _ in range(5)]
        assert f"callbacks    {url}" in banner[-1]
        event = await asyncio.wait_for(events.get(), timeout=30)  # signed with the token, or refused
        assert event.account_sid == ACCOUNT and event.conference_sid.startswith("CF")
    finally:
        process.terminate()
        await process.wait()
        await receiver.stop()


def test_wrong_token_is_refused_before_the_screen_opens(sim_url):
    for command in (("ls",), ()):
        result = confmon(*command, "--base-url", sim_url, env=creds("wrong-token"))
        assert result.returncode == 3
        assert result.stderr.strip() == "confmon: authentication failed: auth failed (401, code 20003): Authenticate"
        assert "wrong-token" not in result.stderr + result.stdout


@pytest.mark.parametrize("dialect", ["twilio2008", "restcomm", "telnyx"])
def test_ls_speaks_every_dialect_against_the_simulator(dialect):
    process = subprocess.Popen(
        [sys.executable, "-m", "confmon", "sim", "--dialect", dialect, "--port", "0", "--seed", "5", "--rooms", "3",
         "--account-sid", ACCOUNT, "--auth-token", TOKEN],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = None
        for _ in range(8):
            line = process.stdout.readline()
            if "base URL" in line:
                url = line.split("base URL", 1)[1].split()[0]
                break
        assert url and url.startswith("http://127.0.0.1:")
        result = confmon("ls", "--dialect", dialect, "--base-url", url, "--json", "-p", env=creds())
        assert result.returncode == 0, result.stderr
        rooms = json.loads(result.stdout)
        assert len(rooms) == 3
        assert sum(len(room["participants"]) for room in rooms) > 0
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_profiles_are_listed_without_secrets(tmp_path):
    config = tmp_path / "confmon"
    config.mkdir()
    (config / "config.toml").write_text(
        f'[profiles.lab]\ndialect = "restcomm"\nbase_url = "http://127.0.0.1:9"\naccount_sid = "{ACCOUNT}"\n'
        'auth_token_env = "LAB_TOKEN"\n'
        f'[profiles.leaky]\naccount_sid = "{ACCOUNT}"\nauth_token = "pasted-secret-value"\n'
    )
    env = {"XDG_CONFIG_HOME": str(tmp_path), "LAB_TOKEN": "very-secret-value"}
    result = confmon("profiles", env=env)
    assert result.returncode == 0, result.stderr
    lab, leaky = result.stdout.splitlines()
    assert "lab: restcomm at http://127.0.0.1:9" in lab and "$LAB_TOKEN" in lab
    assert leaky.startswith("leaky: not usable: profiles.leaky.auth_token: secrets do not belong in the config file")
    assert "secret-value" not in result.stdout
    # the good profile is used, the one with a secret in it beside it notwithstanding: its unreachable
    # URL is what ls tries
    result = confmon("ls", "--profile", "lab", env=env)
    assert result.returncode == 4 and "127.0.0.1:9" in result.stderr
    result = confmon("ls", "--profile", "leaky", env={**env, **creds()})
    assert result.returncode == 2
    assert result.stderr.startswith(f"confmon: {config / 'config.toml'}: profiles.leaky.auth_token: secrets do not")
    assert "pasted-secret-value" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_body_past_max_body_is_a_bad_response_naming_the_cap(sim_url):
    result = confmon("ls", "--base-url", sim_url, "--max-body", "0.001", env=creds())
    assert result.returncode == 5
    assert result.stderr == "confmon: bad response: response body over the 1,048 bytes limit\n"
    # The monitor's client has it too: its first request is refused before the screen opens.
    result = confmon("--base-url", sim_url, "--max-body", "0.0001", env=creds())
    assert result.returncode == 5 and "over the 104 bytes limit" in result.stderr


def test_a_profile_sets_max_body_and_the_flag_beats_it(sim_url, tmp_path):
    config = tmp_path / "confmon"
    config.mkdir()
    (config / "config.toml").write_text(
        f'[profiles.tight]\nbase_url = "{sim_url}"\naccount_sid = "{ACCOUNT}"\nauth_token_env = "SIM_TOKEN"\n'
        "max_body_mib = 0.001\n"
        f'[profiles.broken]\nbase_url = "{sim_url}"\naccount_sid = "{ACCOUNT}"\nauth_token_env = "SIM_TOKEN"\n'
        "max_body_mib = -1\n"
    )
    env = {"XDG_CONFIG_HOME": str(tmp_path), "SIM_TOKEN": TOKEN}
    result = confmon("ls", "--profile", "tight", env=env)
    assert result.returncode == 5 and "over the 1,048 bytes limit" in result.stderr
    result = confmon("ls", "--profile", "tight", "--max-body", "16", env=env)
    assert result.returncode == 0, result.stderr
    result = confmon("profiles", env=env)
    tight, broken = result.stdout.splitlines()
    assert tight.endswith(", bodies up to 0.001 MiB")
    assert broken == (
        "broken: not usable: profiles.broken.max_body_mib must be a positive number of MiB (one byte at least)"
    )


def test_an_error_line_shows_no_secret_and_no_terminal_escape(capsys):
    secret = Secret("a-long-unique-test-secret-for-the-error-line")
    code = _fail(5, f"the server said: token {secret.reveal()} is \x1b[2J\x1b]0;pwned\x07bad\nsecond line")
    assert code == 5
    err = capsys.readouterr().err
    assert err == "confmon: the server said: token **** is \\x1b[2J\\x1b]0;pwned\\x07bad second line\n"
