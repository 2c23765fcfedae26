"""One World, several servers, one dialect each: the server API, shared state, determinism, `confmon sim`."""

from __future__ import annotations

import pytest

from confmon.sim.server import DIALECTS, SimServer, run_standalone
from tests.test_sim_wire_support import AC, TOKEN, busy_sid, new_world, served, texts

PREFIXES = {
    "twilio2010": "/2010-04-01",
    "twilio2010-xml": "/2010-04-01",  # served by the twilio2010 simulator
    "twilio2008": "/2008-08-01",
    "restcomm": "/restcomm/2012-04-24",
    "signalwire": "/api/laml/2010-04-01",
    "telnyx": "/v2/texml",
}
LISTS = {  # a listing per dialect, in its own default format
    "twilio2010": "/Conferences?PageSize=1000",
    "twilio2010-xml": "/Conferences?PageSize=1000",
    "twilio2008": "/Conferences?num=1000",
    "restcomm": "/Conferences?PageSize=1000",
    "signalwire": "/Conferences.json?PageSize=1000",
    "telnyx": "/Conferences?PageSize=1000",
}


def test_the_dialects_and_their_prefixes() -> None:
    assert set(DIALECTS) == set(PREFIXES)
    world = new_world()
    for name, prefix in PREFIXES.items():
        assert SimServer(world, auth_token=TOKEN, dialect=name).prefix == prefix
    with pytest.raises(ValueError, match="unknown dialect 'plivo'"):
        SimServer(world, auth_token=TOKEN, dialect="plivo")


@pytest.mark.parametrize("dialect", sorted(PREFIXES))
async def test_start_returns_the_origin_and_each_dialect_owns_only_its_prefix(dialect: str) -> None:
    world = new_world()
    async with served(world, dialect) as wire:
        assert wire.server.base_url is not None and wire.server.base_url.count("/") == 2  # http://127.0.0.1:port
        await wire("GET", LISTS[dialect], 200)
        for prefix in set(PREFIXES.values()) - {PREFIXES[dialect]}:
            await wire("GET", f"{prefix}/Accounts/{AC}/Conferences", 404, absolute=True)


@pytest.mark.parametrize("dialect", sorted(PREFIXES))
async def test_the_same_seed_and_clock_serve_identical_bytes(dialect: str) -> None:
    bodies = []
    for _ in range(2):
        async with served(new_world(4, traffic=True), dialect) as wire:
            bodies.append((await wire("GET", LISTS[dialect], 200)).body)
    assert bodies[0] == bodies[1]


async def test_servers_in_several_dialects_share_one_world() -> None:
    world = new_world()
    sid = busy_sid(world)
    person = next(p for p in world.participants(sid) if not p.muted and not p.end_conference_on_exit)
    async with (
        served(world, "restcomm") as restcomm,
        served(world, "twilio2010") as twilio,
        served(world, "twilio2008") as legacy,
    ):
        call_id = f"{world.instance_id}-{person.call_sid}"
        await restcomm("POST", f"/Conferences/{sid}/Participants/{call_id}", 200, data={"Mute": "true"})
        seen = (await twilio("GET", f"/Conferences/{sid}/Participants/{person.call_sid}.json", 200)).json()
        assert seen["muted"] is True
        old = (await legacy("GET", f"/Conferences/{sid}/Participants/{person.call_sid}", 200)).xml()
        assert texts(old[0])["Muted"] == "true"
        await legacy("DELETE", f"/Conferences/{sid}/Participants/{person.call_sid}", 204)
        gone = await restcomm("POST", f"/Calls/{call_id}", 410, data={"Status": "completed"})
    assert gone.body == b"Call is already completed."


@pytest.mark.parametrize(
    ("dialect", "line"),
    [
        ("restcomm", "(RestComm 2012-04-24 under /restcomm/2012-04-24)"),
        ("twilio2010", "(Twilio 2010-04-01 under /2010-04-01)"),
        ("twilio2010-xml", "(Twilio 2010-04-01 under /2010-04-01)"),
        ("twilio2008", "(Twilio 2008-08-01 under /2008-08-01)"),
        ("signalwire", "(SignalWire LaML 2010-04-01 under /api/laml/2010-04-01)"),
        ("telnyx", "(Telnyx TeXML under /v2/texml)"),
    ],
)
def test_confmon_sim_prints_the_base_url_and_the_dialects_prefix(dialect: str, line: str) -> None:
    printed: list[str] = []

    def collect(text: str) -> None:
        printed.append(text)
        if len(printed) == 4:
            raise KeyboardInterrupt  # as Ctrl-C would, once everything is printed

    status = run_standalone(
        host="127.0.0.1", port=0, seed=1, rooms=2, account_sid=AC, auth_token=TOKEN, dialect=dialect, print_fn=collect
    )
    assert status == 0
    assert printed[1].startswith("  base URL     http://127.0.0.1:") and printed[1].endswith(line)
    assert printed[3].split()[-1] == TOKEN and ("API key" in printed[3]) is (dialect == "telnyx")


def test_confmon_sim_refuses_an_unknown_dialect(capsys: pytest.CaptureFixture[str]) -> None:
    status = run_standalone(host="127.0.0.1", port=0, seed=1, rooms=2, account_sid=AC, auth_token=TOKEN, dialect="x")
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and "unknown dialect 'x'" in err
