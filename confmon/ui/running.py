"""Running the monitor's app as a Unix tool should: a terminating signal (SIGTERM, SIGHUP, SIGINT)
asks it to exit as `q` would, so Textual restores the terminal and cancels the workers, an action in
flight writes its audit line, and the status is the shell's 128 + the signal."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.app import App
from textual.drivers.linux_driver import LinuxDriver

from confmon import signals

# Seconds, after the app has closed, for the tasks it cancelled to finish: an action interrupted
# mid-call writes its audit line from a worker thread, and the process must not end before it lands.
SETTLE = 5.0


def run_app(app: App[Any]) -> int:
    """Run `app` until it exits; returns its return code, or 128 + the signal that ended it."""
    if app.driver_class is LinuxDriver:
        app.driver_class = _ResumingOnlyAfterSuspend

    async def guarded() -> int:
        with signals.on_termination(lambda signum: app.exit(return_code=signals.exit_code(signum))) as caught:
            await app.run_async()
            await _settle()
        if caught.signum is not None:
            return signals.exit_code(caught.signum)
        return app.return_code or 0

    return asyncio.run(guarded())


async def _settle() -> None:
    """Let the tasks the app cancelled finish (an interrupted action's audit write), within SETTLE,
    rather than have asyncio.run cancel them a second time on its way out."""
    others = asyncio.all_tasks() - {asyncio.current_task()}
    if others:
        await asyncio.wait(others, timeout=SETTLE)


class _ResumingOnlyAfterSuspend(LinuxDriver):
    """Textual's Linux driver restarts application mode on every SIGCONT, meant for the one that
    follows its own Ctrl+Z. A terminal that goes away (a closed window) sends SIGHUP with SIGCONT:
    restarting then starts a second writer thread on a dead terminal, and the exit waits on the
    first for ever. Resume only what was suspended. (Overrides private methods: checked on Textual 8.)"""

    _suspended = False

    def _sigtstp_application(self, *args: object) -> None:
        self._suspended = True
        super()._sigtstp_application(*args)

    def _sigcont_application(self, *args: object) -> None:
        if self._suspended:
            self._suspended = False
            super()._sigcont_application(*args)
