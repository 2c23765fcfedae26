"""One odd record never costs the others, in any dialect: a valid page as the simulator serves it,
with one field of one record changed to anything at all, still parses, and every other record is
read exactly as before (the odd one is read in part, kept raw, or dropped alone and named)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from confmon import registry
from confmon.api import dialects
from confmon.api.dialects import Dialect, Page, ParticipantFilters
from confmon.clock import FrozenClock
from confmon.sim.server import SimServer
from confmon.sim.world import World

AC = "AC" + "2" * 32
TOKEN = "tolerance-test-token"


@dataclass(frozen=True)
class Served:
    """One listing as the simulator served it, and how to parse it."""

    dialect: Dialect
    body: bytes
    parse: Callable[[bytes], Page[Any]]


async def _serve(name: str) -> list[Served]:
    dialect = dialects.get(name)
    world = World(5, FrozenClock(), AC, target_rooms=4, traffic=False)
    server = SimServer(world, auth_token=TOKEN, dialect=name)
    base_url = await server.start(port=0)
    auth = {"Authorization": f"Bearer {TOKEN}"} if dialect.AUTH == "bearer" else {}
    basic = None if dialect.AUTH == "bearer" else httpx.BasicAuth(AC, TOKEN)
    try:
        headers = {"Accept": dialect.MEDIA_TYPE, **auth}
        async with httpx.AsyncClient(base_url=base_url, headers=headers, auth=basic) as http:

            async def get(request: dialects.Request) -> bytes:
                response = await http.get(request.path, params=request.params)
                assert response.status_code == 200, response.text
                return response.content

            rooms = await get(dialect.live_conferences(AC, 50)[-1])
            page = dialect.parse_conference_page(rooms)
            sid = next(c.sid for c in page.items if len(world.participants(c.sid)) >= 3)
            people = await get(dialect.list_participants(AC, sid, ParticipantFilters()))
    finally:
        await server.stop()
    return [
        Served(dialect, rooms, dialect.parse_conference_page),
        Served(dialect, people, lambda body: dialect.parse_participant_page(body, sid)),
    ]


@pytest.fixture(scope="module")
def served() -> dict[str, list[Served]]:
    return {name: asyncio.run(_serve(name)) for name in registry.NAMES}


# Whatever a field may be changed to: other types, empty, hostile text, odd dates and ids.
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.sampled_from(["", "null", "completed", "RUNNING_SOMETHING", "Mon, 99 Foo 2020", "CA123", "\x1b[2J", "9" * 40]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
XML_TEXT = st.one_of(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40),
                     st.sampled_from(["", "null", "completed", "yes", "Mon, 99 Foo 2020", "CA123"]))  # fmt: skip


def _mutate_json(body: bytes, data: st.DataObject) -> tuple[bytes, int]:
    document = json.loads(body)
    key = next(k for k, v in document.items() if isinstance(v, list) and v and isinstance(v[0], dict))
    records = document[key]
    index = data.draw(st.integers(0, len(records) - 1), label="record")
    field = data.draw(st.sampled_from(sorted(records[index])), label="field")
    records[index][field] = data.draw(VALUES, label="value")
    return json.dumps(document).encode(), index


def _records_of(root: ElementTree.Element) -> list[ElementTree.Element]:
    for element in root.iter():
        children = list(element)
        if len(children) >= 2 and len({child.tag for child in children}) == 1 and len(children[0]):
            return children
    raise AssertionError("no list of records in this XML page")


def _mutate_xml(body: bytes, data: st.DataObject) -> tuple[bytes, int]:
    root = ElementTree.fromstring(body)
    records = _records_of(root)
    index = data.draw(st.integers(0, len(records) - 1), label="record")
    fields = list(records[index])
    field = fields[data.draw(st.integers(0, len(fields) - 1), label="field")]
    if data.draw(st.booleans(), label="remove"):
        records[index].remove(field)
    else:
        field.text = data.draw(XML_TEXT, label="text")
    return ElementTree.tostring(root), index


@pytest.mark.parametrize("name", registry.NAMES)
@pytest.mark.parametrize("which", ["conferences", "participants"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_one_odd_field_in_one_record_costs_no_other_record(
    served: dict[str, list[Served]], name: str, which: str, data: st.DataObject
) -> None:
    listing = served[name][0 if which == "conferences" else 1]
    original = listing.parse(listing.body).items
    assert len(original) >= 2
    xml = listing.body.lstrip().startswith(b"<")
    body, index = (_mutate_xml if xml else _mutate_json)(listing.body, data)
    page = listing.parse(body)  # never raises: the document is still a page
    others = [item for i, item in enumerate(original) if i != index]
    for item in others:
        assert item in page.items
    assert len(page.items) >= len(others)
    # Counted, so the listing is known to lack it, unless it sent an id that no record read before has.
    assert page.dropped <= len(original) - len(page.items)
    if len(page.items) < len(original):  # the odd one was dropped: it is named, not silently lost
        assert any("dropped" in problem for problem in page.problems)
    for problem in page.problems:
        assert problem.isprintable()
