"""Where the connection settings come from: flags for the non-secret parts, the environment or a
prompt for the secret ones (never argv: it shows in `ps` and in shell history)."""

from __future__ import annotations

import getpass
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from confmon.secret import Secret

TWILIO_BASE_URL = "https://api.twilio.com"

_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
_API_KEY_SID = re.compile(r"SK[0-9a-fA-F]{32}")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line for the terminal."""


@dataclass(frozen=True)
class Credentials:
    """HTTP Basic credentials: the account SID and its auth token, or an API key and its secret."""

    account_sid: str
    username: str
    password: Secret


@dataclass(frozen=True)
class Connection:
    base_url: str
    credentials: Credentials


def check_base_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--base-url must be an http(s) URL, got {url!r}")
    if parts.username is not None or parts.password is not None:
        raise ConfigError("--base-url must not carry credentials: use the TWILIO_* environment variables")
    return url.rstrip("/")


def credentials_from_env(
    env: Mapping[str, str] = os.environ,
    *,
    account_sid: str | None = None,
    prompt: Callable[[str], str] | None = None,
) -> Credentials:
    """Read TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or with TWILIO_API_KEY + TWILIO_API_SECRET.

    With no secret in the environment and a terminal on stdin, ask for the auth token.
    """
    sid = account_sid or env.get("TWILIO_ACCOUNT_SID", "")
    if not sid:
        raise ConfigError("no account: set TWILIO_ACCOUNT_SID (or pass --account-sid)")
    if not _ACCOUNT_SID.fullmatch(sid):
        raise ConfigError("the account SID must be AC followed by 32 hex digits")

    api_key, api_secret = env.get("TWILIO_API_KEY", ""), env.get("TWILIO_API_SECRET", "")
    if api_key or api_secret:
        if not (api_key and api_secret):
            raise ConfigError("set both TWILIO_API_KEY and TWILIO_API_SECRET, or neither")
        if not _API_KEY_SID.fullmatch(api_key):
            raise ConfigError("TWILIO_API_KEY must be SK followed by 32 hex digits")
        return Credentials(sid, api_key, Secret(api_secret))

    token = env.get("TWILIO_AUTH_TOKEN", "")
    if not token:
        if prompt is None and sys.stdin.isatty():
            prompt = getpass.getpass
        if prompt is None:
            raise ConfigError("no secret: set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET")
        token = prompt(f"Auth token for {sid[:6]}…{sid[-4:]}: ").strip()
        if not token:
            raise ConfigError("no auth token given")
    return Credentials(sid, sid, Secret(token))
