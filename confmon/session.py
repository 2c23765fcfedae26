"""The runtime: one session owns the sources and the state; faces subscribe to it and ask it things.

The session is the only writer of the store. It opens the sources (the poller, the callback feed,
moderation and its audit), runs the clock-driven expiry, and keeps the feed status. Faces never hold
a store object: they take `Update`s of frozen views from a `Subscription`, and send intents
(`moderate`, `refresh_now`, `look_at`). It runs in the app's loop for the TUI, or alone for
`confmon ls`; nothing in it knows a screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable, Callable, Iterable, Sequence

from confmon import narrator
from confmon.api.client import Listing
from confmon.api.errors import ApiError, NotFound
from confmon.backend import Backend, Sources
from confmon.clock import Clock
from confmon.feed import EventFeed, Poller
from confmon.model import Action, Call, Capabilities, ConferenceStatus, Outcome, OutcomeStatus, RoomKey, Target
from confmon.moderation import action_allowed
from confmon.sanitize import display_text
from confmon.store import Changes, Note, Store, internal_error
from confmon.store.notes import Problem
from confmon.views import FeedMode, FeedStatus, RoomView, Update

TICK = 1.0  # seconds between expiry passes, and between the moments every age on screen moves
# Rooms whose participants are fetched first: the selected one and those on screen.
PRIORITY_ROOMS = 60
# Callers identified (their call fetched from the Calls resource) per tick, and at once, at most: the
# rooms on screen first, each call once, on a budget that leaves the poll its connections.
IDENTITIES_PER_TICK = 8
IDENTITIES_AT_ONCE = 4
# A refusal reason is logged the first time, then at most this often, with how many came meanwhile:
# a wrong --public-url refuses every callback, and the log must not drown in them.
REFUSAL_LOG_EVERY = 60.0
_MAX_NOTE = 240


# A subscription not taken from for long (a paused screen) joins what it holds, and keeps the newest
# log lines only: as many as the event log shows.
_JOIN_PENDING_AT = 256
_MAX_LOG = 10_000


class Subscription:
    """One face's view of the session: what changed since it last took an update.

    `wake` is called (from the session's task, never re-entrantly) whenever something new is
    waiting; the face takes it with `take()` when it is ready to draw, so a burst costs one update.
    """

    def __init__(self, session: Session, wake: Callable[[], None]) -> None:
        self._session = session
        self._wake = wake
        self._pending: list[Changes] = []
        self._waiting = 0  # changes since the last take: what a paused face says it holds back
        self._resync = True  # the first update holds every room
        self._ticked = False
        self._log: list[Note] = []  # what happened, the store's notes and the session's own, in order

    def _push(self, changes: Changes | None, log: Iterable[Note] = (), *, ticked: bool = False) -> None:
        """Something is new: rooms, log lines, the time, or only the feed status."""
        if changes:
            # Its notes go to _log (capped) alone: joined changes kept them all, through a long pause.
            self._pending.append(dataclasses.replace(changes, log=()))
            self._waiting += 1
            if len(self._pending) >= _JOIN_PENDING_AT:  # a face paused for long holds one, not thousands
                self._pending = [Changes.join(self._pending)]
            self._log.extend(changes.log)  # one list, so the store's notes and the session's keep their order
        self._log.extend(log)
        if len(self._log) > _MAX_LOG:  # no face shows more than this many lines of log
            del self._log[:-_MAX_LOG]
        self._ticked |= ticked
        self._wake()

    @property
    def waiting(self) -> int:
        """Changes (a poll's, a callback's, an action's) since the last take."""
        return self._waiting

    def take(self) -> Update:
        """Everything since the last take, as frozen views of the rooms that changed."""
        changes, self._pending, self._waiting = Changes.join(self._pending), [], 0
        notes, self._log = self._log, []
        log = tuple(narrator.tell(note) for note in notes)
        session = self._session
        resync, self._resync = self._resync, False
        ticked, self._ticked = self._ticked, False
        if resync:
            return Update(session.status(), session.rooms(), (), log, resync=True, ticked=ticked)
        views: dict[RoomKey, RoomView] = {}
        for key in changes.rooms_touched():
            view = session.store.view(key)
            if view is not None:
                views[key] = view
        return Update(session.status(), views, changes.rooms_removed, log, ticked=ticked)


class Session:
    def __init__(
        self,
        sources: Sources,
        *,
        clock: Clock,
        interval: float = 2.0,
        reconcile_interval: float = 30.0,
    ) -> None:
        self.sources = sources
        self.clock = clock
        self.interval = interval
        self.reconcile_interval = reconcile_interval
        self.store = Store(clock)
        self.backend: Backend | None = None  # once open; tests reach the simulator through it
        self._poller: Poller | None = None
        self._subscriptions: list[Subscription] = []
        self._note = ""
        self._was_reconciling = False
        # Refusals by reason: how many are not yet in the log, and when the reason was last logged.
        self._refusals: dict[str, tuple[int, float | None]] = {}
        self._looked_at: list[RoomKey] = []  # the rooms on screen, the selected one first
        self._unidentified: set[str] = set()  # calls the Calls resource does not know: not asked again
        self._identifying: asyncio.Task[None] | None = None
        self.moderations = 0  # actions asked for, whatever became of them: what a test of a refused key counts

    # ---- what faces read ----------------------------------------------------------------------

    @property
    def capabilities(self) -> Capabilities:
        return self.sources.capabilities

    @property
    def read_only(self) -> bool:
        return self.sources.read_only

    @property
    def callbacks(self) -> bool:
        """Whether status callbacks were asked for (the Talk column's only source)."""
        return self.sources.callbacks

    @property
    def audit_error(self) -> str | None:
        """Why the audit log could not be written, while it cannot."""
        return self.backend.moderator.audit_error if self.backend is not None else None

    def may(self, action: Action) -> bool:
        """Whether this session can ever do `action` (read-only mode, the API's capabilities)."""
        return action_allowed(self.capabilities, action, read_only=self.read_only)

    def subscribe(self, wake: Callable[[], None]) -> Subscription:
        subscription = Subscription(self, wake)
        self._subscriptions.append(subscription)
        wake()  # the first update, with every room, is ready now
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with contextlib.suppress(ValueError):
            self._subscriptions.remove(subscription)

    def rooms(self) -> dict[RoomKey, RoomView]:
        views = (self.store.view(key) for key in self.store.rooms)
        return {view.key: view for view in views if view is not None}

    @property
    def next_poll_at(self) -> float | None:
        """When the poller's wait for its next sweep ends, on the clock; None while it sweeps."""
        return self._poller.due_at if self._poller is not None else None

    def status(self) -> FeedStatus:
        backend = self.backend
        return FeedStatus(
            account=self.sources.account,
            host=backend.host if backend is not None else "",
            opened=backend is not None,
            dialect=self.capabilities.name,
            read_only=self.read_only,
            health=self.store.health_of(self.sources.account),
            mode=self._mode(),
            note=self._note,
        )

    def _mode(self) -> FeedMode:
        poller, backend = self._poller, self.backend
        if poller is None or backend is None:
            return FeedMode(poll_interval=self.interval)
        reconciling = poller.reconciling
        receiver = backend.receiver
        return FeedMode(
            callbacks=backend.events is not None,
            reconciling=reconciling,
            poll_interval=poller.interval,
            reconcile_interval=poller.reconcile_interval,
            last_reconcile_at=poller.last_reconcile_at,
            polled_rooms=self.store.live_rooms(poller.account) - len(self.store.callback_rooms(poller.account))
            if reconciling
            else 0,
            callback_error=backend.callback_error,
            refused=receiver.refused.total() if receiver is not None else 0,
            last_refusal=receiver.last_refusal if receiver is not None else None,
        )

    # ---- intents ------------------------------------------------------------------------------

    def refresh_now(self) -> None:
        if self._poller is not None:
            self._poller.refresh_now()

    def look_at(self, keys: Sequence[RoomKey]) -> None:
        """The rooms the operator is looking at, the selected one first: their participants are
        fetched first, and their recordings at all."""
        self._looked_at = list(keys[:PRIORITY_ROOMS])
        poller = self._poller
        if poller is None:
            return
        first_time = not poller.priority and bool(keys)
        poller.set_priority(key.sid for key in keys[:PRIORITY_ROOMS])
        if first_time:  # the first sweep could not know what is on screen: fetch its recordings now
            poller.refresh_now()

    async def moderate(self, action: Action, target: Target) -> Outcome:
        """Do it, showing it pending meanwhile; the outcome is applied and audited, and returned."""
        self.moderations += 1
        backend = self.backend
        if backend is None:
            return Outcome(action, target, OutcomeStatus.FAILED, error="not connected yet")
        busy = self._busy(target)
        if busy is not None:  # one action at a time per target: a second would race the first
            self._log(f"{action} {target.name or target.conference_sid} not sent: {busy}")
            return Outcome(action, target, OutcomeStatus.FAILED, error=f"not sent: {busy}")
        moderator = backend.moderator
        self._publish(self.store.apply_outcome(moderator.pending(action, target)))
        outcome = await moderator.perform(action, target)
        self._publish(self.store.apply_outcome(outcome))
        if moderator.audit_error:
            self._set_note(f"audit log not written: {moderator.audit_error}")
        self.refresh_now()
        return outcome

    def _busy(self, target: Target) -> str | None:
        """Why `target` takes no action now (one is in flight on it, or on its whole room), or None."""
        in_flight = self.store.pending_for(target.room, target.call_sid)
        if in_flight is not None:
            return f"its {in_flight} is still in flight"
        if target.call_sid is not None and self.store.pending_for(target.room) is Action.END:
            return "the room is being ended"
        return None

    async def ended_rooms(self) -> Listing[RoomView]:
        """Rooms that ended, as the API lists them (the live store keeps an ended room a minute only),
        with what the listing could not read of them (its `problems` and `dropped`)."""
        backend = self._require_backend()
        conferences = await backend.client.list_conferences(status=ConferenceStatus.COMPLETED)
        now = self.clock.now()
        return Listing.of(
            (RoomView(RoomKey(backend.account_sid, c.sid), c, first_seen=now, last_changed=now) for c in conferences),
            conferences.problems,
            conferences.dropped,
        )

    # ---- running ------------------------------------------------------------------------------

    async def open(self) -> None:
        """Open the sources (the demo's simulator starts here, inside the running loop)."""
        if self.backend is not None:
            return
        self.backend = backend = await self.sources.open()
        self._poller = Poller(
            backend.client,
            self.store,
            self.clock,
            account=backend.account_sid,
            interval=self.interval,
            on_changes=self._publish,
            reconcile_interval=self.reconcile_interval if backend.events is not None else None,
        )
        if backend.receiver is not None:
            backend.receiver.on_refusal = self._refused
        if backend.callback_error:  # the status bar keeps saying it; the log says it once
            self._log(backend.callback_error)

    async def sweep_once(self) -> None:
        """One full sweep into the store, for a face that shows the state once (`confmon ls`).
        Raises what the sweep met, as a one-shot command must report it."""
        backend = self._require_backend()
        snapshot = await backend.client.sweep()
        self._publish(self.store.apply_snapshot(snapshot))

    async def run(self) -> None:
        """Open, then poll, receive and expire until cancelled; nothing on the network stops it."""
        await self.open()
        poller, backend = self._poller, self.backend
        assert poller is not None and backend is not None
        async with asyncio.TaskGroup() as group:
            group.create_task(self._keep_running("poll", poller.run))
            group.create_task(self._keep_running("tick", self._tick_forever))
            if backend.events is not None:
                # Callbacks wait for the first sweep: one that arrives first would show a room that
                # started an hour ago as just started, and its callers as having just joined.
                await poller.swept.wait()
                feed = EventFeed(backend.events, self.store, on_changes=self._publish)
                group.create_task(self._keep_running("callback feed", feed.run))

    async def aclose(self) -> None:
        """Close the sources; the backend stays readable (a test checks the simulator's truth after)."""
        if self.backend is not None:
            await self.backend.aclose()

    async def _keep_running(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        """Run a loop for ever: a bug in it is logged and shown, and it starts again a tick later."""
        while True:
            try:
                await loop()
            except Exception as error:
                self._set_note(f"{name} failed, restarting: {internal_error(error)}")
                await self.clock.sleep_until(self.clock.now() + TICK)

    async def _tick_forever(self) -> None:
        while True:
            await self.clock.sleep_until(self.clock.now() + TICK)
            self.tick()

    def tick(self) -> None:
        """Expire what has stayed long enough, poll at once if callbacks went quiet, log refusals."""
        changes = self.store.expire()
        poller = self._poller
        if poller is not None:
            reconciling = poller.reconciling
            if self._was_reconciling and not reconciling:
                poller.refresh_now()  # callbacks went quiet: poll now, not at the end of a slow wait
            self._was_reconciling = reconciling
        self._log_refusals()
        self._publish(changes, ticked=True)
        if self._identifying is None or self._identifying.done():  # one batch at a time, on a budget
            self._identifying = asyncio.create_task(self._identify_quietly())

    async def _identify_quietly(self) -> None:
        try:
            await self.identify_callers()
        except Exception as error:  # a bug here must not go unseen, nor stop the next tick's batch
            self._set_note(f"caller identity failed: {internal_error(error)}")

    async def identify_callers(self) -> None:
        """Who the callers on screen are, from the Calls resource: a few per tick, each call once,
        kept while the caller is. A failure is tried again at a later tick; a call the API does not
        know is not asked again."""
        backend = self.backend
        if backend is None:
            return
        wanted: list[tuple[RoomKey, str]] = []
        for key in self._looked_at:
            room = self.store.rooms.get(key)
            for call_sid, member in room.members.items() if room is not None else ():
                if member.left_at is None and call_sid not in self._unidentified and not self.store.has_call(call_sid):
                    wanted.append((key, call_sid))
            if len(wanted) >= IDENTITIES_PER_TICK:
                break
        gate = asyncio.Semaphore(IDENTITIES_AT_ONCE)

        async def fetch(key: RoomKey, call_sid: str) -> tuple[tuple[RoomKey, str], Call] | None:
            async with gate:
                try:
                    return (key, call_sid), await backend.client.fetch_call(call_sid)
                except NotFound:
                    self._unidentified.add(call_sid)
                except ApiError:  # the network or the server: the next tick tries again
                    pass
                return None

        found = [hit for hit in await asyncio.gather(*(fetch(*w) for w in wanted[:IDENTITIES_PER_TICK])) if hit]
        if found:
            self._publish(self.store.apply_calls(dict(found)))

    def _refused(self, reason: str) -> None:
        """A callback the receiver refused: in the log (once a minute per reason at most, with how
        many came meanwhile) and on the status bar at once."""
        unlogged, logged_at = self._refusals.get(reason, (0, None))
        self._refusals[reason] = (unlogged + 1, logged_at)
        self._log_refusals()
        self._publish(Changes.empty)

    def _log_refusals(self) -> None:
        now = self.clock.now()
        for reason, (unlogged, logged_at) in self._refusals.items():
            if unlogged and (logged_at is None or now - logged_at >= REFUSAL_LOG_EVERY):
                self._log(f"callback refused: {reason}" + (f" ({unlogged}×)" if unlogged > 1 else ""))
                self._refusals[reason] = (0, now)

    # ---- publishing ---------------------------------------------------------------------------

    def _publish(self, changes: Changes, *, ticked: bool = False) -> None:
        """Tell every face; an empty Changes still says the feed status moved (a poll that found
        nothing new has still made the data younger)."""
        if changes.health_changed and self.store.health_of(self.sources.account).last_error is None:
            self._note = ""  # a good poll clears the last failure from the status bar
        for subscription in self._subscriptions:
            subscription._push(changes, ticked=ticked)

    def _log(self, text: str) -> None:
        note = Problem(self.clock.now(), display_text(text, _MAX_NOTE))
        for subscription in self._subscriptions:
            subscription._push(None, (note,))

    def _set_note(self, text: str) -> None:
        """A failure outside the poll: on the status bar until the next good poll, and in the log."""
        self._note = display_text(text, _MAX_NOTE)
        self._log(self._note)

    def _require_backend(self) -> Backend:
        if self.backend is None:
            raise RuntimeError("the session is not open")
        return self.backend
