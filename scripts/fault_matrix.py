"""Run the fault matrix and print what each face did, as markdown tables (prints; not a test).

Every case of tests/test_fault_matrix.py (and a trickling body, which the tests leave out for its
20 s) is served by tests/hostile.py in front of a seeded simulator:

- the monitor, headless (`app.run_test()`), in a fresh process per case so that its peak RSS is its
  own; that process also runs the simulator and the proxy, and the `none` row shows what they cost;
- `confmon ls`, a child process per run, against a simulator and a proxy in this process.

    python scripts/fault_matrix.py                      # both tables, every case (a few minutes)
    python scripts/fault_matrix.py --cases 503 reset    # some cases
    python scripts/fault_matrix.py --monitor 503        # one monitor case, as the JSON line the table reads
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the proxy and the cases live with the tests

from textual.pilot import Pilot  # noqa: E402

from confmon.clock import FrozenClock  # noqa: E402
from confmon.sim.server import SimServer  # noqa: E402
from confmon.sim.world import World  # noqa: E402
from confmon.ui.app import ConfmonApp  # noqa: E402
from tests.hostile import Fault, HostileProxy  # noqa: E402
from tests.simulated import ACCOUNT, TOKEN  # noqa: E402
from tests.test_fault_matrix import (  # noqa: E402
    CASES,
    EXIT_UNAVAILABLE,
    SIZE,
    Case,
    errors_over_two_sweeps,
    fresh,
    inject,
    loaded,
    monitor,
    own_peak_rss_mb,
    run_ls,
    status_text,
)
from tests.waiting import wait_until  # noqa: E402

NONE = "none"  # the row with no fault: what the faces cost when all is well
# Past the client's 20 s deadline: one byte every half second of a 15 kB page.
TRICKLE = Case(Fault.TRICKLE, "deadline exceeded", EXIT_UNAVAILABLE, "deadline exceeded", params={"every": 0.5})
SHOW_WITHIN = 60.0  # seconds for a fault to show, and then to recover from it
MONITOR_TIMEOUT = 180.0  # seconds for one monitor case's process, start to end


def all_cases() -> dict[str, Case | None]:
    return {NONE: None} | {case.id: case for case in [*CASES, TRICKLE]}


def fresh_world() -> SimServer:
    """The account the tests serve: seeded, frozen, with no traffic of its own."""
    return SimServer(World(11, FrozenClock(), ACCOUNT, target_rooms=12, traffic=False), auth_token=TOKEN)


# ---- the monitor, one case per process ------------------------------------------------------------


@dataclass
class MonitorRow:
    case: str
    shown: str  # the status bar's error while the fault lasted, or its freshness if none showed
    recovered_after: float | None  # seconds from heal (and `r`) to no error and young data; None: never
    peak_rss_mb: float


def the_error(app: ConfmonApp) -> str:
    """The status bar from its warning on, less the running count (failing for 3s, 2×)."""
    text = status_text(app)
    if "⚠" not in text:
        return "no error shown: " + text[text.find("data") :].strip()
    return re.sub(r" \(failing for [^)]*\)", "", text[text.index("⚠") :]).strip()


async def during(app: ConfmonApp, pilot: Pilot[None], case: Case | None) -> str:
    if case is None or case.shown is None:
        errors = await errors_over_two_sweeps(app, pilot)
        return f"⚠ {errors[0]}" if errors else the_error(app)
    with contextlib.suppress(AssertionError):  # nothing showed: the row says so
        await wait_until(lambda: "⚠" in status_text(app), pilot, within=SHOW_WITHIN)
    return the_error(app)


async def observe_monitor(case_id: str) -> MonitorRow:
    case = all_cases()[case_id]
    server = fresh_world()
    await server.start()
    try:
        async with HostileProxy(server.base_url or "") as proxy:
            with tempfile.TemporaryDirectory() as home:
                app = monitor(proxy.url, Path(home) / "audit.jsonl")
                async with app.run_test(size=SIZE) as pilot:
                    await wait_until(lambda: loaded(app), pilot, within=SHOW_WITHIN)
                    if case is not None:
                        await inject(proxy, case, server)
                    await pilot.press("r")
                    shown = await during(app, pilot, case)
                    healed_at, started = app.clock.now(), time.monotonic()
                    await proxy.heal()
                    await pilot.press("r")
                    try:
                        await wait_until(lambda: fresh(app, healed_at), pilot, within=SHOW_WITHIN)
                        recovered: float | None = time.monotonic() - started
                    except AssertionError:
                        recovered = None
    finally:
        await server.stop()
    return MonitorRow(case_id, shown, recovered, own_peak_rss_mb())


def monitor_row(case_id: str) -> MonitorRow:
    """One case in a fresh interpreter: this script again, with --monitor."""
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--monitor", case_id],
            capture_output=True, text=True, timeout=MONITOR_TIMEOUT, cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return MonitorRow(case_id, f"the process ran past {MONITOR_TIMEOUT:g} s", None, float("nan"))
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return MonitorRow(case_id, f"the process failed ({done.returncode}): {last}", None, float("nan"))
    return MonitorRow(**json.loads(lines[-1]))


# ---- confmon ls -----------------------------------------------------------------------------------


@dataclass
class LsRow:
    case: str
    exit: int
    stderr: str
    peak_rss_mb: float
    exit_after_heal: int


async def ls_rows(case_ids: list[str], home: Path) -> list[LsRow]:
    cases = all_cases()
    server = fresh_world()
    await server.start()
    rows = []
    try:
        async with HostileProxy(server.base_url or "") as proxy:
            for case_id in case_ids:
                case = cases[case_id]
                if case is not None:
                    await inject(proxy, case, server)
                faulted = await run_ls(proxy.url, home / case_id / "faulted")
                await proxy.heal()
                healed = await run_ls(proxy.url, home / case_id / "healed")
                said = " / ".join(faulted.stderr.strip().splitlines()) or "(nothing)"
                rows.append(LsRow(case_id, faulted.exit, said, faulted.peak_rss_mb, healed.exit))
                progress(f"ls {case_id}: exit {faulted.exit}")
    finally:
        await server.stop()
    return rows


# ---- the tables -----------------------------------------------------------------------------------


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def monitor_table(rows: list[MonitorRow]) -> str:
    lines = [
        "| case | status bar during the fault | recovered after heal | peak RSS MB |",
        "|---|---|---|---|",
    ]
    for row in rows:
        recovered = "no" if row.recovered_after is None else f"yes, {row.recovered_after:.1f} s"
        lines.append(f"| {row.case} | {cell(row.shown)} | {recovered} | {row.peak_rss_mb:.0f} |")
    return "\n".join(lines)


def ls_table(rows: list[LsRow]) -> str:
    lines = ["| case | exit | stderr | peak RSS MB | exit after heal |", "|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row.case} | {row.exit} | {cell(row.stderr)} | {row.peak_rss_mb:.0f} | {row.exit_after_heal} |"
        )
    return "\n".join(lines)


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", choices=list(all_cases()), help="only these cases (default: all)")
    parser.add_argument("--monitor", metavar="CASE", choices=list(all_cases()), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.monitor:  # the child: one case, one JSON line
        print(json.dumps(asdict(asyncio.run(observe_monitor(args.monitor)))))
        return 0

    case_ids = args.cases or list(all_cases())
    monitor_rows = []
    for case_id in case_ids:
        monitor_rows.append(monitor_row(case_id))
        progress(f"monitor {case_id}: {monitor_rows[-1].shown}")
    with tempfile.TemporaryDirectory() as home:
        rows = asyncio.run(ls_rows(case_ids, Path(home)))
    print("The monitor (`app.run_test()`, polling every 0.5 s; the process also runs the simulator and the proxy)\n")
    print(monitor_table(monitor_rows))
    print("\n`confmon ls` (exit: 3 authentication, 4 unreachable, 5 other API error)\n")
    print(ls_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
