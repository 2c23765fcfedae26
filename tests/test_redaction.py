"""Every secret confmon holds is redacted from every text that leaves the process, in one place
(`secret.redact`, which `sanitize.display_text` applies): a server that echoes our token or our
Authorization header in an error body puts neither on the screen, in the audit file, nor on stderr."""

from __future__ import annotations

import asyncio
import base64
import os
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confmon.audit import AuditLog
from confmon.backend import open_backend
from confmon.clock import FrozenClock
from confmon.config import Connection, Credentials
from confmon.launch import make_app
from confmon.sanitize import display_text
from confmon.secret import _KNOWN, REDACTED, Secret, hide_basic_credentials, redact
from confmon.sim.server import SimServer
from tests.simulated import ACCOUNT, TOKEN
from tests.ui_harness import SIZE, wait_loaded
from tests.waiting import wait_until


def basic(token: str) -> str:
    return base64.b64encode(f"{ACCOUNT}:{token}".encode()).decode()


def echo(token: str) -> str:
    """What a careless server says back: the token as sent, shouted, URL-encoded, and our header."""
    return f"bad token {token} / {token.upper()} / {token.replace('-', '%2D')} / Authorization: Basic {basic(token)}"


def leaked(text: str, token: str) -> bool:
    forms = (token, token.upper(), token.replace("-", "%2D"), basic(token))
    return any(form in text for form in forms)


@pytest.mark.parametrize(
    "value",
    ["0123456789abcdef0123456789abcdef", "SKsecret+with/odd=shape", "KEY0190A1_zz.yy~"],
    ids=["hex-token", "api-secret", "bearer-key"],
)
def test_a_secret_of_any_shape_is_redacted_in_every_form_it_travels_in(value: str) -> None:
    Secret(value)
    from urllib.parse import quote

    everything_escaped = "".join(f"%{byte:02x}" for byte in value.encode())
    for form in (value, value.upper(), value.lower(), quote(value, safe=""), everything_escaped):
        assert redact(f"x {form} y") == f"x {REDACTED} y"
        assert value not in display_text(f"error: {form}")


@pytest.mark.parametrize("form", ["my%2Dsecret%2Dtoken", "my-secret%2dtoken", "%6Dy-secret-token", "MY%2DSECRET-TOKEN"])
def test_a_secret_is_redacted_whichever_of_its_characters_a_server_escaped(form: str) -> None:
    Secret("my-secret-token")
    assert redact(f"echo {form}.") == f"echo {REDACTED}."


def test_a_space_in_a_secret_may_come_as_a_plus() -> None:
    Secret("open sesame now")
    assert redact("Password=open+sesame%20now&x=1") == f"Password={REDACTED}&x=1"


@st.composite
def echoed(draw: st.DrawFn) -> tuple[str, str, str]:
    """A secret, and a text that echoes it with some characters escaped and in any case."""
    value = draw(st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=8, max_size=24))
    spelled = "".join(
        draw(st.sampled_from([ch.lower(), ch.upper(), f"%{ord(ch):02X}", f"%{ord(ch):02x}"])) for ch in value
    )
    around = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12)
    return value, f"{draw(around)} {spelled} {draw(around)}", spelled


@settings(max_examples=300, deadline=None)
@given(echoed())
def test_no_echo_of_a_secret_slips_past_the_prefilter(case: tuple[str, str, str]) -> None:
    value, text, spelled = case
    known = _KNOWN.snapshot()
    try:
        Secret(value)
        assert spelled not in redact(text)
    finally:
        _KNOWN.restore(known)


def test_the_prefilter_spares_the_pattern_only_text_that_cannot_hold_a_secret() -> None:
    Secret("0123456789abcdef0123456789abcdef")
    published = _KNOWN.published
    assert published is not None
    for text in ("+15551234567", "conference CF0123", "0123456789abcdef0123456789abcdeX", "a%20b"):
        assert not published.may_hold(text)
    for text in ("x 0123456789ABCDEF0123456789abcdef", "x %30123456789abcdef0123456789abcdef", "ſ"):
        assert published.may_hold(text)


@pytest.mark.parametrize("value", ["p%20ssword123", "pass%2Dword99", "ends-in-%4", "%61%41b-secret"])
def test_a_secret_with_a_percent_of_its_own_is_redacted_as_sent(value: str) -> None:
    Secret(value)
    assert redact(f"got {value}.") == f"got {REDACTED}."


def test_the_basic_credentials_a_server_echoes_are_redacted() -> None:
    secret = Secret("an-api-secret-42")
    hide_basic_credentials("SKkey", secret)
    header = base64.b64encode(b"SKkey:an-api-secret-42").decode()
    assert display_text(f"Authorization: Basic {header}") == f"Authorization: Basic {REDACTED}"


def test_redaction_comes_before_truncation() -> None:
    Secret("fedcba9876543210fedcba9876543210")
    shown = display_text("x" * 120 + "fedcba9876543210fedcba9876543210", max_length=128)
    assert "fedcba9" not in shown  # a cut token would leave its head on screen


def test_a_short_secret_is_only_hidden_as_a_word() -> None:
    Secret("pw1")
    words = "the pw1 was wrong, pw12 and apw1 are other words"
    assert redact(words) == f"the {REDACTED} was wrong, pw12 and apw1 are other words"


async def test_an_echoed_token_reaches_neither_screen_nor_log_nor_audit(tmp_path) -> None:
    token = "echo-" + "5a" * 14
    clock = FrozenClock()
    from confmon.sim.world import World

    server = SimServer(World(1, clock, ACCOUNT, target_rooms=3, traffic=False), auth_token=token)
    url = await server.start(port=0)
    audit_path = tmp_path / "audit.jsonl"
    try:
        connection = Connection(url, Credentials(ACCOUNT, ACCOUNT, Secret(token)))
        sources = open_backend(connection, audit=AuditLog(audit_path, clock=clock), read_only=False, clock=clock)
        app = make_app(sources, clock=clock, interval=0.25)
        async with app.run_test(size=SIZE) as pilot:
            await wait_loaded(pilot)
            server.faults.fail_next(status=400, message=echo(token))  # the mute's POST gets it
            await pilot.press("tab", "m")
            await wait_until(lambda: audit_path.exists(), pilot)
            server.faults.fail_next(status=401, message=echo(token))  # and the next poll
            await pilot.press("r")
            await wait_until(lambda: "auth failed" in str(app.query_one("#status").render()), pilot)
            screen = str(app.query_one("#status").render()) + "\n".join(entry.text for entry in app.event_log.entries)
            assert "bad token" in screen and REDACTED in screen  # the message is shown, the token is not
            assert not leaked(screen, token)
        audit = audit_path.read_text()
        assert "bad token" in audit and not leaked(audit, token)
    finally:
        await server.stop()


@pytest.mark.parametrize("command", [["ls"], []], ids=["ls", "monitor"])
async def test_an_echoed_token_never_reaches_stderr(simulator: SimServer, tmp_path, command: list[str]) -> None:
    simulator.faults.fail_next(status=401, message=echo(TOKEN))
    env = {**os.environ, "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN, "XDG_CONFIG_HOME": str(tmp_path)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "confmon", "--base-url", simulator.base_url, "--audit-log", str(tmp_path / "a"), *command,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL, env=env,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), 60)
    stderr = err.decode()
    assert process.returncode == 3, stderr  # EXIT_AUTH
    assert "bad token" in stderr and not leaked(stderr, TOKEN)
