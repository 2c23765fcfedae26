"""Identifiers and plausible names for the simulated account, all drawn from a caller's seeded RNG."""

from __future__ import annotations

import re
from random import Random

REGIONS = ("us1", "us2", "ie1", "de1", "sg1", "br1", "au1", "jp1")
# Most traffic is mixed in us1 (Basic conferences always are); the rest spreads over the others.
REGION_WEIGHTS = (10, 3, 2, 2, 1, 1, 1, 1)

_ROOM_NAMES = (
    "Sales weekly sync",
    "Incident bridge {n}",
    "Support escalation {n}",
    "Customer onboarding - {company}",
    "Partner call - {company}",
    "{team} standup",
    "{team} retro",
    "Design review",
    "Board prep",
    "Q{q} pipeline review",
    "Recruiting debrief",
    "Ops handover",
    "All hands dial-in",
    "Renewal call - {company}",
    "War room {n}",
)
_TEAMS = ("Platform", "Mobile", "Payments", "Growth", "Infra", "Data", "Billing", "Search")
_COMPANIES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Soylent", "Vandelay")
_PEOPLE = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yuki", "zoe",
)  # fmt: skip
_SURNAMES = ("MORENO", "NGUYEN", "OKAFOR", "SMITH", "TANAKA", "COHEN", "SILVA", "MULLER", "KOWALSKI", "PATEL")
HOST_LABELS = ("host", "moderator", "chair", "agent")
COACH_LABELS = ("supervisor", "coach", "team-lead")

_NANP = re.compile(r"\+1([2-9][0-9]{2})([0-9]{3})([0-9]{4})")  # +1 area, exchange, line
_CF = re.compile(r"CF[0-9a-fA-F]{32}")  # fullmatch: `$` would also accept a trailing newline
_CA = re.compile(r"CA[0-9a-fA-F]{32}")


def new_sid(rng: Random, prefix: str) -> str:
    return f"{prefix}{rng.getrandbits(128):032x}"


def is_conference_sid(value: str) -> bool:
    return _CF.fullmatch(value) is not None


def is_call_sid(value: str) -> bool:
    return _CA.fullmatch(value) is not None


def room_name(rng: Random) -> str:
    return rng.choice(_ROOM_NAMES).format(
        n=rng.randint(2, 99), team=rng.choice(_TEAMS), company=rng.choice(_COMPANIES), q=rng.randint(1, 4)
    )


def region(rng: Random) -> str:
    return rng.choices(REGIONS, REGION_WEIGHTS)[0]


def phone_number(rng: Random) -> str:
    # 555-01XX numbers are reserved for fiction in the North American plan.
    return f"+1{rng.choice(('415', '212', '312', '206', '617'))}55501{rng.randint(0, 99):02d}"


def north_american(address: str) -> tuple[str, str, str] | None:
    """(area code, exchange, line) of a +1 number, for the APIs that show those apart; None for any
    other address (a number elsewhere, SIP, `client:`)."""
    found = _NANP.fullmatch(address)
    return (found[1], found[2], found[3]) if found else None


def dial_in_number(conference_sid: str) -> str:
    """The number callers dial to reach a room: a fictional toll-free one (800-555-01XX), from its SID."""
    return f"+18005550{100 + Random(f'{conference_sid}/dial-in').randrange(100)}"


def caller_name(call_sid: str, from_: str, person: str | None = None) -> str | None:
    """What a caller-ID lookup (CNAM) says of a call from `from_`: for about two phone callers in three
    a name as carriers keep them (upper case, at most 15 characters; `person`'s own, if that is one of
    ours), for some of those WIRELESS CALLER; None for the rest, and for a call from no phone number.

    Drawn from a stream seeded by the call SID, so that it takes no draw from anyone else's stream.
    """
    if not from_.startswith("+"):
        return None
    rng = Random(f"{call_sid}/caller-name")
    draw = rng.random()
    if draw < 0.35:
        return None
    if draw < 0.45:
        return "WIRELESS CALLER"
    first = person if person in _PEOPLE else rng.choice(_PEOPLE)
    return f"{first} {rng.choice(_SURNAMES)}".upper()[:15]


def caller(rng: Random) -> tuple[str, str]:
    """A participant's (label, From): a person's name, a phone number, or a Client identity."""
    kind = rng.random()
    if kind < 0.6:
        name = rng.choice(_PEOPLE)
        return name, phone_number(rng)
    if kind < 0.85:
        number = phone_number(rng)
        return number, number
    identity = f"client:{rng.choice(_PEOPLE)}"
    return identity, identity
