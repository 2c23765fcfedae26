"""Conference status callbacks, as Twilio sends them, for everything the simulated world does.

`CallbackSender` listens to a World and POSTs each change to a URL, form-encoded and signed with
X-Twilio-Signature (twilio-2010.md §3-4): base64(HMAC-SHA1(auth token, URL + every name+value,
sorted by name)). It can do to the stream what Twilio's delivery does on request, seeded and
reproducible: reorder within a window (`shuffle`), send some twice with the same
I-Twilio-Idempotency-Token (`duplicate`), lose some (`drop`).

The listener only builds the form and queues it; an asyncio task sends. Nothing here ever raises
into the world: a receiver that is down, slow or refusing only counts as `stats.failed`.

Which faults hit which event is drawn from one stream seeded by `seed`, four draws per event in
the order the world emits them, so the same seed and the same world give the same drops,
duplicates and order whatever else is configured. Requests run up to `concurrency` at once, so
with more than one the receiver may see them in yet another order, as with Twilio; with
`concurrency=1` they arrive in the order sent.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from random import Random
from urllib.parse import urldefrag, urlencode

import aiohttp

from confmon.sim.rooms import WorldEvent
from confmon.sim.world import World

__all__ = ["EVENTS", "SUBSCRIBE", "CallbackSender", "CallbackStats", "callback_params", "rfc2822", "sign"]

log = logging.getLogger(__name__)

# StatusCallbackEvent value -> the statusCallbackEvent word that subscribes to it (§3).
SUBSCRIBE: dict[str, str] = {
    "conference-start": "start",
    "conference-end": "end",
    "participant-join": "join",
    "participant-leave": "leave",
    "participant-mute": "mute",
    "participant-unmute": "mute",
    "participant-hold": "hold",
    "participant-unhold": "hold",
    "participant-modify": "modify",
    "participant-speech-start": "speaker",
    "participant-speech-stop": "speaker",
    "announcement-end": "announcement",
    "announcement-fail": "announcement",
}
EVENTS = frozenset(SUBSCRIBE)

SIGNATURE_HEADER = "X-Twilio-Signature"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
USER_AGENT = "TwilioProxy/1.1"
FORM = "application/x-www-form-urlencoded"

WINDOW = 8  # how far (in events) `shuffle` may move one
LINGER = 0.05  # seconds without a new event after which a shuffled window is sent as it is
MAX_PENDING = 100_000  # events queued beyond this are lost (stats.overflowed), not kept forever
TIMEOUT = aiohttp.ClientTimeout(total=15.0, connect=5.0)  # Twilio's defaults (tt, ct)

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_END_TEXT = {
    "conference-ended-via-api": "Conference ended via API",
    "last-participant-kicked": "Last participant was removed from the conference",
    "last-participant-left": "Last participant left the conference",
    "participant-with-end-conference-on-exit-kicked": "Participant with endConferenceOnExit was removed",
    "participant-with-end-conference-on-exit-left": "Participant with endConferenceOnExit left the conference",
}


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature: base64(HMAC-SHA1(token, url + name+value for each param sorted by name))."""
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def rfc2822(seconds: float) -> str:
    """Twilio's Timestamp form, e.g. 'Thu, 1 Jun 2017 20:48:32 +0000' (day not zero-padded)."""
    t = datetime.fromtimestamp(int(seconds), tz=UTC)
    return f"{_DAYS[t.weekday()]}, {t.day} {_MONTHS[t.month - 1]} {t.year} {t:%H:%M:%S} +0000"


def _bool(value: bool) -> str:
    return "true" if value else "false"


def callback_params(event: WorldEvent, labels: dict[str, str] | None = None) -> dict[str, str]:
    """The form Twilio posts for one world event (§3). `labels` (call SID -> label) names the
    participant who ended a conference, who is gone from the event itself."""
    conference = event.conference
    params = {
        "AccountSid": conference.account_sid,
        "ConferenceSid": conference.sid,
        "FriendlyName": conference.friendly_name,
        "SequenceNumber": str(event.sequence_number),
        "Timestamp": rfc2822(event.timestamp),
        "StatusCallbackEvent": event.kind,
    }
    participant = event.participant
    if participant is not None:
        params |= {
            "CallSid": participant.call_sid,
            "Muted": _bool(participant.muted),
            "Hold": _bool(participant.hold),
            "Coaching": _bool(participant.coaching),
            "EndConferenceOnExit": _bool(participant.end_conference_on_exit),
            "StartConferenceOnEnter": _bool(participant.start_conference_on_enter),
        }
        if participant.label is not None:
            params["ParticipantLabel"] = participant.label
    if event.kind == "participant-leave":
        params["ReasonParticipantLeft"] = event.reason_left or "participant_hung_up"
        params["ParticipantCallStatus"] = "completed"
    elif event.kind == "conference-end":
        reason = conference.reason_conference_ended
        if reason is not None:
            params["ReasonConferenceEnded"] = str(reason)
            params["Reason"] = _END_TEXT.get(str(reason), str(reason))
        ending = conference.call_sid_ending_conference
        if ending:
            params["CallSidEndingConference"] = ending
            if labels and ending in labels:
                params["ParticipantLabelEndingConference"] = labels[ending]
    elif event.kind.startswith("announcement-"):
        if event.announcement is not None:
            params["AnnounceUrl"] = event.announcement.url
        if event.kind == "announcement-fail":
            params["ReasonAnnouncementFailed"] = "Internal error"
    return params


@dataclass(slots=True)
class CallbackStats:
    heard: int = 0  # events the world emitted that this sender is subscribed to
    sent: int = 0  # requests answered 2xx (a duplicate counts twice)
    failed: int = 0  # requests refused (non-2xx), timed out or not connected
    dropped: int = 0  # events lost on purpose (`drop`)
    duplicated: int = 0  # extra copies sent on purpose (`duplicate`)
    overflowed: int = 0  # events lost because MAX_PENDING were already queued


@dataclass(slots=True)
class _Outgoing:
    key: float  # delivery order: position in the stream, plus up to WINDOW when shuffled
    order: int  # ties, and the copy after its original
    params: dict[str, str]
    token: str


# --lossy-callbacks: every callback reordered, and this share of them sent twice, and as many lost.
LOSSY_CHANCE = 0.05


class CallbackSender:
    def __init__(
        self,
        world: World,
        url: str,
        auth_token: str,
        *,
        events: set[str] | None = None,
        shuffle: bool = False,
        duplicate: float = 0.0,
        drop: float = 0.0,
        seed: int = 0,
        concurrency: int = 8,
        window: int = WINDOW,
        sign_url: str | None = None,
        tick: float | None = None,
    ) -> None:
        """`events`: StatusCallbackEvent values ("participant-mute") or Twilio's subscribe words
        ("mute", "speaker"); None for all. `sign_url`: the public URL to sign when it differs from
        where requests go (a proxy in front of the receiver); fragments are never signed or sent.
        `tick`: advance the world to its clock every `tick` seconds. A world moves only when asked
        (each API request advances it); a provider pushes callbacks as things happen, not when
        polled, so a live sender keeps it moving. None: leave that to the caller (tests)."""
        if not auth_token:
            raise ValueError("callbacks need the account's auth token to sign with")
        if not 0.0 <= duplicate <= 1.0 or not 0.0 <= drop <= 1.0:
            raise ValueError("duplicate and drop are probabilities, 0 to 1")
        if concurrency < 1 or window < 1:
            raise ValueError("concurrency and window must be at least 1")
        unknown = set(events or ()) - EVENTS - set(SUBSCRIBE.values())
        if unknown:
            raise ValueError(f"unknown callback events: {', '.join(sorted(unknown))}")
        self.world = world
        self.url = urldefrag(url).url  # Twilio: connection-override fragments are not sent
        self.sign_url = urldefrag(sign_url).url if sign_url is not None else self.url
        self.events = None if events is None else frozenset(events)
        self.shuffle, self.duplicate, self.drop = shuffle, duplicate, drop
        self.seed = seed
        self.concurrency = concurrency
        self.window = window
        self.stats = CallbackStats()
        self._token = auth_token
        self._rng = Random(f"{seed}/callbacks")
        self._labels: dict[str, dict[str, str]] = {}  # conference SID -> call SID -> label
        self._pending: list[_Outgoing] = []
        self._next = 0  # position of the next event in the stream
        self._order = 0
        self._in_flight = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._wake: asyncio.Event | None = None
        self._idle: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._sends: set[asyncio.Task[None]] = set()
        self._flush = False  # send what shuffling holds back now (drain, or the stream went quiet)
        self._idle_slot: asyncio.Future[None] | None = None  # resolved when a request finishes
        self._tick = tick
        self._ticker: asyncio.Task[None] | None = None

    # -- life

    async def start(self) -> None:
        """Subscribe to the world and start sending, from the running loop."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._wake, self._idle = asyncio.Event(), asyncio.Event()
        self._idle.set()
        self._session = aiohttp.ClientSession(timeout=TIMEOUT, headers={"User-Agent": USER_AGENT})
        self._task = asyncio.create_task(self._run(), name="sim-callbacks")
        self.world.listeners.append(self.listen)
        if self._tick is not None:
            self._ticker = asyncio.create_task(self._keep_moving(self._tick), name="sim-world-ticker")

    async def _keep_moving(self, period: float) -> None:
        while True:
            await asyncio.sleep(period)
            try:
                self.world.advance(self.world.clock.now())
            except Exception:  # the world's bug must not stop the demo; the next tick tries again
                log.exception("the simulated world could not advance")

    async def stop(self) -> None:
        """Unsubscribe and stop; whatever is still queued or in flight is abandoned."""
        if self.listen in self.world.listeners:
            self.world.listeners.remove(self.listen)
        tasks = [t for t in (self._ticker, self._task, *self._sends) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = self._ticker = None
        self._sends.clear()
        self._in_flight = 0
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def drain(self) -> None:
        """Wait until everything queued so far has been sent (or has failed). For tests."""
        if self._task is None or self._idle is None or self._wake is None:
            raise RuntimeError("the sender is not started")
        self._flush = True
        self._wake.set()
        while self._pending or self._in_flight:
            self._idle.clear()
            self._wake.set()
            await self._idle.wait()

    # -- hearing the world (synchronous; never raises)

    def listen(self, event: WorldEvent) -> None:
        try:
            self._hear(event)
        except Exception:  # a listener must not break the simulator
            log.exception("status callback not queued for %r", getattr(event, "kind", event))

    def _hear(self, event: WorldEvent) -> None:
        labels = self._labels.setdefault(event.conference.sid, {})
        if event.participant is not None and event.participant.label is not None:
            labels[event.participant.call_sid] = event.participant.label
        if event.kind == "conference-end":
            self._labels.pop(event.conference.sid, None)
        if self.events is not None and event.kind not in self.events and SUBSCRIBE.get(event.kind) not in self.events:
            return
        self.stats.heard += 1
        params = callback_params(event, labels)
        position = self._next
        self._next += 1
        # Always four draws, so one seed picks the same faults whatever else is configured.
        lose, twice, spread, spread_copy = (self._rng.random() for _ in range(4))
        if lose < self.drop:
            self.stats.dropped += 1
            return
        if len(self._pending) >= MAX_PENDING:
            self.stats.overflowed += 1
            return
        token = hashlib.sha256(f"{self.seed}/{event.conference.sid}/{event.sequence_number}".encode()).hexdigest()
        reach = self.window if self.shuffle else 0
        self._queue(position + spread * reach, params, token)
        if twice < self.duplicate:
            self.stats.duplicated += 1
            self._queue(position + (spread_copy * reach if self.shuffle else 0.5), params, token)
        self._nudge()

    def _queue(self, key: float, params: dict[str, str], token: str) -> None:
        self._pending.append(_Outgoing(key, self._order, params, token))
        self._order += 1

    def _nudge(self) -> None:
        if self._loop is None or self._wake is None or self._loop.is_closed():
            return  # not started: the queue waits for start()
        if threading.get_ident() == self._thread:
            self._wake.set()
        else:
            self._loop.call_soon_threadsafe(self._wake.set)

    # -- sending

    async def _run(self) -> None:
        assert self._wake is not None and self._idle is not None
        while True:
            if not self._pending and not self._in_flight:
                self._idle.set()
            self._wake.clear()
            ready = self._take_ready()
            if not ready:
                if not self._pending:
                    self._flush = False
                    await self._wake.wait()
                    continue
                # Held back by shuffling: wait for more of the stream, or send them as they are.
                try:
                    await asyncio.wait_for(self._wake.wait(), LINGER)
                except TimeoutError:
                    self._flush = True
                continue
            for item in ready:
                await self._launch(item)

    def _take_ready(self) -> list[_Outgoing]:
        """What may go now, in delivery order: every later event sorts after `self._next`."""
        if not self._pending:
            return []
        self._pending.sort(key=lambda o: (o.key, o.order))
        if self._flush:
            ready, self._pending = self._pending, []
            return ready
        cut = 0
        while cut < len(self._pending) and self._pending[cut].key < self._next:
            cut += 1
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return ready

    async def _launch(self, item: _Outgoing) -> None:
        while self._in_flight >= self.concurrency:
            self._idle_slot = asyncio.get_running_loop().create_future()
            await self._idle_slot
        self._in_flight += 1
        task = asyncio.create_task(self._send(item))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def _send(self, item: _Outgoing) -> None:
        try:
            ok = await self._post(item)
            if ok:
                self.stats.sent += 1
            else:
                self.stats.failed += 1
        finally:
            self._in_flight -= 1
            slot = self._idle_slot
            if slot is not None and not slot.done():
                slot.set_result(None)
            assert self._wake is not None
            self._wake.set()

    async def _post(self, item: _Outgoing) -> bool:
        assert self._session is not None
        headers = {
            "Content-Type": FORM,
            SIGNATURE_HEADER: sign(self._token, self.sign_url, item.params),
            IDEMPOTENCY_HEADER: item.token,
        }
        try:
            async with self._session.post(self.url, data=urlencode(item.params), headers=headers) as reply:
                await reply.read()
                return 200 <= reply.status < 300
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            log.debug("status callback to %s failed: %s", self.url, error)
            return False
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("status callback to %s failed", self.url)
            return False
