"""The simulator as a real HTTP server (aiohttp.web) that runs inside an existing event loop.

One server speaks one dialect (see `dialects`); several servers may share one World. Every request
passes, in order: queued faults and latency, error rendering in the dialect's shape, the dialect's
authentication, then the dialect's router (account, path, format), which brings the world up to
the clock before its handler runs.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import sys
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from confmon import registry
from confmon.clock import SystemClock
from confmon.secret import Secret
from confmon.sim import dialects
from confmon.sim.callbacks import LOSSY_CHANCE, CallbackSender
from confmon.sim.dialects.base import Keys
from confmon.sim.errors import ApiError
from confmon.sim.faults import Delay, Failure, Faults, Truncate
from confmon.sim.world import World, WorldError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DIALECTS = dialects.NAMES  # every dialect of the registry


class SimServer:
    def __init__(
        self,
        world: World,
        *,
        auth_token: str,
        api_key: tuple[str, str] | None = None,
        latency: float = 0.0,
        dialect: str = registry.DEFAULT,
    ) -> None:
        if not auth_token:
            raise ValueError("the simulator needs an auth token to check")
        self.world = world
        self.dialect = dialects.make(dialect, world)
        self.latency = latency  # seconds added to every request, to model a real round trip
        self.faults = Faults()
        self.base_url: str | None = None  # the origin; every dialect's paths start with its own prefix
        # The account's own token, and an API key (SK…) and its secret where the dialect takes one.
        key = (api_key[0], Secret(api_key[1])) if api_key is not None else None
        self._keys = Keys(world.account_sid, Secret(auth_token), key)
        self.app = web.Application(middlewares=[self._disturb, self._errors, self._authenticate])
        self.app.router.add_route("*", "/{tail:.*}", self.dialect.dispatch)
        self._runner: web.AppRunner | None = None

    @property
    def prefix(self) -> str:
        """Where the dialect's API lives on the origin, e.g. /restcomm/2012-04-24."""
        return self.dialect.prefix

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen (port 0: any free port) and return the origin, e.g. http://127.0.0.1:54321."""
        runner = web.AppRunner(self.app, handle_signals=False, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_port = runner.addresses[0][1]
        self.base_url = f"http://{f'[{host}]' if ':' in host else host}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- middlewares, outermost first

    @web.middleware
    async def _disturb(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        fault = self.faults.take()
        pause = self.latency + (fault.seconds if isinstance(fault, Delay) else 0.0)
        if pause:
            await asyncio.sleep(pause)
        if isinstance(fault, Failure):
            headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
            error = ApiError(fault.status, fault.code, fault.message, headers)
            return self.dialect.error_response(self.dialect.format_of(request), error)
        response = await handler(request)
        if isinstance(fault, Truncate) and isinstance(response, web.Response):
            return await _hang_up_halfway(request, response)
        return response

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        fmt = self.dialect.format_of(request)
        try:
            return await handler(request)
        except ApiError as error:
            return self.dialect.error_response(fmt, error)
        except WorldError as error:
            return self.dialect.error_response(fmt, ApiError.from_world(error, request.path))
        except web.HTTPException:
            raise
        except Exception:
            log.exception("simulator failed on %s %s", request.method, request.path)
            return self.dialect.error_response(fmt, ApiError.internal())

    @web.middleware
    async def _authenticate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # Checked before anything else is looked at, as the real APIs do: a stranger learns nothing.
        if not self.dialect.authorized(request, self._keys):
            raise ApiError(401, 20003, "Authenticate", self.dialect.challenge())
        return await handler(request)


async def _hang_up_halfway(request: web.Request, response: web.Response) -> web.StreamResponse:
    """Send the headers and half the body, then close the connection, as a dropped link would."""
    body = response.body if isinstance(response.body, bytes) else b""
    partial = web.StreamResponse(status=response.status, reason=response.reason, headers=response.headers)
    partial.content_length = len(body)
    await partial.prepare(request)
    await partial.write(body[: len(body) // 2])
    if request.transport is not None:
        request.transport.close()
    return partial


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1), written as such; no lookup."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _CannotListen(Exception):
    pass


def _complain(message: str) -> None:
    print(message, file=sys.stderr)


def run_standalone(
    *,
    host: str,
    port: int,
    seed: int,
    rooms: int,
    account_sid: str,
    auth_token: str,
    latency: float = 0.0,
    dialect: str = registry.DEFAULT,
    callback_url: str | None = None,
    lossy_callbacks: bool = False,
    print_fn: Callable[[str], None] = print,
) -> int:
    """`confmon sim`: serve a live simulated account until Ctrl-C; returns the exit status.

    It prints its auth token and takes any request that carries it, so it listens on loopback only:
    any other host is refused (status 2), as is an unknown dialect. Failing to listen is status 1.
    Errors go to stderr. The base URL line names the dialect and its prefix, e.g.
    "base URL http://127.0.0.1:8089 (RestComm 2012-04-24 under /restcomm/2012-04-24)".
    With `callback_url`, every change is also posted there as a status callback signed with the token.
    """
    try:
        spec = registry.get(dialect)
    except registry.UnknownDialect as error:
        _complain(f"confmon: {error}")
        return 2
    if not is_loopback(host):
        _complain(f"confmon: refusing to listen on {host!r}: the simulator serves loopback only (127.0.0.1, ::1)")
        return 2
    address = host[1:-1] if host.startswith("[") and host.endswith("]") else host  # [::1] as in a URL
    if callback_url is not None and urlsplit(callback_url).scheme not in ("http", "https"):
        _complain(f"confmon: --callback-url must be an http(s) URL, not {callback_url!r}")
        return 2

    async def serve() -> None:
        world = World(seed, SystemClock(), account_sid, target_rooms=rooms)
        server = SimServer(world, auth_token=auth_token, latency=latency, dialect=dialect)
        try:
            base_url = await server.start(address, port)
        except OSError as error:
            raise _CannotListen(error.strerror or str(error)) from error
        except (OverflowError, ValueError) as error:  # a port outside 0-65535
            raise _CannotListen(str(error)) from error
        label, prefix = server.dialect.label, server.prefix
        sender = None
        if callback_url is not None:
            loss = LOSSY_CHANCE if lossy_callbacks else 0.0
            sender = CallbackSender(
                world, callback_url, auth_token, seed=seed, tick=0.25,
                shuffle=lossy_callbacks, duplicate=loss, drop=loss,
            )
            await sender.start()
        try:
            print_fn(f"Simulated {label} API, seed {seed}, {rooms} rooms; Ctrl-C to stop.")
            print_fn(f"  base URL     {base_url} ({label} under {prefix})")
            print_fn(f"  account SID  {account_sid}")
            # A bearer dialect (Telnyx) takes the token as an API key; the others as the Basic password.
            print_fn(f"  {'API key' if spec.auth == 'bearer' else 'auth token':<12} {auth_token}")
            if sender is not None:
                print_fn(f"  callbacks    {sender.url}" + (" (reordered, repeated, lost)" if lossy_callbacks else ""))
            await asyncio.Event().wait()
        finally:
            if sender is not None:
                await sender.stop()
            await server.stop()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        return 0
    except _CannotListen as error:
        _complain(f"confmon: cannot listen on {host}:{port}: {error}")
        return 1
    return 0
