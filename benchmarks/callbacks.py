"""Status-callback benchmark (prints numbers; not a test).

Three processes: the simulator (--rooms rooms of 10 participants, traffic on unless --no-traffic),
the real ConfmonApp run headless (`run_test`, 200x50) with its callback receiver listening on a
loopback port (this process), and a load generator posting signed participant callbacks (mute,
unmute, speech-start, speech-stop of the simulator's real participants). The generator posts to
the loopback address but signs for PUBLIC_URL, as a proxy in front of confmon would forward it.
The monitor keeps its normal poll/reconcile loop against the simulator throughout.

Runs, one after the other, in one app:
  idle     --seconds of polling, no callbacks: the baseline for the app-side columns;
  paced    100 and 1,000 events/s (--rates) for --seconds each, open loop: event i is due at
           start + i/rate whatever the answers do, with at most --concurrency in flight;
  flood    --flood requests as fast as --flood-concurrency connections go (closed loop).

Latency table (ms, from the generator's send; p50/p99 nearest rank):
  send/s   paced: the rate achieved ("late": the furthest a send fell behind its schedule);
           flood: callbacks accepted (204) per second
  204      the receiver's round trip as the generator saw it (send -> 204 read)
  applied  -> the store applied the event (EventFeed -> Store.apply_event)
  painted  -> the first frame the compositor painted (`App._display`) after the app's flush that
           took the event in: the earliest screen that can show it
App table: events that were news to the store (a duplicate or no-op counts as "unchanged", and is
not timed), applied but never painted, the app's flushes (store -> rows), frames painted, the lag
of a 5 ms sleeper in the app's event loop, CPU of the app and generator processes, non-204 answers.

    python benchmarks/callbacks.py [--rooms 100] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing as mp
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from urllib.parse import urlencode, urlsplit

from _sim import ACCOUNT, TOKEN, SimProcess, sim_client

PUBLIC_URL = "https://bench.confmon.invalid/confmon/events"
FORM = "application/x-www-form-urlencoded"
# Well above anything the simulator's own numbering reaches, so the store takes every one as news.
FIRST_SEQUENCE = 1_000_000
LAG_TICK = 0.005

# Latencies cross processes: the generator stamps a send with time.monotonic(), the app stamps the
# paint with time.monotonic(). On Linux that is CLOCK_MONOTONIC, one clock for the whole machine,
# so the two are comparable (perf_counter is the same clock there, but monotonic says what we mean).
now = time.monotonic


# ---- the load generator (process 3) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Prepared:
    key: tuple[str, int]  # (ConferenceSid, SequenceNumber): how the app's side names the event
    body: bytes
    headers: dict[str, str]


class EventMaker:
    """Signed callbacks about the simulator's real participants. Rooms are interleaved, so
    consecutive events land in different rooms. Each participant's events go round: flip its mute,
    flip it back, speech-start, speech-stop; so, but for the world's own traffic, each is news."""

    def __init__(self, snapshot) -> None:
        from confmon.model import ConferenceStatus, ParticipantStatus

        rooms = [
            (c, [p for p in snapshot.participants.get(c.sid, ()) if p.status is ParticipantStatus.CONNECTED])
            for c in snapshot.conferences
            if c.status is ConferenceStatus.IN_PROGRESS
        ]
        rooms = [(c, people) for c, people in rooms if people]
        most = max((len(people) for _, people in rooms), default=0)
        self.targets = [(c, people[i]) for i in range(most) for c, people in rooms if i < len(people)]
        self.rooms = len(rooms)
        self._muted = {p.call_sid: p.muted for _, p in self.targets}
        self._sequence = {c.sid: FIRST_SEQUENCE for c, _ in rooms}
        self._made = 0

    def _next(self) -> tuple[object, object, str]:
        conference, p = self.targets[self._made % len(self.targets)]
        turn = (self._made // len(self.targets)) % 4
        self._made += 1
        if turn < 2:
            muted = self._muted[p.call_sid] = not self._muted[p.call_sid]
            return conference, p, "participant-mute" if muted else "participant-unmute"
        return conference, p, "participant-speech-start" if turn == 2 else "participant-speech-stop"

    def make(self, timestamp: float) -> Prepared:
        from confmon.sim.callbacks import rfc2822, sign

        conference, p, kind = self._next()
        self._sequence[conference.sid] += 1
        sequence = self._sequence[conference.sid]
        params = {  # the fields confmon.sim.callbacks.callback_params sends for a participant event
            "AccountSid": ACCOUNT,
            "ConferenceSid": conference.sid,
            "FriendlyName": conference.friendly_name,
            "SequenceNumber": str(sequence),
            "Timestamp": rfc2822(timestamp),
            "StatusCallbackEvent": kind,
            "CallSid": p.call_sid,
            "Muted": str(self._muted[p.call_sid]).lower(),
            "Hold": str(p.hold).lower(),
            "Coaching": str(p.coaching).lower(),
            "EndConferenceOnExit": str(p.end_conference_on_exit).lower(),
            "StartConferenceOnEnter": str(p.start_conference_on_enter).lower(),
        }
        if p.label is not None:
            params["ParticipantLabel"] = p.label
        headers = {"Content-Type": FORM, "X-Twilio-Signature": sign(TOKEN, PUBLIC_URL, params)}
        return Prepared((conference.sid, sequence), urlencode(params).encode(), headers)


async def _post(session, url: str, item: Prepared, statuses: Counter) -> float | None:
    """One callback; its round trip in seconds if it was answered at all."""
    import aiohttp

    started = now()
    try:
        async with session.post(url, data=item.body, headers=item.headers) as reply:
            await reply.read()
        statuses[reply.status] += 1
        return now() - started
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        statuses[type(error).__name__] += 1
        return None


async def paced(url: str, maker: EventMaker, rate: float, seconds: float, concurrency: int) -> dict:
    """Open loop: event i is due at start + i/rate whatever the answers do, with at most
    `concurrency` in flight; when all are busy the send waits, and "late" shows it."""
    import aiohttp

    count = max(2, round(rate * seconds))
    wall = time.time()
    # Signed before the clock starts, so the schedule measures posting, not HMAC. The Timestamp is
    # when the event is due (whole seconds, as Twilio sends it).
    prepared = [maker.make(wall + i / rate) for i in range(count)]
    sent: dict[tuple[str, int], float] = {}
    rtts: list[float] = []
    statuses: Counter = Counter()
    slots = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def send(item: Prepared) -> None:
            try:
                sent[item.key] = now()
                rtt = await _post(session, url, item, statuses)
                if rtt is not None:
                    rtts.append(rtt)
            finally:
                slots.release()

        tasks = []
        late = 0.0
        cpu = time.process_time()
        start = now() + 0.01
        for i, item in enumerate(prepared):
            due = start + i / rate
            if (wait := due - now()) > 0:
                await asyncio.sleep(wait)
            await slots.acquire()
            late = max(late, now() - due)
            tasks.append(asyncio.create_task(send(item)))
        await asyncio.gather(*tasks)
        cpu = (time.process_time() - cpu) / (now() - start)
    span = max(sent.values()) - min(sent.values())
    return {
        "sent": sent, "rtts": rtts, "statuses": statuses, "send_rate": (count - 1) / span, "late": late, "cpu": cpu
    }


async def flood(url: str, maker: EventMaker, count: int, concurrency: int) -> dict:
    """Closed loop: `concurrency` connections, each posting its next callback as soon as the last
    one is answered."""
    import aiohttp

    wall = time.time()
    prepared = iter([maker.make(wall) for _ in range(count)])
    sent: dict[tuple[str, int], float] = {}
    statuses: Counter = Counter()
    rtts: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def worker() -> None:
            for item in prepared:  # shared: each worker takes the next one
                sent[item.key] = now()
                rtt = await _post(session, url, item, statuses)
                if rtt is not None:
                    rtts.append(rtt)

        cpu, started = time.process_time(), now()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        ended = now()
    cpu = (time.process_time() - cpu) / (ended - started)
    return {"sent": sent, "statuses": statuses, "rtts": rtts, "started": started, "ended": ended, "cpu": cpu}


def _generate(base_url: str, commands: mp.Queue, reports: mp.Queue) -> None:
    async def main() -> None:
        async with sim_client(base_url) as client:  # the room list, once, from the simulator itself
            maker = EventMaker(await client.sweep())
        reports.put((maker.rooms, len(maker.targets)))
        while (command := await asyncio.to_thread(commands.get)) is not None:
            kind, url, *args = command
            reports.put(await (paced if kind == "paced" else flood)(url, maker, *args))

    asyncio.run(main())


class GeneratorProcess:
    def __init__(self, base_url: str) -> None:
        self._commands: mp.Queue = mp.Queue()
        self._reports: mp.Queue = mp.Queue()
        self._process = mp.Process(target=_generate, args=(base_url, self._commands, self._reports), daemon=True)
        self._process.start()
        self.rooms, self.participants = self._reports.get(timeout=60)

    async def run(self, *command, limit: float) -> dict:
        """Send a command and wait for its report in a thread, so the app's loop keeps running;
        queue.Empty if none comes within `limit` seconds."""
        self._commands.put(command)
        return await asyncio.to_thread(self._reports.get, True, limit)

    def close(self) -> None:
        self._commands.put(None)
        self._process.join(timeout=10)


# ---- the monitor, instrumented (this process) -------------------------------------------------


class Probe:
    """Stamps, inside the app, when each callback became news in the store and when the first
    frame after the flush that took it in was painted; times the flushes; samples the loop's lag."""

    def __init__(self, app) -> None:
        self.reset()
        self.frames_total = 0
        store = app.session.store
        apply_event, flush, display = store.apply_event, app._flush_changes, app._display

        def timed_apply_event(event):
            changes = apply_event(event)
            if changes:
                key = (event.conference_sid, event.sequence_number)
                self.applied[key] = now()
                self._unflushed.append(key)
            else:
                self.unchanged += 1
            return changes

        def timed_flush(*args, **kwargs):
            # ConfmonApp._flush_changes takes the session's update and turns it into rows: all
            # applied so far is in this repaint.
            started = now()
            flush(*args, **kwargs)
            self.flushes.append(now() - started)
            self._unpainted.extend(self._unflushed)
            self._unflushed.clear()

        def timed_display(screen, renderable):
            # Headless, `_display` writes nothing, but the compositor has just rendered the frame.
            result = display(screen, renderable)
            if renderable is not None:
                painted = now()
                self.frames += 1
                self.frames_total += 1
                for key in self._unpainted:
                    self.painted[key] = painted
                self._unpainted.clear()
            return result

        # Instance attributes shadow the methods: EventFeed calls store.apply_event, call_after_refresh
        # is handed app._flush_changes, and the screen calls app._display, each looked up at call time.
        store.apply_event = timed_apply_event
        app._flush_changes = timed_flush
        app._display = timed_display

    def reset(self) -> None:
        self.applied: dict[tuple[str, int], float] = {}
        self.painted: dict[tuple[str, int], float] = {}
        self.unchanged = 0
        self.frames = 0
        self.flushes: list[float] = []  # seconds each app flush (store -> rows) took
        self.lags: list[float] = []
        self.wall, self.cpu = now(), time.process_time()
        self._unflushed: list[tuple[str, int]] = []
        self._unpainted: list[tuple[str, int]] = []

    def cpu_share(self) -> float:
        """This process's CPU time over wall time since the reset (1.0 = one core busy)."""
        return (time.process_time() - self.cpu) / (now() - self.wall)

    @property
    def settled(self) -> bool:
        return not self._unflushed and not self._unpainted

    async def sample_lag(self) -> None:
        while True:
            started = now()
            await asyncio.sleep(LAG_TICK)
            self.lags.append(now() - started - LAG_TICK)


async def _settle(app, probe: Probe, limit: float = 15.0) -> None:
    """Until the receiver's queue is empty and every applied event is on a painted frame."""
    deadline = now() + limit
    # Sampling is the point: nothing signals "queue empty and all painted", and giving up at the
    # deadline (not failing) is the intent.
    while now() < deadline and not (app.session.backend.events.empty() and probe.settled):  # noqa: ASYNC110
        await asyncio.sleep(0.02)


async def _ready(app, probe: Probe, rooms: int) -> None:
    deadline = now() + 60
    while now() < deadline:
        backend = app.session.backend
        if backend is not None and backend.callback_error:
            raise SystemExit(backend.callback_error)
        if backend is not None and backend.callback_address and len(app.rooms_seen) >= rooms and probe.frames_total:
            await asyncio.sleep(1.0)  # let the first load's repaints finish
            return
        await asyncio.sleep(0.05)
    raise SystemExit("the monitor did not load the simulator's rooms within 60 s")


# ---- reporting --------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    values = sorted(values)
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


def _ms(value: float) -> str:
    if math.isnan(value):
        return "     –"
    ms = value * 1000
    return f"{ms:6.1f}" if ms < 1000 else f"{ms:6.0f}"


def _since(sent: dict, stamps: dict) -> list[float]:
    return [stamps[key] - at for key, at in sent.items() if key in stamps]


LATENCY_HEADER = (
    "run                 send/s late ms |  204 p50    p99 | applied p50    p99 | painted p50    p99    max      n"
)
APP_HEADER = (
    "run                   news unchanged unpainted | flushes p50 ms max ms | frames | lag p50    p99    max"
    " | CPU app gen | non-204"
)


def _rows(name: str, report: dict | None, probe: Probe) -> tuple[str, str]:
    """One line for each table. `report`: the generator's, None for the idle run."""
    report = report or {"sent": {}, "rtts": [], "statuses": Counter(), "cpu": math.nan}
    sent, rtts, statuses = report["sent"], report["rtts"], report["statuses"]
    applied, painted = _since(sent, probe.applied), _since(sent, probe.painted)
    if "send_rate" in report:  # paced: the rate the generator achieved
        rate, late = f"{report['send_rate']:6.0f}", _ms(report["late"])
    elif "started" in report:  # flood: what the receiver accepted
        rate, late = f"{statuses[204] / (report['ended'] - report['started']):6.0f}", _ms(math.nan)
    else:
        rate, late = "     –", _ms(math.nan)
    latency = (
        f"{name:18s} {rate}  {late} | {_ms(_pct(rtts, .5))} {_ms(_pct(rtts, .99))} |"
        f"      {_ms(_pct(applied, .5))} {_ms(_pct(applied, .99))} |"
        f"      {_ms(_pct(painted, .5))} {_ms(_pct(painted, .99))} {_ms(max(painted, default=math.nan))}"
        f" {len(painted):6d}"
    )
    others = ", ".join(f"{k}×{v}" for k, v in sorted(statuses.items(), key=str) if k != 204) or "none"
    lags, flushes = probe.lags, probe.flushes
    generator_cpu = "   –" if math.isnan(report["cpu"]) else format(report["cpu"], "4.0%")
    app = (
        f"{name:18s} {len(applied):6d} {probe.unchanged:9d} {len(applied) - len(painted):9d} |"
        f" {len(flushes):7d} {_ms(_pct(flushes, .5))} {_ms(max(flushes, default=math.nan))} |"
        f" {probe.frames:6d} | {_ms(_pct(lags, .5))} {_ms(_pct(lags, .99))} {_ms(max(lags, default=math.nan))} |"
        f" {probe.cpu_share():4.0%} {generator_cpu} | {others}"
    )
    return latency, app


# ---- the run ----------------------------------------------------------------------------------


async def bench(args: argparse.Namespace, sim: SimProcess, generator: GeneratorProcess) -> list[tuple[str, str]]:
    from confmon.audit import AuditLog
    from confmon.backend import open_backend
    from confmon.clock import SystemClock
    from confmon.config import CallbackSettings, Connection, Credentials
    from confmon.launch import make_app
    from confmon.secret import Secret

    clock = SystemClock()  # the receiver refuses Timestamps more than 300 s from its clock
    credentials = Credentials(ACCOUNT, ACCOUNT, Secret(TOKEN), Secret(TOKEN))
    rows = []
    with TemporaryDirectory() as tmp:
        audit = AuditLog(Path(tmp) / "audit.jsonl", clock=clock)
        backend = open_backend(
            Connection(sim.base_url, credentials), audit=audit, read_only=True, clock=clock,
            callbacks=CallbackSettings("127.0.0.1", 0, PUBLIC_URL),
        )
        app = make_app(backend, clock=clock, interval=2.0)
        probe = Probe(app)
        async with app.run_test(size=(200, 50)):
            await _ready(app, probe, min(args.rooms, generator.rooms))
            host, port = app.session.backend.callback_address
            url = f"http://{host}:{port}{urlsplit(PUBLIC_URL).path}"  # where the proxy would forward to
            lag = asyncio.create_task(probe.sample_lag())
            try:
                probe.reset()  # the baseline: polling every 2 s, no callbacks yet
                await asyncio.sleep(args.seconds)
                rows.append(_rows("idle (polling)", None, probe))
                for rate in args.rates:
                    probe.reset()
                    report = await generator.run(
                        "paced", url, rate, args.seconds, args.concurrency, limit=args.seconds * 5 + 60
                    )
                    await _settle(app, probe)
                    rows.append(_rows(f"{rate:g}/s x {args.seconds:g} s", report, probe))
                probe.reset()
                report = await generator.run("flood", url, args.flood, args.flood_concurrency, limit=300)
                await _settle(app, probe)
                rows.append(_rows(f"flood {args.flood} x {args.flood_concurrency}", report, probe))
            finally:
                lag.cancel()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each paced run")
    parser.add_argument("--rates", type=float, nargs="+", default=[100, 1000], help="paced events per second")
    parser.add_argument("--concurrency", type=int, default=64, help="most requests in flight in a paced run")
    parser.add_argument("--flood", type=int, default=20_000, help="requests in the as-fast-as-possible run")
    parser.add_argument("--flood-concurrency", type=int, default=48, help="connections in the flood")
    parser.add_argument("--no-traffic", dest="traffic", action="store_false", help="a still world: no joins or leaves")
    args = parser.parse_args()
    # Both children start before this process runs an event loop (they are forked on Linux).
    sim = SimProcess(args.rooms, traffic=args.traffic)
    try:
        generator = GeneratorProcess(sim.base_url)
        try:
            rows = asyncio.run(bench(args, sim, generator))
        finally:
            generator.close()
    finally:
        sim.close()
    # Printed only now: while the app runs, Textual captures stdout.
    print(
        f"confmon status callbacks: {args.rooms} rooms x 10 participants (traffic {'on' if args.traffic else 'off'}),"
        f" {generator.participants} of them in {generator.rooms} rooms targeted; app headless 200x50;"
        f" simulator, app and generator in 3 processes on {os.cpu_count()} CPUs\n"
    )
    print("latency, ms: from the generator's send to the 204 / the store applying it / the next frame painted")
    print(LATENCY_HEADER)
    print("\n".join(latency for latency, _ in rows))
    print("\nin the app: events that were news; flushes (store -> rows); frames painted; event-loop lag (ms)"
          " of a 5 ms sleeper; CPU (1 core = 100%)")
    print(APP_HEADER)
    print("\n".join(app for _, app in rows))


if __name__ == "__main__":
    main()
