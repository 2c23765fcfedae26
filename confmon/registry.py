"""The dialects confmon speaks, and what the rest of the program must know about each: one table.

A dialect is a `--dialect` value: one provider's conference API in one wire format. The wire format
itself lives in the client module a spec names (`confmon.api.dialects.<client_module>`) and in the
simulator dialect that serves it (`confmon.sim.dialects`); every other fact is here, as plain data.
This module imports only the standard library and the model, so settings, the client, the simulator
and the UI can all read it without importing one another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from confmon.model import Capabilities

Family = Literal["twilio2010", "twilio2008", "restcomm"]  # the API a dialect is, or copies
AuthScheme = Literal["basic", "bearer"]  # "basic": id and secret; "bearer": the secret is the token


class UnknownDialect(ValueError):
    """A dialect name that is not one of NAMES."""


@dataclass(frozen=True, slots=True)
class AccountIds:
    """What an account id must look like. It goes into every request path: never a '/', '?' or '#'."""

    pattern: re.Pattern[str]  # the whole id must match
    complaint: str  # the one-line error for an id that does not


@dataclass(frozen=True, slots=True)
class EnvVars:
    """The environment variables an account's settings are read from when no profile names others."""

    account_sid: str
    auth_token: str
    api_key: str  # read only where the dialect takes API keys
    api_secret: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DialectSpec:
    name: str  # the --dialect value
    family: Family
    capabilities: Capabilities
    account_ids: AccountIds
    api_keys: bool  # takes Twilio API keys (SK…) besides the account's own token
    auth: AuthScheme
    default_base_url: str | None  # the API origin; None where each customer has their own host
    client_module: str  # the module under confmon.api.dialects that speaks it
    sim_dialect: str  # the simulator dialect that serves it (one of confmon.sim.dialects' classes)
    env: EnvVars
    # A named profile may leave its token variable unnamed and read env's. Only for Twilio's own APIs:
    # a profile for any other provider must never be handed a Twilio secret by default.
    profile_falls_back_to_env: bool


TWILIO_ACCOUNT_SIDS = AccountIds(
    re.compile(r"AC[0-9a-fA-F]{32}"), "the account SID must be AC followed by 32 hex digits"
)
# UUIDs (SignalWire's Project ID), Telnyx's own ids: whatever is one safe path segment.
OPAQUE_ACCOUNT_IDS = AccountIds(
    re.compile(r"[A-Za-z0-9._:@-]{1,128}"), "the account id may hold only letters, digits and . _ : @ -"
)
TWILIO_ENV = EnvVars("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET")
TWILIO_API = "https://api.twilio.com"

def _mute_and_kick_only(name: str, *, reports_moderator: bool = False) -> Capabilities:
    """The older APIs (2008, RestComm): no hold, no end call (a room ends when its last caller is
    kicked), no announcements, recordings, labels, coaching or callbacks we can check."""
    return Capabilities(
        name=name,
        can_hold=False,
        can_end=False,
        end_by_kicking_all=True,
        can_announce_room=False,
        can_announce_participant=False,
        has_recordings=False,
        has_labels=False,
        has_coaching=False,
        reports_moderator=reports_moderator,
        has_callbacks=False,
    )


_SPECS = (
    DialectSpec(
        name="twilio2010",
        family="twilio2010",
        capabilities=Capabilities(name="Twilio 2010-04-01"),
        account_ids=TWILIO_ACCOUNT_SIDS,
        api_keys=True,
        auth="basic",
        default_base_url=TWILIO_API,
        client_module="twilio2010",
        sim_dialect="twilio2010",
        env=TWILIO_ENV,
        profile_falls_back_to_env=True,
    ),
    DialectSpec(
        name="twilio2010-xml",
        family="twilio2010",
        capabilities=Capabilities(name="Twilio 2010-04-01 (XML)"),
        account_ids=TWILIO_ACCOUNT_SIDS,
        api_keys=True,
        auth="basic",
        default_base_url=TWILIO_API,
        client_module="twilio2010_xml",
        sim_dialect="twilio2010",  # which answers XML wherever a URI has no .json
        env=TWILIO_ENV,
        profile_falls_back_to_env=True,
    ),
    DialectSpec(
        name="twilio2008",
        family="twilio2008",
        capabilities=_mute_and_kick_only("Twilio 2008-08-01"),
        account_ids=TWILIO_ACCOUNT_SIDS,
        api_keys=False,  # Twilio issues API keys for 2010 only
        auth="basic",
        default_base_url=TWILIO_API,
        client_module="twilio2008",
        sim_dialect="twilio2008",
        env=TWILIO_ENV,
        profile_falls_back_to_env=True,
    ),
    DialectSpec(
        name="restcomm",
        family="restcomm",
        capabilities=_mute_and_kick_only("RestComm 2012-04-24", reports_moderator=True),
        account_ids=TWILIO_ACCOUNT_SIDS,  # RestComm copies Twilio's AC SIDs
        api_keys=False,
        auth="basic",
        default_base_url=None,  # self-hosted: http(s)://host:8080
        client_module="restcomm",
        sim_dialect="restcomm",
        env=TWILIO_ENV,
        profile_falls_back_to_env=False,
    ),
    DialectSpec(
        name="signalwire",
        family="twilio2010",
        capabilities=Capabilities(name="SignalWire LaML", has_labels=False),
        account_ids=OPAQUE_ACCOUNT_IDS,
        api_keys=False,
        auth="basic",
        default_base_url=None,  # one host per Space: https://{space}.signalwire.com
        client_module="signalwire",
        sim_dialect="signalwire",
        env=TWILIO_ENV,
        profile_falls_back_to_env=False,
    ),
    DialectSpec(
        name="telnyx",
        family="twilio2010",
        # Telnyx signs its webhooks with ed25519 (telnyx-signature-ed25519), not X-Twilio-Signature:
        # the receiver cannot check them, so callbacks are off for it.
        capabilities=Capabilities(name="Telnyx TeXML", has_labels=False, has_callbacks=False),
        account_ids=OPAQUE_ACCOUNT_IDS,
        api_keys=False,
        auth="bearer",
        default_base_url="https://api.telnyx.com",
        client_module="telnyx",
        sim_dialect="telnyx",
        env=TWILIO_ENV,
        profile_falls_back_to_env=False,
    ),
)

_BY_NAME = {spec.name: spec for spec in _SPECS}
NAMES: tuple[str, ...] = tuple(_BY_NAME)
DEFAULT = "twilio2010"


def get(name: str) -> DialectSpec:
    """The dialect called `name`; UnknownDialect (a ValueError) naming the known ones for any other."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownDialect(f"unknown dialect {name!r}; known: {', '.join(NAMES)}") from None
