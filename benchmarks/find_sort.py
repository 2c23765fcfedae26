"""Find and sort benchmark (prints numbers; not a test).

The monitor, headless (`run_test`, 200x50), on a simulated account of --rooms rooms of 10
participants (simulator in another process, no traffic, so only the keys change the screen):
  - find: from the Enter that keeps `/` + part of a caller's number (its handler, called as the key
    would) to the first frame painted with the filtered table;
  - sort: from a Shift+letter's handler to the first frame painted with the re-sorted table;
  - flush: what one flush of every room costs with the default sort, beside the same rows given
    unsorted (the order's own price on the hot path).
Beside them, the stock DataTable sorting the same rows (`DataTable.sort`, then its paint), in the
same run: ratios, not absolute times, are what compare on a noisy machine.

    python benchmarks/find_sort.py [--rooms 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory

from _sim import ACCOUNT, TOKEN, SimProcess


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:7.1f} ms  min {min(values) * 1000:7.1f}  (n={len(values)})"


async def bench_app(base_url: str, repeat: int) -> dict[str, list[float]]:
    from textual.widgets import DataTable

    from confmon.audit import AuditLog
    from confmon.backend import open_backend
    from confmon.clock import SystemClock
    from confmon.config import Connection, Credentials
    from confmon.find import Sort
    from confmon.launch import make_app
    from confmon.secret import Secret
    from confmon.ui.screens import FilterBar

    clock = SystemClock()
    connection = Connection(base_url, Credentials(ACCOUNT, ACCOUNT, Secret(TOKEN)))
    times: dict[str, list[float]] = {"find": [], "sort": [], "flush sorted": [], "flush as listed": [], "stock": []}
    with TemporaryDirectory() as tmp:
        audit = AuditLog(Path(tmp) / "audit.jsonl", clock=clock)
        app = make_app(open_backend(connection, audit=audit, read_only=True, clock=clock), clock=clock, interval=60)
        painted: list[float] = []
        original_display = app._display

        def timed_display(*args, **kwargs):
            result = original_display(*args, **kwargs)
            painted.append(time.perf_counter())
            return result

        app._display = timed_display

        async def until_painted(condition: Callable[[], bool], pilot, started: float) -> float:
            """Seconds from `started` to the first paint after `condition` holds."""
            while not condition():
                await pilot.pause(0.001)
            held = len(painted)
            while len(painted) == held:
                await pilot.pause(0.001)
            return painted[-1] - started

        async with app.run_test(size=(200, 50)) as pilot:
            while app.rooms.row_count < len(app.session.rooms()) or app.rooms.row_count == 0:
                await pilot.pause(0.05)
            total = app.rooms.row_count
            numbers = [
                m.participant.display_name for r in app.session.rooms().values() for m in r.present()
                if m.participant.display_name.startswith("+1")
            ]
            # The keys' own handlers, called as the key would: Pilot's press also waits for the app to
            # go idle, which is not what an operator waits for.
            for i in range(repeat):
                digits = numbers[i * 7 % len(numbers)][-5:]
                started = time.perf_counter()
                app.filter_bar.value = digits
                app._filter_done(FilterBar.Submitted(app.filter_bar, digits))
                times["find"].append(await until_painted(lambda: app.rooms.row_count < total, pilot, started))
                app._filter_done(FilterBar.Submitted(app.filter_bar, ""))
                while app.rooms.row_count < total:
                    await pilot.pause(0.01)
                for column in ("name", "muted"):
                    started = time.perf_counter()
                    app.action_sort(column)
                    wanted = (app.room_sort.column, app.room_sort.reverse)
                    resorted = await until_painted(lambda w=wanted: app.rooms._sorted_by == w, pilot, started)
                    times["sort"].append(resorted)

            rooms, now = app.rooms_seen, clock.now()
            for _ in range(repeat):
                started = time.perf_counter()
                app.rooms.show(rooms, now, sort=Sort())
                times["flush sorted"].append(time.perf_counter() - started)
                started = time.perf_counter()
                app.rooms.sync({key: app.rooms._row(room, now, app.find, app.flash) for key, room in rooms.items()})
                times["flush as listed"].append(time.perf_counter() - started)

            stock = DataTable()
            await app.screen.mount(stock)
            name_column, people_column = stock.add_columns("Room", "Ppl")
            for key, room in rooms.items():
                stock.add_row(room.name, room.participant_count, key=key.sid)
            await pilot.pause()
            for i in range(repeat):
                started = time.perf_counter()
                stock.sort(name_column if i % 2 else people_column, reverse=bool(i % 3))
                held = len(painted)
                while len(painted) == held:
                    await pilot.pause(0.001)
                times["stock"].append(painted[-1] - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sim = SimProcess(args.rooms, traffic=False)
    try:
        times = asyncio.run(bench_app(sim.base_url, args.repeat))
    finally:
        sim.close()
    print(f"confmon find and sort: {args.rooms} rooms of 10 participants, headless at 200x50")
    labels = {
        "find": "/ + number, Enter -> painted",
        "sort": "Shift+letter -> painted",
        "stock": "stock DataTable.sort -> painted",
        "flush sorted": "one flush, every room, sorted",
        "flush as listed": "one flush, every room, unsorted",
    }
    for key, label in labels.items():
        print(f"  {label:34} {_ms(times[key])}")
    ratio = statistics.median(times["sort"]) / statistics.median(times["stock"])
    print(f"summary: a sort key repaints in {ratio:.2f}x the stock DataTable's sort of the same rows")


if __name__ == "__main__":
    main()
