"""Wiring of the sources behind a face: a client, its moderator, and (for the demo) the simulator.

The UI receives a `Backend` and never builds a URL or touches HTTP itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from confmon.api.client import ConferenceClient
from confmon.audit import AuditLog
from confmon.clock import Clock
from confmon.config import Connection, Credentials
from confmon.moderation import Moderator
from confmon.secret import Secret

if TYPE_CHECKING:
    from confmon.sim.server import SimServer
    from confmon.sim.world import World

DEMO_ACCOUNT_SID = "AC" + "d3" * 16


@dataclass
class Backend:
    client: ConferenceClient
    moderator: Moderator
    account_sid: str
    base_url: str
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    simulator: SimServer | None = None  # the embedded one, for the demo; tests read its world's truth

    @property
    def world(self) -> World | None:
        return self.simulator.world if self.simulator is not None else None

    @property
    def host(self) -> str:
        # The embedded simulator listens on a random port: naming it keeps screenshots reproducible.
        return "embedded simulator" if self.simulator is not None else urlsplit(self.base_url).netloc

    async def aclose(self) -> None:
        for close in reversed(self._closers):
            await close()
        self._closers.clear()


BackendFactory = Callable[[], Awaitable[Backend]]


def make_client(connection: Connection, clock: Clock | None = None) -> ConferenceClient:
    creds = connection.credentials
    return ConferenceClient(
        base_url=connection.base_url,
        account_sid=creds.account_sid,
        username=creds.username,
        password=creds.password,
        dialect=connection.dialect,
        clock=clock,
    )


def open_backend(connection: Connection, *, audit: AuditLog, read_only: bool, clock: Clock) -> BackendFactory:
    async def factory() -> Backend:
        creds = connection.credentials
        client = make_client(connection, clock)
        moderator = Moderator(
            client, audit, account_sid=creds.account_sid, capabilities=client.capabilities, read_only=read_only
        )
        return Backend(client, moderator, creds.account_sid, connection.base_url, [client.aclose])

    return factory


def open_demo_backend(
    *,
    seed: int,
    rooms: int,
    clock: Clock,
    audit: AuditLog,
    read_only: bool = False,
    traffic: bool = True,
    latency: float = 0.0,
    dialect: str = "twilio2010",
) -> BackendFactory:
    """Start the simulator inside the running loop (Textual's), then connect to it over loopback."""

    async def factory() -> Backend:
        from confmon.sim.server import SimServer
        from confmon.sim.world import World

        token = secrets.token_hex(16)
        world = World(seed, clock, DEMO_ACCOUNT_SID, target_rooms=rooms, traffic=traffic)
        server = SimServer(world, auth_token=token, latency=latency, dialect=_served_dialect(dialect))
        base_url = await server.start(port=0)
        credentials = Credentials(DEMO_ACCOUNT_SID, DEMO_ACCOUNT_SID, Secret(token))
        connection = Connection(base_url, credentials, dialect)
        backend = await open_backend(connection, audit=audit, read_only=read_only, clock=clock)()
        backend._closers.insert(0, server.stop)
        backend.simulator = server
        return backend

    return factory


def _served_dialect(client_dialect: str) -> str:
    """The simulator serves 2010 JSON and XML from one server; the client picks one of them."""
    return "twilio2010" if client_dialect == "twilio2010-xml" else client_dialect
