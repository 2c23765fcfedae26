"""The poller with a fake client: nothing escapes a sweep, the loop keeps going, waits and wakes."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from datetime import UTC, datetime

import pytest

from confmon import narrator
from confmon.api.errors import AuthFailed, BadResponse, RateLimited, Unavailable
from confmon.clock import FrozenClock
from confmon.feed import EventFeed, Poller
from confmon.model import Conference, ConferenceEvent, ConferenceStatus, EventKind, RoomKey, Snapshot
from confmon.store import Changes, Store
from confmon.views import FeedHealth
from tests.waiting import wait_until

ROOM = Conference("CF" + "1" * 32, "AC" + "0" * 32, "Sales weekly sync", ConferenceStatus.IN_PROGRESS)
KEY = RoomKey(ROOM.account_sid, ROOM.sid)
OK = Snapshot((ROOM,), {ROOM.sid: ()}, taken_at=1.0, latency=0.1, account=ROOM.account_sid)


class FakeClient:
    """Answers sweeps from a script: a Snapshot is returned, an exception raised; then OK forever."""

    def __init__(self, *script: Snapshot | BaseException, clock: FrozenClock | None = None, takes: float = 0) -> None:
        self.script = list(script)
        self.priorities: list[tuple[str, ...]] = []
        self.skipped: list[frozenset[str]] = []
        self.sweeps = 0
        self.running = 0
        self.most_running = 0
        self._clock = clock
        self._takes = takes

    async def sweep(
        self, *, priority: Sequence[str] = (), recordings_for: Sequence[str] = (), skip: Collection[str] = ()
    ) -> Snapshot:
        self.priorities.append(tuple(priority))
        self.skipped.append(frozenset(skip))
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await asyncio.sleep(0)
            if self._clock is not None:
                self._clock.advance(self._takes)
            result = self.script.pop(0) if self.script else OK
            if isinstance(result, BaseException):
                raise result
            return result
        finally:
            self.running -= 1
            self.sweeps += 1


@pytest.fixture
def store(clock: FrozenClock) -> Store:
    return Store(clock)


def poller(client: FakeClient, store: Store, clock: FrozenClock, **kw) -> Poller:
    kw.setdefault("on_changes", lambda changes: None)
    return Poller(client, store, clock, account=ROOM.account_sid, **kw)


def health(store: Store) -> FeedHealth:
    """How the test's account fares."""
    return store.health_of(ROOM.account_sid)


def texts(changes: Changes) -> list[str]:
    return [narrator.tell(note).text for note in changes.log]


async def waiting(clock: FrozenClock) -> None:
    """Until the poller waits on the clock for its next sweep."""
    await wait_until(lambda: clock.sleepers == 1)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (Unavailable("connection refused"), "unavailable: connection refused"),
        (AuthFailed("bad token", status=401, code=20003), "auth failed (401, code 20003): bad token"),
        (RateLimited("slow down", retry_after=3), "rate limited (429): slow down (retry after 3 s)"),
        (BadResponse("not JSON"), "bad response: not JSON"),
        (ConnectionResetError(104, "Connection reset by peer"), "[Errno 104] Connection reset by peer"),
        (TimeoutError(), "TimeoutError"),
        (KeyError("sid"), "internal error: KeyError: 'sid'"),
        (RuntimeError(), "internal error: RuntimeError"),
    ],
)
async def test_poll_once_records_errors_instead_of_raising(
    store: Store, clock: FrozenClock, error: BaseException, message: str
) -> None:
    changes = await poller(FakeClient(error), store, clock).poll_once()
    assert health(store).last_error == message and health(store).failures == 1
    assert texts(changes) == [f"poll failed: {message}"]


async def test_errors_keep_the_data(store: Store, clock: FrozenClock) -> None:
    p = poller(FakeClient(OK, Unavailable("down")), store, clock)
    await p.poll_once()
    await p.poll_once()
    assert list(store.rooms) == [KEY] and health(store).last_error == "unavailable: down"


async def test_a_good_poll_clears_the_error(store: Store, clock: FrozenClock) -> None:
    p = poller(FakeClient(Unavailable("down"), Unavailable("down"), OK), store, clock)
    await p.poll_once()
    await p.poll_once()
    assert health(store).last_error == "unavailable: down" and health(store).failures == 2
    changes = await p.poll_once()
    assert health(store).last_error is None and health(store).failures == 0 and health(store).error_since is None
    assert changes.health_changed and "poll recovered after 2 failures" in texts(changes)


class HangingClient(FakeClient):
    """A sweep that never ends, as against a server trickling every response within each call's deadline."""

    async def sweep(
        self, *, priority: Sequence[str] = (), recordings_for: Sequence[str] = (), skip: Collection[str] = ()
    ) -> Snapshot:
        self.sweeps += 1
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def test_the_sweep_deadline_defaults_to_three_intervals_and_at_least_thirty_seconds(
    store: Store, clock: FrozenClock
) -> None:
    assert poller(FakeClient(), store, clock, interval=2.0).sweep_deadline == 30.0
    assert poller(FakeClient(), store, clock, interval=20.0).sweep_deadline == 60.0


async def test_a_sweep_past_its_deadline_is_a_poll_error(store: Store, clock: FrozenClock) -> None:
    p = poller(HangingClient(), store, clock, sweep_deadline=0.01)
    changes = await p.poll_once()
    assert health(store).last_error == "sweep took longer than 0.01 s" and health(store).failures == 1
    assert texts(changes) == ["poll failed: sweep took longer than 0.01 s"]
    assert p.next_delay == 4.0  # backs off like any failure


async def test_cancellation_propagates(store: Store, clock: FrozenClock) -> None:
    with pytest.raises(asyncio.CancelledError):
        await poller(FakeClient(asyncio.CancelledError()), store, clock).poll_once()


async def test_sweep_time_is_measured_when_the_client_does_not_say(store: Store, clock: FrozenClock) -> None:
    client = FakeClient(Snapshot((ROOM,), account=ROOM.account_sid), clock=clock, takes=0.75)
    await poller(client, store, clock).poll_once()
    assert health(store).last_success_at == clock.now() and health(store).last_latency == 0.75


async def test_priority_is_passed_to_the_client(store: Store, clock: FrozenClock) -> None:
    client = FakeClient()
    p = poller(client, store, clock)
    await p.poll_once()
    p.set_priority(["CF2", "CF1", "CF2", "CF3"])  # the selected room may also be on screen
    await p.poll_once()
    assert client.priorities == [(), ("CF2", "CF1", "CF3")]


async def test_backoff_doubles_up_to_the_cap_and_resets_on_success(store: Store, clock: FrozenClock) -> None:
    down = Unavailable("down")
    p = poller(FakeClient(down, down, down, down, down, OK), store, clock, interval=2.0)
    assert p.next_delay == 2.0
    delays = []
    for _ in range(6):
        await p.poll_once()
        delays.append(p.next_delay)
    assert delays == [4.0, 8.0, 16.0, 30.0, 30.0, 2.0]


async def test_backoff_honours_retry_after_up_to_the_longest_backoff(store: Store, clock: FrozenClock) -> None:
    p = poller(FakeClient(RateLimited("busy", retry_after=25), RateLimited("busy", retry_after=3600)), store, clock)
    await p.poll_once()
    assert p.next_delay == 25
    await p.poll_once()
    assert p.next_delay == 30  # the cap, not an hour
    assert health(store).last_error == "rate limited (429): busy (retry after 3600 s); polling again in 30 s (r: now)"


async def test_run_delivers_changes_and_refresh_now_wakes_it(store: Store, clock: FrozenClock) -> None:
    delivered: list[Changes] = []
    client = FakeClient()
    p = poller(client, store, clock, interval=3600, on_changes=delivered.append)
    task = asyncio.create_task(p.run())
    try:
        await waiting(clock)
        clock.advance(3599)
        await waiting(clock)
        assert client.sweeps == 1  # still waiting out the hour, on the clock
        assert delivered and delivered[0].rooms_added == (KEY,)
        p.refresh_now()
        await wait_until(lambda: len(delivered) == 2)
        assert not delivered[1]  # an unchanged poll delivers no change, only the news that it ran
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_the_wait_between_sweeps_is_on_the_clock(store: Store, clock: FrozenClock) -> None:
    """No real time passes in this test: the clock alone decides when the next sweep is due."""
    client = FakeClient(Unavailable("down"))
    p = poller(client, store, clock, interval=2)
    task = asyncio.create_task(p.run())
    try:
        await waiting(clock)
        assert client.sweeps == 1 and p.next_delay == 4  # failed: backing off
        clock.advance(3.9)
        await waiting(clock)
        assert client.sweeps == 1
        clock.advance(0.1)
        await wait_until(lambda: client.sweeps == 2)
        await waiting(clock)
        clock.advance(2)  # recovered: the interval again
        await wait_until(lambda: client.sweeps == 3)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_refresh_during_a_sweep_starts_the_next_one_right_after(store: Store, clock: FrozenClock) -> None:
    client = FakeClient()
    p = poller(client, store, clock, interval=3600)
    client.sweep = _calling_before(p.refresh_now, client.sweep)
    task = asyncio.create_task(p.run())
    try:
        await wait_until(lambda: client.sweeps >= 3)
        assert client.most_running == 1  # sweeps never overlap
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def _calling_before(hook, sweep):
    async def wrapped(**kw) -> Snapshot:
        hook()
        return await sweep(**kw)

    return wrapped


async def test_run_survives_any_error_and_a_failing_callback(store: Store, clock: FrozenClock) -> None:
    seen: list[Changes] = []

    def on_changes(changes: Changes) -> None:
        if not seen:
            seen.append(Changes.empty)
            raise ValueError("face broke")
        seen.append(changes)

    client = FakeClient(RuntimeError("bug"), OSError("unreachable"), OK)
    p = poller(client, store, clock, interval=1, max_backoff=5, on_changes=on_changes)
    task = asyncio.create_task(p.run())
    try:
        for _ in range(3):  # three sweeps, each after the wait the last one asked for
            await waiting(clock)
            clock.advance(p.next_delay)
        await wait_until(lambda: health(store).last_success_at is not None and len(seen) >= 2)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    # What the face failed to take came again with the next batch, with the failure itself.
    said = [text for changes in seen[1:] for text in texts(changes)]
    assert said[:3] == [
        "poll failed: internal error: RuntimeError: bug",
        "poll failed: internal error: ValueError: face broke",
        "poll failed: unreachable",
    ]
    assert any(KEY in changes.rooms_added for changes in seen)


# ---- reconcile mode and the callback feed -----------------------------------------------------

AT = datetime(2025, 11, 24, 16, 0, tzinfo=UTC)


def event(seq: int, kind: EventKind = EventKind.PARTICIPANT_MUTE, **fields) -> ConferenceEvent:
    fields.setdefault("muted", True)
    return ConferenceEvent(
        kind, ROOM.sid, ROOM.account_sid, ROOM.friendly_name, seq, AT, call_sid="CA" + "2" * 32, **fields
    )


async def test_live_callbacks_slow_polling_to_the_reconcile_interval_and_quiet_ones_speed_it_up(
    store: Store, clock: FrozenClock
) -> None:
    p = poller(FakeClient(), store, clock, interval=2, reconcile_interval=30)
    await p.poll_once()
    assert (p.reconciling, p.next_delay) == (False, 2)  # no callback yet: polling
    store.apply_event(event(1))
    assert (p.reconciling, p.next_delay) == (True, 30)  # the only room is covered: wait for the reconcile
    clock.advance(10)
    assert p.next_delay == 20  # counted from the last full sweep
    clock.advance(19.9)
    assert p.reconciling
    clock.advance(0.1)  # as long without a callback as a reconcile interval: polling again
    assert (p.reconciling, p.next_delay) == (False, 2)
    assert poller(FakeClient(), store, clock, interval=2).next_delay == 2  # no receiver: never reconciling


OTHER = Conference("CF" + "3" * 32, ROOM.account_sid, "Ops handover", ConferenceStatus.IN_PROGRESS)
BOTH = Snapshot((ROOM, OTHER), {ROOM.sid: (), OTHER.sid: ()}, account=ROOM.account_sid)


async def test_rooms_callbacks_do_not_cover_are_still_polled_at_the_interval(store: Store, clock: FrozenClock) -> None:
    """One room's callbacks must not slow down the rooms that send none: those are polled as before,
    and the full reconcile sweep comes every reconcile interval."""
    client = FakeClient(*[BOTH] * 10)
    p = poller(client, store, clock, interval=2, reconcile_interval=30)
    await p.poll_once()  # polling: a full sweep
    store.apply_event(event(1, EventKind.PARTICIPANT_JOIN))  # ROOM's callbacks report who is in it
    assert store.callback_rooms(ROOM.account_sid) == {ROOM.sid} and p.next_delay == 2  # OTHER is not covered
    clock.advance(2)
    await p.poll_once()
    assert client.skipped[-1] == {ROOM.sid}  # only OTHER's participants fetched
    clock.advance(28)
    store.apply_event(event(2))  # callbacks still live
    await p.poll_once()
    assert client.skipped[-1] == frozenset() and p.last_reconcile_at == clock.now()  # the reconcile sweep


async def test_speech_alone_does_not_cover_a_room(store: Store, clock: FrozenClock) -> None:
    p = poller(FakeClient(), store, clock, interval=2, reconcile_interval=30)
    await p.poll_once()
    store.apply_event(event(1, EventKind.PARTICIPANT_SPEECH_START, muted=False))
    assert p.reconciling and store.callback_rooms(ROOM.account_sid) == frozenset() and p.next_delay == 2


async def test_the_event_feed_applies_a_burst_as_one_delivery(store: Store) -> None:
    events: asyncio.Queue[ConferenceEvent] = asyncio.Queue()
    for seq in range(1, 51):
        events.put_nowait(event(seq, muted=seq % 2 == 1) if seq > 1 else event(1, EventKind.PARTICIPANT_JOIN))
    delivered: list[Changes] = []
    task = asyncio.create_task(EventFeed(events, store, on_changes=delivered.append).run())
    try:
        await wait_until(lambda: events.empty() and delivered)
    finally:
        task.cancel()
    assert len(delivered) == 1
    assert delivered[0].rooms_added == (KEY,) and delivered[0].members_added == ((KEY, "CA" + "2" * 32),)
    assert store.rooms[KEY].members["CA" + "2" * 32].participant.muted is False  # the 50th said unmuted


async def test_the_event_feed_survives_a_bad_event_and_a_failing_face(store: Store, monkeypatch) -> None:
    events: asyncio.Queue[ConferenceEvent] = asyncio.Queue()
    delivered: list[Changes] = []

    def face(changes: Changes) -> None:
        if not delivered:
            delivered.append(Changes.empty)
            raise ValueError("face broke")
        delivered.append(changes)

    real_apply = store.apply_event

    def apply(e: ConferenceEvent) -> Changes:
        if e.sequence_number == 2:
            raise KeyError("odd")
        return real_apply(e)

    monkeypatch.setattr(store, "apply_event", apply)
    task = asyncio.create_task(EventFeed(events, store, on_changes=face).run())
    try:
        events.put_nowait(event(1, EventKind.PARTICIPANT_JOIN))
        await wait_until(lambda: len(delivered) == 1)
        events.put_nowait(event(2))
        events.put_nowait(event(3))
        await wait_until(lambda: len(delivered) == 2)
    finally:
        task.cancel()
    said = texts(delivered[1])
    # What the face failed to take came again, with the failure; the odd event was skipped, not fatal.
    assert "internal error: ValueError: face broke" in said
    assert "callback not applied: internal error: KeyError: 'odd'" in said
    assert delivered[1].members_added and store.rooms[KEY].members["CA" + "2" * 32].participant.muted
    assert health(store).failures == 0  # a callback's trouble is not the poll's
