"""The backend's start and stop: whatever it opened is closed again, even when start-up fails or the
operator quits half way through it (nothing left listening on a port after the app is gone)."""

from __future__ import annotations

import asyncio

import pytest

from confmon.audit import AuditLog
from confmon.backend import Backend, open_demo_backend
from confmon.clock import FrozenClock
from confmon.sim.callbacks import CallbackSender
from confmon.sim.server import SimServer

pytestmark = pytest.mark.asyncio


async def refused(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection(host, port)
    except OSError:
        return True
    writer.close()
    return False


@pytest.fixture
def closed(monkeypatch) -> list[tuple[str, int] | None]:
    """Where each backend closed by the test had its receiver listening."""
    addresses: list[tuple[str, int] | None] = []
    real_aclose = Backend.aclose

    async def aclose(self) -> None:
        addresses.append(self.callback_address)
        await real_aclose(self)

    monkeypatch.setattr(Backend, "aclose", aclose)
    return addresses


def demo(tmp_path):
    clock = FrozenClock()
    return open_demo_backend(
        seed=1, rooms=2, clock=clock, audit=AuditLog(tmp_path / "a.jsonl", clock=clock), traffic=False, callbacks=True
    )


async def test_a_start_that_fails_after_the_receiver_listens_closes_it_and_the_simulator(
    tmp_path, monkeypatch, closed
) -> None:
    opened: list[tuple[str, int]] = []
    real_start = SimServer.start

    async def start(self, *args, **kwargs):
        url = await real_start(self, *args, **kwargs)
        opened.append(("127.0.0.1", int(url.rsplit(":", 1)[1].strip("/"))))
        return url

    async def broken_sender(self) -> None:
        raise RuntimeError("sender broke")

    monkeypatch.setattr(SimServer, "start", start)
    monkeypatch.setattr(CallbackSender, "start", broken_sender)
    with pytest.raises(RuntimeError, match="sender broke"):
        await demo(tmp_path).open()
    assert closed and closed[0] is not None
    assert await refused(*closed[0]) and await refused(*opened[0])


async def test_a_quit_during_start_up_leaves_nothing_listening(tmp_path, monkeypatch, closed) -> None:
    reached = asyncio.Event()

    async def slow_sender(self) -> None:  # the receiver is up; the sender never gets going
        reached.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(CallbackSender, "start", slow_sender)
    task = asyncio.create_task(demo(tmp_path).open())
    await reached.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert closed and closed[0] is not None and await refused(*closed[0])


async def test_one_closer_failing_does_not_keep_the_others_open() -> None:
    closed: list[str] = []

    async def ok(name: str) -> None:
        closed.append(name)

    async def broken() -> None:
        raise OSError("already gone")

    closers = [lambda: ok("client"), broken, lambda: ok("receiver")]
    backend = Backend(None, None, "AC", "http://x", closers)  # type: ignore[arg-type]
    with pytest.raises(OSError, match="already gone"):
        await backend.aclose()
    assert closed == ["receiver", "client"]
