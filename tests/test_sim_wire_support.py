"""Helpers for the per-dialect simulator tests (real HTTP over loopback), and checks of the seed copies.

The other tests/test_sim_dialect_*.py files import from here.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from confmon.clock import FrozenClock
from confmon.model import ConferenceStatus
from confmon.sim.server import SimServer
from confmon.sim.world import World
from tests import reference
from tests.simulated import ACCOUNT as AC

TOKEN = "sim-dialect-token"
FROM, TO = "+15005550006", "+15005550001"
WIRE = reference.WIRE_EXAMPLES
SEEDS = reference.SHARED_SEEDS
RFC2822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$")


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Any
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0]

    def json(self) -> Any:
        assert self.content_type == "application/json", (self.content_type, self.body[:200])
        return json.loads(self.body)

    def xml(self) -> ET.Element:
        assert self.content_type == "application/xml", (self.content_type, self.body[:200])
        return parse(self.body)


@dataclass
class Wire:
    """A session on one simulator; paths are relative to the dialect's account, e.g. "/Conferences"."""

    server: SimServer
    session: aiohttp.ClientSession

    @property
    def account(self) -> str:
        return f"{self.server.prefix}/Accounts/{self.server.world.account_sid}"

    async def __call__(
        self, method: str, path: str, status: int | None = None, *, absolute: bool = False, **kwargs: Any
    ) -> Reply:
        url = path if absolute else self.account + path
        async with self.session.request(method, url, **kwargs) as response:
            reply = Reply(response.status, response.headers, await response.read())
        if status is not None:
            assert reply.status == status, (reply.status, reply.body[:300])
        return reply


def new_world(seed: int = 11, *, traffic: bool = False, rooms: int = 12) -> World:
    return World(seed, FrozenClock(), AC, target_rooms=rooms, traffic=traffic)


def basic(username: str = AC, password: str = TOKEN) -> dict[str, str]:
    return {"Authorization": aiohttp.encode_basic_auth(username, password)}


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def served(world: World, dialect: str, **kwargs: Any) -> AsyncIterator[Wire]:
    server = SimServer(world, auth_token=TOKEN, dialect=dialect, **kwargs)
    await server.start()
    headers = bearer() if dialect == "telnyx" else basic()
    try:
        async with aiohttp.ClientSession(server.base_url, headers=headers) as session:
            yield Wire(server, session)
    finally:
        await server.stop()


def parse(body: bytes | str) -> ET.Element:
    """Well-formed XML or the test fails (ElementTree rejects what is not)."""
    return ET.fromstring(body)


def tags(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def texts(element: ET.Element) -> dict[str, str | None]:
    return {child.tag: child.text for child in element}


def live_sid(world: World) -> str:
    return next(c.sid for c in world.conferences() if c.status == ConferenceStatus.IN_PROGRESS)


def busy_sid(world: World, at_least: int = 3) -> str:
    """A live room with several participants."""
    return next(
        c.sid
        for c in world.conferences()
        if c.status == ConferenceStatus.IN_PROGRESS and len(world.participants(c.sid)) >= at_least
    )


def wire_example(name: str) -> str:
    return (WIRE / name).read_text()


def attribute_names(start_tag: str) -> list[str]:
    """Attribute names of a start tag as published, even where the values are not quoted."""
    return re.findall(r"\s([a-z]+)=", start_tag)


def in_order(names: list[str], within: list[str]) -> bool:
    """Every name appears in `within`, in the same relative order."""
    positions = [within.index(n) for n in names if n in within]
    return len(positions) == len(names) and positions == sorted(positions)


# -- the copies in tests/data/wire are the seeds' own examples


COPIES = {
    "twilio2008_conference.xml": "001_e1f019df936eb8d2.txt",
    "twilio2008_conferences.xml": "001_e1f019df936eb8d2.txt",
    "twilio2008_participant.xml": "001_e1f019df936eb8d2.txt",
    "twilio2008_participant_muted.xml": "001_e1f019df936eb8d2.txt",
    "twilio2008_participants.xml": "001_e1f019df936eb8d2.txt",
    "twilio2010_participant.xml": "003_dab11a3361bd87ba.txt",
    "twilio2010_participant_muted.xml": "003_dab11a3361bd87ba.txt",
    "twilio2010_participants.as-published.txt": "003_dab11a3361bd87ba.txt",
    "restcomm_conferences.json": "004_62b9884ddb9ffbb0.txt",
}


@pytest.mark.skipif(not SEEDS.exists(), reason="shared/ is not beside the repository")
@pytest.mark.parametrize(("copy", "seed"), sorted(COPIES.items()))
def test_each_wire_example_is_a_verbatim_copy_of_its_seed(copy: str, seed: str) -> None:
    assert wire_example(copy).strip() in (SEEDS / seed).read_text()


@pytest.mark.parametrize("copy", [name for name in sorted(COPIES) if name.endswith(".xml")])
def test_the_xml_examples_are_well_formed(copy: str) -> None:
    assert parse(wire_example(copy)).tag == "TwilioResponse"


def test_the_published_2010_list_is_not_well_formed_so_only_its_names_are_read() -> None:
    published = wire_example("twilio2010_participants.as-published.txt")
    with pytest.raises(ET.ParseError):
        parse(published)
    start = re.search(r"<Participants [^>]*>", published)
    assert start is not None
    assert attribute_names(start.group(0)) == [
        "page", "numpages", "pagesize", "total", "start", "end", "uri", "firstpageuri", "previouspageuri",
        "nextpageuri", "lastpageuri",
    ]  # fmt: skip
