"""Poll sweep and repaint benchmark (prints numbers; not a test).

For 100 and 1,000 rooms of 10 participants each, with the simulator in another process:
  - sweep: one full poll sweep (list rooms + every room's participants) through ConferenceClient;
  - repaint: from a poll's result reaching the app to the next frame the compositor paints
    (Textual's `App._display`, called in headless mode too), with the world changing underneath.

    python benchmarks/poll_sweep.py [--rooms 100 1000] [--sweeps 5] [--latency 0]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from _sim import ACCOUNT, TOKEN, SimProcess, sim_client


async def bench_sweep(base_url: str, sweeps: int) -> list[float]:
    async with sim_client(base_url) as client:
        await client.sweep()  # warm the connection pool
        times = []
        for _ in range(sweeps):
            started = time.perf_counter()
            snapshot = await client.sweep()
            times.append(time.perf_counter() - started)
        assert sum(len(p) for p in snapshot.participants.values()) > 0
        return times


async def bench_repaint(base_url: str, polls: int) -> tuple[float, list[float]]:
    """Returns (first load to first paint, [poll result to paint, ...])."""
    from confmon.audit import AuditLog
    from confmon.backend import open_backend
    from confmon.clock import SystemClock
    from confmon.config import Connection, Credentials
    from confmon.launch import make_app
    from confmon.secret import Secret

    clock = SystemClock()
    connection = Connection(base_url, Credentials(ACCOUNT, ACCOUNT, Secret(TOKEN)))
    with TemporaryDirectory() as tmp:
        audit = AuditLog(Path(tmp) / "audit.jsonl", clock=clock)
        app = make_app(open_backend(connection, audit=audit, read_only=True, clock=clock), clock=clock, interval=0.5)
        arrived: list[float] = []
        painted: list[float] = []
        session = app.session
        original_publish, original_display = session._publish, app._display

        def timed_publish(changes, **kwargs):
            # A poll's result reaching the session, which tells the screen.
            if (changes.rooms_added or changes.rooms_updated or changes.members_updated or changes.members_added) and (
                len(arrived) == len(painted)
            ):
                arrived.append(time.perf_counter())
            original_publish(changes, **kwargs)

        def timed_display(*args, **kwargs):
            result = original_display(*args, **kwargs)
            if len(painted) < len(arrived):
                painted.append(time.perf_counter())
            return result

        session._publish = timed_publish  # before the session opens, so the poller is given this one
        app._display = timed_display
        async with app.run_test(size=(200, 50)) as pilot:
            while len(painted) < polls + 1:
                await pilot.pause(0.05)
        # A poll may have arrived, not yet painted, after the last counted paint: pair only the painted.
        latencies = [p - a for a, p in zip(arrived[: len(painted)], painted, strict=True)]
        return latencies[0], latencies[1 : polls + 1]


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
    return (
        f"median {statistics.median(values) * 1000:7.1f} ms  min {values[0] * 1000:7.1f}  "
        f"p90 {p90 * 1000:7.1f}  (n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--sweeps", type=int, default=5)
    parser.add_argument("--polls", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.0, help="simulated round trip added per request (s)")
    args = parser.parse_args()
    print(f"confmon poll benchmark: 10 participants per room, simulator in another process, latency {args.latency}s")
    for rooms in args.rooms:
        sim = SimProcess(rooms, latency=args.latency)
        try:
            sweeps = asyncio.run(bench_sweep(sim.base_url, args.sweeps))
            print(f"{rooms:5d} rooms  sweep                 {_ms(sweeps)}")
            first, repaints = asyncio.run(bench_repaint(sim.base_url, args.polls))
            print(f"{rooms:5d} rooms  first load -> paint   {first * 1000:7.1f} ms")
            print(f"{rooms:5d} rooms  poll result -> paint  {_ms(repaints)}")
        finally:
            sim.close()


if __name__ == "__main__":
    main()
