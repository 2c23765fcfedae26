"""The simulator in a process of its own, for the benchmarks: the app under test keeps its loop."""

from __future__ import annotations

import asyncio
import multiprocessing as mp

ACCOUNT = "AC" + "be" * 16
TOKEN = "bench-token"  # the API password, and the callback signing token (Twilio's auth token)


def _serve(rooms: int, latency: float, traffic: bool, urls: mp.Queue, stop: mp.Event) -> None:
    from confmon.clock import SystemClock
    from confmon.sim.server import SimServer
    from confmon.sim.world import World

    async def main() -> None:
        world = World(1, SystemClock(), ACCOUNT, target_rooms=rooms, participants_per_room=(10, 10), traffic=traffic)
        server = SimServer(world, auth_token=TOKEN, latency=latency)
        urls.put(await server.start(port=0))
        await asyncio.to_thread(stop.wait)  # a process-wide Event: block a worker thread, not the loop
        await server.stop()

    asyncio.run(main())


class SimProcess:
    """`rooms` rooms of 10 participants each, seed 1, on a free loopback port (`base_url`)."""

    def __init__(self, rooms: int, *, latency: float = 0.0, traffic: bool = True) -> None:
        self._stop = mp.Event()
        urls: mp.Queue = mp.Queue()
        self._process = mp.Process(target=_serve, args=(rooms, latency, traffic, urls, self._stop), daemon=True)
        self._process.start()
        self.base_url = urls.get(timeout=60)

    def close(self) -> None:
        self._stop.set()
        self._process.join(timeout=10)


def sim_client(base_url: str):
    """A client of the simulator's account."""
    from confmon.api.client import ConferenceClient
    from confmon.secret import Secret

    return ConferenceClient(base_url=base_url, account_sid=ACCOUNT, username=ACCOUNT, password=Secret(TOKEN))
