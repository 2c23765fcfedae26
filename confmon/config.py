"""Where the connection settings come from.

Non-secret parts (dialect, base URL, account) come from flags, else a named profile in the config
file, else the environment. Secrets come only from the environment or a prompt: never from argv
(it shows in `ps` and shell history) and never from the config file (it gets copied and shared);
a profile names the environment variables that hold them.
"""

from __future__ import annotations

import getpass
import math
import os
import re
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from confmon import registry
from confmon.secret import Secret
from confmon.signals import Interrupted

# The registry's, under the names the command line still imports.
DIALECTS = registry.NAMES
DEFAULT_DIALECT = registry.DEFAULT

_API_KEY_SID = re.compile(r"SK[0-9a-fA-F]{32}")
MIB = 1024 * 1024
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line for the terminal."""


@dataclass(frozen=True)
class Credentials:
    """The account, and the user name and secret to present: HTTP Basic, or a bearer token (Telnyx)
    where the dialect asks for one, in which case `password` is the token."""

    account_sid: str
    username: str
    password: Secret
    # What Twilio signs status callbacks with: the account's auth token, also when the API is
    # reached with an API key. None: not known, so callbacks cannot be checked.
    signing_token: Secret | None = None


@dataclass(frozen=True)
class Connection:
    base_url: str
    credentials: Credentials
    dialect: str = DEFAULT_DIALECT
    profile: str | None = None
    max_body: int | None = None  # bytes of a response body, at most; None: the client's default


@dataclass(frozen=True, kw_only=True)
class Profile:
    """One `[profiles.NAME]` table of the config file, or (name "") the session without one. The *_env
    fields name environment variables; what a table leaves out, its dialect's defaults fill in."""

    name: str
    dialect: str = DEFAULT_DIALECT
    base_url: str | None = None
    account_sid: str | None = None
    account_sid_env: str
    auth_token_env: str
    api_key: str | None = None  # an API key SID is not secret; its secret is read from api_secret_env
    api_key_env: str  # "" in a named profile that does not name one
    api_secret_env: str
    max_body_mib: float | None = None  # the response body cap; None: the client's default

    def describe(self) -> str:
        """One line for `confmon profiles`: where each setting comes from, never a secret."""
        account = self.account_sid or f"${self.account_sid_env}"
        key = f", API key {self.api_key} + ${self.api_secret_env}" if self.api_key else ""
        cap = f", bodies up to {self.max_body_mib:g} MiB" if self.max_body_mib is not None else ""
        return f"{self.name}: {self.dialect} at {self.base_url or 'its default URL'}, account {account}, " \
               f"token ${self.auth_token_env}{key}{cap}"


@dataclass(frozen=True)
class RefusedProfile:
    """A `[profiles.NAME]` table that cannot be used, and why (one line, never a secret's value). Only
    this profile is refused: the others in the file keep working."""

    name: str
    problem: str

    def describe(self) -> str:
        return f"{self.name}: not usable: {self.problem}"


def default_config_path() -> Path:
    import platformdirs

    return platformdirs.user_config_path("confmon") / "config.toml"


_SECRET_KEYS = {"auth_token", "token", "password", "api_secret", "secret"}


def load_profiles(path: Path | None = None) -> dict[str, Profile | RefusedProfile]:
    """Profiles from the config file, in its order; none if it does not exist. A table with a problem
    (a secret written into it, a typo) comes back refused, alone: one bad profile must not make every
    other one unusable. A file that cannot be read at all raises ConfigError."""
    path = path or default_config_path()
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None
    tables = data.get("profiles", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{path}: [profiles] must be a table of tables")
    profiles: dict[str, Profile | RefusedProfile] = {}
    for name, table in tables.items():
        try:
            profiles[name] = _profile(name, table)
        except ConfigError as problem:
            profiles[name] = RefusedProfile(name, str(problem))
    return profiles


_PROFILE_SETTINGS = frozenset(f.name for f in fields(Profile)) - {"name"}
_NUMBERS = frozenset({"max_body_mib"})  # the settings that are not strings


def check_max_body_mib(value: object) -> float:
    """A response body cap in MiB, from a profile or --max-body: a finite number that leaves at least
    one byte. Raises ConfigError with what is wrong, without the value (the caller says where)."""
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
    if not math.isfinite(number) or int(number * MIB) < 1:
        raise ConfigError("must be a positive number of MiB (one byte at least)")
    return float(number)


def _profile(name: str, table: object) -> Profile:
    """One table of the file; ConfigError says what is wrong with it, naming the key but never its value."""
    if not isinstance(table, dict):
        raise ConfigError(f"profiles.{name} must be a table")
    secrets_here = _SECRET_KEYS & table.keys()
    if secrets_here:
        key = sorted(secrets_here)[0]
        raise ConfigError(
            f"profiles.{name}.{key}: secrets do not belong in the config file; "
            f"name the environment variable that holds it (e.g. auth_token_env)"
        )
    unknown = set(table) - _PROFILE_SETTINGS
    if unknown:
        raise ConfigError(f"profiles.{name}: unknown setting {sorted(unknown)[0]!r}")
    if not all(isinstance(value, str) for key, value in table.items() if key not in _NUMBERS):
        raise ConfigError(f"profiles.{name}: every setting but {', '.join(sorted(_NUMBERS))} is a string")
    if "max_body_mib" in table:
        try:
            table = table | {"max_body_mib": check_max_body_mib(table["max_body_mib"])}
        except ConfigError as error:
            raise ConfigError(f"profiles.{name}.max_body_mib {error}") from None
    # A named profile reads only the variables it names: the TWILIO_* defaults belong to the
    # session without a profile, and must not leak a Twilio secret to a lab or another provider.
    spec = _spec(table.get("dialect", DEFAULT_DIALECT))
    if "auth_token_env" not in table and not spec.profile_falls_back_to_env:
        raise ConfigError(f"profiles.{name}: name the variable that holds its token (auth_token_env)")
    uses_key = "api_key" in table or "api_key_env" in table
    defaults = _env_settings(spec.env, api_keys=uses_key)
    profile = Profile(name=name, **(defaults | table))
    for field in ("account_sid_env", "auth_token_env", "api_key_env", "api_secret_env"):
        value = getattr(profile, field)
        if value and not _ENV_NAME.fullmatch(value):
            raise ConfigError(f"profiles.{name}.{field} must be an environment variable name")
    return profile


def _spec(dialect: str) -> registry.DialectSpec:
    try:
        return registry.get(dialect)
    except registry.UnknownDialect as error:
        raise ConfigError(str(error)) from None


def _env_settings(env: registry.EnvVars, *, api_keys: bool = True) -> dict[str, Any]:
    """A profile's *_env settings from a dialect's default variables; without `api_keys`, none for a key."""
    return {
        "account_sid_env": env.account_sid,
        "auth_token_env": env.auth_token,
        "api_key_env": env.api_key if api_keys else "",
        "api_secret_env": env.api_secret if api_keys else "",
    }


def _unnamed_profile(dialect: str) -> Profile:
    """The session without a profile: every variable is the dialect's default."""
    return Profile(name="", dialect=dialect, **_env_settings(_spec(dialect).env))


def check_base_url(url: str) -> str:
    if "@" in url:  # checked first, so no message echoes a password (a base URL has no other use for @)
        raise ConfigError("the base URL must not carry credentials: use the environment variables")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"the base URL must be an http(s) URL, got {url!r}")
    return url.rstrip("/")


def resolve_connection(
    *,
    profile_name: str | None = None,
    dialect: str | None = None,
    base_url: str | None = None,
    account_sid: str | None = None,
    default_base_url: Callable[[str], str | None] | None = None,
    env: Mapping[str, str] = os.environ,
    prompt: Callable[[str], str] | None = None,
    config_path: Path | None = None,
    max_body_mib: float | None = None,
) -> Connection:
    """Flags beat the profile, the profile beats the environment's defaults. Without `default_base_url`,
    a dialect's default URL is the registry's."""
    if profile_name is not None:
        profile = _named_profile(profile_name, config_path or default_config_path())
        chosen_dialect = dialect or profile.dialect
    else:
        chosen_dialect = dialect or DEFAULT_DIALECT
        profile = _unnamed_profile(chosen_dialect)
    spec = _spec(chosen_dialect)
    dialect_url = default_base_url(chosen_dialect) if default_base_url else spec.default_base_url
    url = base_url or profile.base_url or dialect_url
    if url is None:
        raise ConfigError(f"the {chosen_dialect} dialect has no public default: give --base-url or a profile")
    credentials = credentials_from_env(
        env,
        account_sid=account_sid or profile.account_sid,
        profile=profile,
        dialect=chosen_dialect,
        prompt=prompt,
    )
    mib = max_body_mib if max_body_mib is not None else profile.max_body_mib
    max_body = int(check_max_body_mib(mib) * MIB) if mib is not None else None
    return Connection(check_base_url(url), credentials, chosen_dialect, profile_name, max_body)


def _named_profile(name: str, path: Path) -> Profile:
    profile = load_profiles(path).get(name)
    if profile is None:
        raise ConfigError(f"no profile {name!r} in {path}")
    if isinstance(profile, RefusedProfile):
        raise ConfigError(f"{path}: {profile.problem}")
    return profile


def check_account_sid(sid: str, dialect: str) -> None:
    rule = _spec(dialect).account_ids
    if not rule.pattern.fullmatch(sid):
        raise ConfigError(rule.complaint)


def credentials_from_env(
    env: Mapping[str, str] = os.environ,
    *,
    account_sid: str | None = None,
    profile: Profile | None = None,
    dialect: str = DEFAULT_DIALECT,
    prompt: Callable[[str], str] | None = None,
) -> Credentials:
    """The account with its auth token, or with an API key and its secret, from the environment
    variables the profile names (TWILIO_* by default). With no secret and a terminal, ask."""
    p = profile or _unnamed_profile(dialect)
    sid = account_sid or env.get(p.account_sid_env, "")
    if not sid:
        raise ConfigError(f"no account: set {p.account_sid_env} (or pass --account-sid)")
    check_account_sid(sid, dialect)

    takes_keys = _spec(dialect).api_keys
    api_key = api_secret = ""
    if takes_keys:
        api_key = p.api_key or (env.get(p.api_key_env, "") if p.api_key_env else "")
        api_secret = env.get(p.api_secret_env, "") if p.api_secret_env else ""
    if api_key or api_secret:
        if not (api_key and api_secret):
            raise ConfigError(_half_an_api_key(p, has_key=bool(api_key)))
        if not _API_KEY_SID.fullmatch(api_key):
            raise ConfigError("the API key must be SK followed by 32 hex digits")
        token = env.get(p.auth_token_env, "") if p.auth_token_env else ""
        return Credentials(sid, api_key, Secret(api_secret), Secret(token) if token else None)

    token = env.get(p.auth_token_env, "")
    if not token:
        if prompt is None and sys.stdin.isatty():
            prompt = _ask
        if prompt is None:
            raise ConfigError(_no_secret(p, takes_keys))
        token = prompt(f"Auth token for {sid[:6]}…{sid[-4:]}: ").strip()
        if not token:
            raise ConfigError("no auth token given")
    return Credentials(sid, sid, Secret(token), Secret(token))


def _no_secret(p: Profile, takes_keys: bool) -> str:
    """What to set, naming only the variables this profile reads: a profile that names no API key
    reads none, and a dialect without API keys never does."""
    choices = [p.auth_token_env] if p.auth_token_env else []
    if takes_keys and p.api_key_env and p.api_secret_env:
        choices.append(f"{p.api_key_env} and {p.api_secret_env}")
    if not choices:
        return f"no secret: profile {p.name} names no variable for it (auth_token_env)"
    return "no secret: set " + ", or ".join(choices)


def _half_an_api_key(p: Profile, *, has_key: bool) -> str:
    """An API key without its secret, or a secret without its key."""
    if has_key:
        whose = f"API key {p.api_key}" if p.api_key else f"the API key in {p.api_key_env}"
        if not p.api_secret_env:
            return f"profile {p.name}: name the variable that holds the secret of {whose} (api_secret_env)"
        return f"set {p.api_secret_env}, the secret of {whose}, or drop the key"
    if not p.api_key_env:
        return f"{p.api_secret_env} holds an API key's secret, but profile {p.name} names no key (api_key)"
    return f"set both {p.api_key_env} and {p.api_secret_env}, or neither"


def _ask(prompt: str) -> str:
    """The terminal prompt. Ctrl-C, Ctrl-D or SIGTERM there leaves the cursor after the prompt: end its line, so
    what comes next (the shell's prompt, our message) starts on a fresh one."""
    try:
        return getpass.getpass(prompt)
    except (KeyboardInterrupt, EOFError, Interrupted):
        _end_prompt_line()
        raise


def _end_prompt_line() -> None:
    try:  # where getpass wrote the prompt
        with open("/dev/tty", "w") as tty:
            tty.write("\n")
    except OSError:  # no terminal of its own: getpass fell back to stderr
        print(file=sys.stderr)


@dataclass(frozen=True)
class CallbackSettings:
    """Where the status-callback receiver listens, and the public URL the provider posts to (and
    signs): a tunnel or proxy forwards that URL to host:port."""

    host: str
    port: int
    public_url: str


def callback_settings(listen: str, public_url: str | None) -> CallbackSettings:
    """From `--callbacks HOST:PORT` and `--public-url URL`; without a public URL, the listening one."""
    host, sep, port_text = listen.rpartition(":")
    host = host.strip("[]")  # [::1]:8090
    digits = port_text.isascii() and port_text.isdigit()  # str.isdigit alone takes "²", which int() refuses
    if not sep or not host or not digits or not 0 <= int(port_text) <= 65535:
        raise ConfigError(f"--callbacks wants HOST:PORT, like 127.0.0.1:8090, not {listen!r}")
    port = int(port_text)
    if public_url is None:
        if port == 0:
            raise ConfigError("--callbacks on port 0 needs --public-url: the provider must know where to post")
        if host in ("0.0.0.0", "::"):
            # The provider signs the URL it posts to, and it cannot post to "any address".
            raise ConfigError(f"--callbacks on {listen} needs --public-url: the URL the provider posts to and signs")
        shown = f"[{host}]" if ":" in host else host
        public_url = f"http://{shown}:{port}/"
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--public-url must be an absolute http(s) URL, not {public_url!r}")
    if parts.username or parts.password:
        raise ConfigError("--public-url must not carry a user name or password")
    return CallbackSettings(host, port, public_url)
