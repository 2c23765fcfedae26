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
HOST_LABELS = ("host", "moderator", "chair", "agent")
COACH_LABELS = ("supervisor", "coach", "team-lead")

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
