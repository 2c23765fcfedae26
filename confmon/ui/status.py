"""The status bar: whose account, which host, where the data came from, how old it is, and what
last went wrong."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from confmon.store import FeedHealth
from confmon.ui import format as fmt


@dataclass(frozen=True, slots=True)
class FeedMode:
    """How the data is being kept fresh."""

    callbacks: bool = False  # the receiver is listening
    reconciling: bool = False  # callbacks are live, so polling is only a slow reconcile sweep
    poll_interval: float = 2.0  # seconds between sweeps now


class StatusBar(Static):
    """One line whose size never changes: redrawn when its text changes, never re-laid out.

    Static.update asks for a layout pass, and a layout pass repaints every widget on the screen,
    both tables included: at one flush per frame that was most of the app's CPU."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._line = Text()

    def render(self) -> Text:
        return self._line

    def show(
        self,
        *,
        account: str,
        dialect: str,
        host: str,
        health: FeedHealth | None,
        now: float,
        read_only: bool,
        note: str = "",
        mode: FeedMode = FeedMode(),
    ) -> None:
        parts: list[tuple[str, str] | str] = [
            (f" {account} ", "bold"), "@ ", (host or "connecting…", ""), (f" ({dialect})", "dim")
        ]
        if read_only:
            parts += ["  ", (" READ-ONLY ", "reverse yellow")]
        parts += _freshness(health, now, mode)
        if health is not None and health.last_error:
            since = fmt.duration(now - health.error_since) if health.error_since is not None else "?"
            parts += ["  ", (f"⚠ {health.last_error} (failing for {since}, {health.failures}×)", "bold red")]
        if note:
            parts += ["  ", (note, "yellow")]
        line = Text.assemble(*parts, no_wrap=True, overflow="ellipsis")
        if line != self._line:
            self._line = line
            self.refresh()


def _freshness(health: FeedHealth | None, now: float, mode: FeedMode) -> list[tuple[str, str] | str]:
    """Where the newest data came from and when: 'data 2s ago via callback · reconciled 14s ago,
    every 30s'; via poll, with why it is polling when callbacks were asked for."""
    polled = health.last_success_at if health else None
    heard = health.last_event_at if health else None
    if polled is None and heard is None:
        return ["  ", ("waiting for first poll", "italic")]
    by_callback = heard is not None and (polled is None or heard >= polled)
    newest = heard if by_callback else polled
    parts: list[tuple[str, str] | str] = [
        "  data ", (fmt.ago(now - newest), "bold"), " via ", ("callback" if by_callback else "poll", "bold")
    ]
    every = fmt.duration(mode.poll_interval)
    if mode.reconciling and by_callback:
        parts += [f" · reconciled {fmt.ago(None if polled is None else now - polled)}, every {every}"]
    elif mode.reconciling:
        parts += [f" (reconcile, every {every}) · last callback {fmt.ago(None if heard is None else now - heard)}"]
    elif mode.callbacks:
        quiet = "no callbacks yet" if heard is None else f"callbacks quiet {fmt.duration(now - heard)}"
        parts += [" · ", (quiet, "yellow"), f", polling every {every}"]
    if health is not None and health.last_latency is not None:
        parts += [f" · sweep {fmt.latency(health.last_latency)}"]
    return parts
