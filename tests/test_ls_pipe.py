"""`confmon ls | head -1`: the reader goes away mid-listing, and ls ends quietly as Unix tools do."""

from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess

import pytest

from confmon.clock import FrozenClock
from confmon.sim.world import World
from tests.simulated import ACCOUNT
from tests.test_ls import environment, ls_command

F_SETPIPE_SZ = 1031  # Linux: shrink a pipe, so a modest listing overflows it


@pytest.fixture
def world(clock: FrozenClock) -> World:
    """A listing far longer than the pipe, so ls blocks on it before head goes away."""
    return World(13, clock, ACCOUNT, target_rooms=120, traffic=False)


@pytest.mark.parametrize(
    "flags", [(), ("--json",), ("-p",), ("--json", "-p"), ("--format", "csv"), ("--format", "csv", "-p")]
)
async def test_ls_into_head_stops_quietly_when_head_has_its_line(simulator, flags):
    """`confmon ls | head -1`: head exits after one line; the rest of the listing meets a closed pipe."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, F_SETPIPE_SZ, 4096)  # far less than the listing: ls must block, then meet EPIPE
    head = await asyncio.create_subprocess_exec("head", "-1", stdin=read_end, stdout=subprocess.PIPE)
    ls = await asyncio.create_subprocess_exec(
        *ls_command(simulator.base_url, *flags),
        stdout=write_end, stderr=subprocess.PIPE, env=environment(), stdin=subprocess.DEVNULL,
    )
    os.close(read_end)
    os.close(write_end)  # head and ls hold the only ends now, as in a shell pipeline
    first, _ = await asyncio.wait_for(head.communicate(), 60)
    _, errors = await asyncio.wait_for(ls.communicate(), 60)
    assert first.strip()  # head printed its line
    assert errors == b""
    assert ls.returncode == 141  # 128 + SIGPIPE, as a tool the signal ended
