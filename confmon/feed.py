"""Runs the sources into the store, forever, whatever the network does.

`Poller` sweeps the API one sweep at a time. A failed sweep, or one that outlasts its own deadline,
becomes a health error in the store (the data stays on screen), and the next one waits longer, up
to `max_backoff`. While status callbacks are live, a room whose callbacks report its participants
is only reconciled, by a full sweep every `reconcile_interval`; in between, the rooms callbacks do
not cover (none set up for them, or not yet heard from) are still polled every `interval`.

`EventFeed` applies the callbacks the receiver accepted. Only cancellation stops either loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Protocol

from confmon.api.errors import ApiError, RateLimited
from confmon.clock import Clock
from confmon.model import ConferenceEvent, Snapshot
from confmon.sanitize import display_text
from confmon.store import Changes, Store, internal_error

# Recordings cost one more request per room: fetch them only for the selected room and the first
# rooms on screen (the priority list starts with those), not for every room of the account.
RECORDINGS_ROOMS = 25

_MAX_MESSAGE = 240


class SweepClient(Protocol):
    async def sweep(
        self, *, priority: Sequence[str] = (), recordings_for: Sequence[str] = (), skip: Collection[str] = ()
    ) -> Snapshot: ...


def _shown(text: str) -> str:
    return display_text(text, _MAX_MESSAGE)


def _describe(error: BaseException) -> str:
    # Some errors (a bare TimeoutError) have no message at all; their type still says something.
    return _shown(str(error) or type(error).__name__)


class Poller:
    def __init__(
        self,
        client: SweepClient,
        store: Store,
        clock: Clock,
        *,
        account: str,
        interval: float = 2.0,
        on_changes: Callable[[Changes], None],
        max_backoff: float = 30.0,
        sweep_deadline: float | None = None,
        reconcile_interval: float | None = None,
    ) -> None:
        self._client = client
        self.account = account  # whose rooms the client lists
        self._store = store
        self._clock = clock
        self._interval = interval
        self.reconcile_interval = reconcile_interval
        self._max_backoff = max(max_backoff, interval)
        # Each call has its own deadline, but a sweep of 1,000 rooms is a hundred rounds of calls:
        # against a server that trickles, it could run for half an hour with nothing on screen.
        self.sweep_deadline = sweep_deadline if sweep_deadline is not None else max(3 * interval, 30.0)
        self._on_changes = on_changes
        self._priority: tuple[str, ...] = ()
        self._wake = asyncio.Event()
        self._retry_after = 0.0
        self._last_full: float | None = None  # when the last full sweep that succeeded began
        self.swept = asyncio.Event()  # set once the first sweep is over, whatever its outcome
        self.due_at: float | None = None  # when the wait for the next sweep ends; None while sweeping

    @property
    def priority(self) -> tuple[str, ...]:
        return self._priority

    def set_priority(self, sids: Iterable[str]) -> None:
        """Rooms the operator is looking at, most important first: the client fetches them first."""
        self._priority = tuple(dict.fromkeys(sids))

    def refresh_now(self) -> None:
        """Cut the current wait short; a request made during a sweep starts the next one right after."""
        self._wake.set()

    @property
    def reconciling(self) -> bool:
        """Whether callbacks are live (one applied within the reconcile interval), so a sweep only
        repairs what a lost callback missed. A quiet or broken callback channel means polling again."""
        last = self._store.health_of(self.account).last_event_at
        window = self.reconcile_interval
        return window is not None and last is not None and self._clock.now() - last < window

    @property
    def interval(self) -> float:
        """Seconds between sweeps of what callbacks do not cover (everything, while they are not live)."""
        return self._interval

    @property
    def last_reconcile_at(self) -> float | None:
        """When the last full sweep began (the reconcile sweep, while callbacks are live)."""
        return self._last_full

    def _full_sweep_due(self) -> bool:
        if not self.reconciling or self._last_full is None:
            return True
        assert self.reconcile_interval is not None  # reconciling needs one
        return self._clock.now() - self._last_full >= self.reconcile_interval

    @property
    def next_delay(self) -> float:
        """Seconds to wait after the sweep that just ended: the interval, doubled per consecutive
        failure; while callbacks cover every live room, until the next reconcile sweep is due."""
        failures = self._store.health_of(self.account).failures
        if failures:
            backoff: float = min(self._interval * 2 ** min(failures, 16), self._max_backoff)
            return max(backoff, self._retry_after)
        if self.reconciling and self._last_full is not None and self._store.live_rooms(self.account) == len(
            self._store.callback_rooms(self.account)
        ):
            assert self.reconcile_interval is not None
            return max(0.0, self._last_full + self.reconcile_interval - self._clock.now())
        return self._interval

    async def poll_once(self) -> Changes:
        """One sweep: full, or (callbacks live, reconcile not yet due) of what they do not cover."""
        self._retry_after = 0.0
        started = self._clock.now()
        full = self._full_sweep_due()
        skip = frozenset() if full else self._store.callback_rooms(self.account)
        deadline = asyncio.timeout(self.sweep_deadline)
        try:
            async with deadline:
                snapshot = await self._client.sweep(
                    priority=self._priority,
                    recordings_for=[sid for sid in self._priority[:RECORDINGS_ROOMS] if sid not in skip],
                    skip=skip,
                )
            if not snapshot.taken_at:  # the store needs to know when the sweep ran
                finished = self._clock.now()
                snapshot = dataclasses.replace(snapshot, taken_at=finished, latency=finished - started)
            changes = self._store.apply_snapshot(snapshot)
            if full:
                self._last_full = started
            return changes
        except (ApiError, OSError, TimeoutError) as error:
            if isinstance(error, TimeoutError) and deadline.expired():
                return self._store.record_error(self.account, f"sweep took longer than {self.sweep_deadline:g} s")
            message = _describe(error)
            if isinstance(error, RateLimited) and error.retry_after:
                # Honoured up to the longest backoff: one 429 asking for an hour must not stop all
                # polling for an hour. The server's own figure stays in the message.
                self._retry_after = min(error.retry_after, self._max_backoff)
                if error.retry_after > self._max_backoff:
                    message = _shown(f"{message}; polling again in {self._max_backoff:g} s (r: now)")
            return self._store.record_error(self.account, message)
        except Exception as error:  # a bug in a dialect or the store must not stop the feed
            return self._store.record_error(self.account, _shown(internal_error(error)))

    async def run(self) -> None:
        undelivered = Changes.empty
        while True:
            changes = undelivered | await self.poll_once()
            # Delivered even when nothing changed: the data's age and the sweep's latency moved.
            undelivered = _deliver(self._on_changes, changes, self._failed, always=True)
            self.swept.set()
            await self._wait(self.next_delay)

    def _failed(self, message: str) -> Changes:
        return self._store.record_error(self.account, message)

    async def _wait(self, delay: float) -> None:
        """Until `delay` has passed on the clock, or `refresh_now` cuts it short."""
        if not self._wake.is_set():
            self.due_at = self._clock.now() + delay
            sleeping = asyncio.ensure_future(self._clock.sleep_until(self.due_at))
            woken = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait((sleeping, woken), return_when=asyncio.FIRST_COMPLETED)
            finally:  # also when cancelled: neither may outlive this wait
                sleeping.cancel()
                woken.cancel()
                self.due_at = None
        self._wake.clear()


class EventFeed:
    """Applies accepted status callbacks to the store. Whatever queued up while the loop was busy
    goes in as one batch and out as one Changes, so a burst costs one repaint, not one per event."""

    def __init__(
        self,
        events: asyncio.Queue[ConferenceEvent],
        store: Store,
        *,
        on_changes: Callable[[Changes], None],
        batch: int = 500,
    ) -> None:
        self._events = events
        self._store = store
        self._on_changes = on_changes
        self._batch = batch  # most events per pass, so a flood still lets the screen draw in between

    async def run(self) -> None:
        undelivered = Changes.empty
        while True:
            batch = [undelivered, self._apply(await self._events.get())]
            while len(batch) <= self._batch and not self._events.empty():
                batch.append(self._apply(self._events.get_nowait()))
            undelivered = _deliver(self._on_changes, Changes.join(batch), self._store.report_error)
            await asyncio.sleep(0)  # let the frame that shows this batch be drawn before the next

    def _apply(self, event: ConferenceEvent) -> Changes:
        try:
            return self._store.apply_event(event)
        except Exception as error:  # one odd event must not stop the others (nor slow the poll)
            return self._store.report_error(_shown(f"callback not applied: {internal_error(error)}"))


def _deliver(
    on_changes: Callable[[Changes], None],
    changes: Changes,
    report: Callable[[str], Changes],
    *,
    always: bool = False,
) -> Changes:
    """Hand changes on; what could not be taken is returned, to go out with the next batch."""
    if not changes and not always:
        return Changes.empty
    try:
        on_changes(changes)
    except Exception as error:
        return changes | report(_shown(internal_error(error)))
    return Changes.empty
