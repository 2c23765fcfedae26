"""Wiring of the sources behind a session: a client, its moderator, the status-callback receiver
when asked for, and (for the demo) the simulator with its signed callbacks.

`Sources` says what will be opened and what it can do before anything is opened (a screen lays
out its columns by the capabilities first); the session opens it inside the running loop.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from confmon import registry
from confmon.api.client import MAX_BODY, ConferenceClient
from confmon.audit import AuditLog
from confmon.callbacks.receiver import CallbackReceiver
from confmon.clock import Clock
from confmon.config import CallbackSettings, Connection, Credentials
from confmon.model import Capabilities, ConferenceEvent
from confmon.moderation import Moderator
from confmon.secret import Secret

if TYPE_CHECKING:
    from confmon.sim.callbacks import CallbackSender
    from confmon.sim.server import SimServer
    from confmon.sim.world import World

DEMO_ACCOUNT_SID = "AC" + "d3" * 16
# The demo's pretend public URL: its callbacks are signed for it and posted to the loopback
# receiver, as a tunnel or proxy in front of confmon would forward them.
DEMO_PUBLIC_URL = "https://confmon-demo.invalid/confmon/events"
# Callbacks accepted but not yet applied; beyond this the receiver answers 503 and the next
# reconcile sweep repairs what was refused.
EVENT_QUEUE = 10_000
TICK = 0.25  # seconds: how often the demo's world moves on its own, to push callbacks as they happen


@dataclass
class Backend:
    client: ConferenceClient
    moderator: Moderator
    account_sid: str
    base_url: str
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    simulator: SimServer | None = None  # the embedded one, for the demo; tests read its world's truth
    events: asyncio.Queue[ConferenceEvent] | None = None  # accepted status callbacks, while listening
    callback_address: tuple[str, int] | None = None  # where the receiver listens
    receiver: CallbackReceiver | None = None  # its refusal counts are shown
    callback_error: str | None = None  # why callbacks are off although they were asked for
    callback_sender: CallbackSender | None = None  # the demo simulator's

    @property
    def world(self) -> World | None:
        return self.simulator.world if self.simulator is not None else None

    @property
    def host(self) -> str:
        # The embedded simulator listens on a random port: naming it keeps screenshots reproducible.
        return "embedded simulator" if self.simulator is not None else urlsplit(self.base_url).netloc

    async def aclose(self) -> None:
        """Close everything opened, newest first; one that fails does not keep the others open."""
        closers, self._closers = self._closers, []
        errors = []
        for close in reversed(closers):
            try:
                await close()
            except Exception as error:
                errors.append(error)
        if errors:
            raise errors[0]

    async def _closing_on_failure(self, opening: Awaitable[None]) -> None:
        """Await the next thing to open; if that fails or is cancelled (a quit during start-up),
        close what is already open instead of leaving it listening."""
        try:
            await opening
        except BaseException:
            await asyncio.shield(self.aclose())
            raise


BackendFactory = Callable[[], Awaitable[Backend]]


@dataclass(frozen=True)
class Sources:
    """One account's sources, not yet open: what the session will run, and what they can do."""

    account: str  # the account id, as the status bar names it
    capabilities: Capabilities  # the dialect's: the same the opened client reports
    read_only: bool
    callbacks: bool  # status callbacks are asked for, and the dialect has them
    open: BackendFactory


def make_client(connection: Connection, clock: Clock | None = None) -> ConferenceClient:
    creds = connection.credentials
    return ConferenceClient(
        base_url=connection.base_url,
        account_sid=creds.account_sid,
        username=creds.username,
        password=creds.password,
        dialect=connection.dialect,
        max_body=connection.max_body or MAX_BODY,
        clock=clock,
    )


def open_backend(
    connection: Connection,
    *,
    audit: AuditLog,
    read_only: bool,
    clock: Clock,
    callbacks: CallbackSettings | None = None,
) -> Sources:
    capabilities = registry.get(connection.dialect).capabilities

    async def factory() -> Backend:
        creds = connection.credentials
        client = make_client(connection, clock)
        moderator = Moderator(
            client, audit, account_sid=creds.account_sid, capabilities=client.capabilities, read_only=read_only
        )
        backend = Backend(client, moderator, creds.account_sid, connection.base_url, [client.aclose])
        if callbacks is not None:
            await backend._closing_on_failure(_listen(backend, callbacks, creds.signing_token, clock))
        return backend

    wanted = callbacks is not None and capabilities.has_callbacks
    return Sources(connection.credentials.account_sid, capabilities, read_only, wanted, factory)


async def _listen(backend: Backend, settings: CallbackSettings, token: Secret | None, clock: Clock) -> None:
    """Start the receiver; if it cannot listen, say why and carry on polling (never exit for it)."""
    if token is None:
        backend.callback_error = "callbacks off: no auth token to check their signatures"
        return
    events: asyncio.Queue[ConferenceEvent] = asyncio.Queue(maxsize=EVENT_QUEUE)
    receiver = CallbackReceiver(
        settings.public_url, token, events, accounts=(backend.account_sid,), host=settings.host, port=settings.port,
        clock=clock,
    )
    try:
        backend.callback_address = await receiver.start()
    except OSError as error:
        where = f"{settings.host}:{settings.port}"
        backend.callback_error = f"callbacks off: cannot listen on {where}: {error.strerror or error}"
        return
    backend.events = events
    backend.receiver = receiver
    backend._closers.append(receiver.stop)


def open_demo_backend(
    *,
    seed: int,
    rooms: int,
    clock: Clock,
    audit: AuditLog,
    read_only: bool = False,
    traffic: bool = True,
    latency: float = 0.0,
    dialect: str = registry.DEFAULT,
    callbacks: bool = False,
    lossy_callbacks: bool = False,
    auth_token: str | None = None,
) -> Sources:
    """Start the simulator inside the running loop (Textual's), then connect to it over loopback.

    With `callbacks` (where the dialect has them) the simulator posts signed status callbacks to a
    receiver on a free loopback port; `lossy_callbacks` makes it reorder, repeat and lose some, as
    Twilio's delivery may, so the reconcile sweep has something to repair. `auth_token`: the
    simulated account's (default: a fresh random one), for tests that sign callbacks themselves."""

    capabilities = registry.get(dialect).capabilities
    wanted = callbacks and capabilities.has_callbacks

    async def factory() -> Backend:
        from confmon.sim.callbacks import LOSSY_CHANCE, CallbackSender
        from confmon.sim.server import SimServer
        from confmon.sim.world import World

        token = auth_token or secrets.token_hex(16)
        world = World(seed, clock, DEMO_ACCOUNT_SID, target_rooms=rooms, traffic=traffic)
        server = SimServer(world, auth_token=token, latency=latency, dialect=dialect)
        base_url = await server.start(port=0)
        credentials = Credentials(DEMO_ACCOUNT_SID, DEMO_ACCOUNT_SID, Secret(token), Secret(token))
        connection = Connection(base_url, credentials, dialect)
        listen = CallbackSettings("127.0.0.1", 0, DEMO_PUBLIC_URL)
        try:
            backend = await open_backend(
                connection, audit=audit, read_only=read_only, clock=clock, callbacks=listen if wanted else None
            ).open()
        except BaseException:
            await asyncio.shield(server.stop())
            raise
        backend._closers.insert(0, server.stop)
        backend.simulator = server
        if backend.callback_address is not None:
            host, port = backend.callback_address
            sender = CallbackSender(
                world, f"http://{host}:{port}/confmon/events", token, sign_url=DEMO_PUBLIC_URL, seed=seed, tick=TICK,
                shuffle=lossy_callbacks, duplicate=LOSSY_CHANCE if lossy_callbacks else 0.0,
                drop=LOSSY_CHANCE if lossy_callbacks else 0.0,
            )
            await backend._closing_on_failure(sender.start())
            backend._closers.append(sender.stop)  # closed first: stop posting before the receiver goes
            backend.callback_sender = sender
        return backend

    return Sources(DEMO_ACCOUNT_SID, capabilities, read_only, wanted, factory)
