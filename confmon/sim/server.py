"""The simulator as a real HTTP server (aiohttp.web) that runs inside an existing event loop.

Every request passes, in order: queued faults and latency, Twilio's error rendering, Basic
authentication, the account and format in the path, then the world catches up with the clock.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import ipaddress
import logging
import sys
from collections.abc import Awaitable, Callable

from aiohttp import web

from confmon.clock import SystemClock
from confmon.secret import Secret
from confmon.sim import formats
from confmon.sim.api import Api2010, ApiError, error_reply, ext_of
from confmon.sim.faults import Delay, Failure, Faults, Truncate
from confmon.sim.world import Invalid, NotFound, World

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Twilio API"'}


class SimServer:
    def __init__(
        self, world: World, *, auth_token: str, api_key: tuple[str, str] | None = None, latency: float = 0.0
    ) -> None:
        if not auth_token:
            raise ValueError("the simulator needs an auth token to check")
        self.world = world
        self.latency = latency  # seconds added to every request, to model a real round trip
        self.faults = Faults()
        self.base_url: str | None = None
        # Username -> password: the account's own token, and an API key (SK…) and its secret.
        self._secrets = {world.account_sid: Secret(auth_token)}
        if api_key is not None:
            self._secrets[api_key[0]] = Secret(api_key[1])
        self.app = web.Application(middlewares=[self._disturb, self._errors, self._authenticate, self._scope])
        self.app.add_routes(Api2010(world).routes())
        self._runner: web.AppRunner | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen (port 0: any free port) and return the base URL, e.g. http://127.0.0.1:54321."""
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
            return error_reply(ext_of(request), ApiError(fault.status, fault.code, fault.message, headers))
        response = await handler(request)
        if isinstance(fault, Truncate) and isinstance(response, web.Response):
            return await _hang_up_halfway(request, response)
        return response

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        ext = ext_of(request)
        try:
            return await handler(request)
        except ApiError as error:
            return error_reply(ext, error)
        except (NotFound, web.HTTPNotFound):
            return error_reply(ext, ApiError.not_found(request.path))
        except Invalid as error:
            return error_reply(ext, ApiError.invalid(str(error), error.code))
        except web.HTTPMethodNotAllowed:
            return error_reply(ext, ApiError(405, 20004, "Method not allowed"))
        except web.HTTPException:
            raise
        except Exception:
            log.exception("simulator failed on %s %s", request.method, request.path)
            return error_reply(ext, ApiError(500, 20500, "Internal Server Error"))

    @web.middleware
    async def _authenticate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # Checked before anything else is looked at, as Twilio does: a stranger learns nothing.
        if not self._authorized(request.headers.get("Authorization", "")):
            raise ApiError(401, 20003, "Authenticate", _CHALLENGE)
        return await handler(request)

    @web.middleware
    async def _scope(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        match = request.match_info
        if "account_sid" in match:
            if match["account_sid"] != self.world.account_sid or match["ext"] not in formats.FORMATS:
                raise ApiError.not_found(request.path)
            self.world.advance(self.world.clock.now())
        return await handler(request)

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except ValueError:  # bad base64 or bad UTF-8
            return False
        expected = self._secrets.get(username)
        # Compare even for an unknown username, so timing does not tell which usernames exist.
        reference = expected.reveal() if expected is not None else "\0" * len(password)
        return hmac.compare_digest(password.encode(), reference.encode()) and expected is not None


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
    print_fn: Callable[[str], None] = print,
) -> int:
    """`confmon sim`: serve a live simulated account until Ctrl-C; returns the exit status.

    It prints its auth token and takes any request that carries it, so it listens on loopback only:
    any other host is refused (status 2). Failing to listen is status 1. Errors go to stderr.
    """
    if not is_loopback(host):
        _complain(f"confmon: refusing to listen on {host!r}: the simulator serves loopback only (127.0.0.1, ::1)")
        return 2
    address = host[1:-1] if host.startswith("[") and host.endswith("]") else host  # [::1] as in a URL

    async def serve() -> None:
        world = World(seed, SystemClock(), account_sid, target_rooms=rooms)
        server = SimServer(world, auth_token=auth_token, latency=latency)
        try:
            base_url = await server.start(address, port)
        except OSError as error:
            raise _CannotListen(error.strerror or str(error)) from error
        except (OverflowError, ValueError) as error:  # a port outside 0-65535
            raise _CannotListen(str(error)) from error
        print_fn(f"Simulated Twilio API (2010-04-01), seed {seed}, {rooms} rooms; Ctrl-C to stop.")
        print_fn(f"  base URL     {base_url}")
        print_fn(f"  account SID  {account_sid}")
        print_fn(f"  auth token   {auth_token}")
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        return 0
    except _CannotListen as error:
        _complain(f"confmon: cannot listen on {host}:{port}: {error}")
        return 1
    return 0
