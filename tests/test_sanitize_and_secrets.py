from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from confmon.config import ConfigError, credentials_from_env
from confmon.sanitize import MAX_DISPLAY_LENGTH, display_text
from confmon.secret import Secret

HOSTILE = [
    "\x1b]0;PWNED\x07",
    "\x1b]52;c;aGFja2Vk\x1b\\",
    "\x1b[31mRED\x1b[0m",
    "\x9b31m",
    "a\x00b",
    "\u202egnp.exe",
    "zero\u200bwidth",
    "line\nbreak\r\ttab",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_control_or_format_character_survives(text):
    shown = display_text(text)
    assert shown.isprintable()
    assert "\x1b" not in shown and "\x9b" not in shown


def test_plain_and_markup_text_is_kept_verbatim():
    for text in ("Sales weekly sync", "[@click=app.quit]x", "café 中文 ☎", "a [/] b"):
        assert display_text(text) == text


@given(st.text())
def test_any_text_becomes_one_printable_line_of_bounded_length(text):
    shown = display_text(text)
    assert shown.isprintable()
    assert len(shown) <= MAX_DISPLAY_LENGTH


def test_secret_never_shows_itself():
    secret = Secret("hunter2-token")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret) and "hunter2" not in f"{secret}"
    assert secret.reveal() == "hunter2-token"
    with pytest.raises(TypeError):
        pickle.dumps(secret)


SID = "AC" + "1" * 32


def test_credentials_from_auth_token():
    creds = credentials_from_env({"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "tok"})
    assert (creds.account_sid, creds.username, creds.password.reveal()) == (SID, SID, "tok")


def test_credentials_from_api_key():
    key = "SK" + "2" * 32
    env = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_API_KEY": key, "TWILIO_API_SECRET": "s3"}
    creds = credentials_from_env(env)
    assert (creds.username, creds.password.reveal()) == (key, "s3")
    assert "s3" not in repr(creds)


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"TWILIO_ACCOUNT_SID": "ACnope", "TWILIO_AUTH_TOKEN": "t"},
        {"TWILIO_ACCOUNT_SID": SID, "TWILIO_API_KEY": "SK" + "2" * 32},
        {"TWILIO_ACCOUNT_SID": SID},
    ],
)
def test_missing_or_bad_credentials_are_one_line_errors(env):
    with pytest.raises(ConfigError) as error:
        credentials_from_env(env, prompt=lambda _: "")  # an empty answer at the prompt counts as none
    assert "\n" not in str(error.value)


def test_token_prompt_is_used_when_env_has_none():
    creds = credentials_from_env({"TWILIO_ACCOUNT_SID": SID}, prompt=lambda _: "typed\n")
    assert creds.password.reveal() == "typed"
