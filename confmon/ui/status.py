"""The status bar: whose account, which host, where the data came from, how old it is, and what
last went wrong."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from confmon.ui import format as fmt
from confmon.views import FeedHealth, FeedMode, FeedStatus

Part = tuple[str, str] | str
# (importance, parts): when the line is longer than the bar, the least important go first. Who
# and where, the data's age and source, and what is failing always stay.
Segment = tuple[int, list[Part]]
ALWAYS = 9


class StatusBar(Static):
    """One line whose size never changes: redrawn when its text changes, never re-laid out.

    Static.update asks for a layout pass, and a layout pass repaints every widget on the screen,
    both tables included: at one flush per frame that was most of the app's CPU."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._segments: list[Segment] = []
        self._line = Text()

    def render(self) -> Text:
        return self._line

    def on_resize(self) -> None:
        self._fit()

    def show(self, status: FeedStatus, *, now: float, paused: int | None = None) -> None:
        """`paused`: the screen is frozen with this many changes waiting (None: it is live)."""
        health, mode = status.health, status.mode
        segments: list[Segment] = [
            (ALWAYS, [(f" {status.account} ", "bold"), "@ ", (status.host or "connecting…", "")]),
            (3, [(f" ({status.dialect})", "dim")]),
        ]
        if status.read_only:
            segments.append((ALWAYS, ["  ", (" READ-ONLY ", "reverse yellow")]))
        if paused is not None:
            waiting = "1 change" if paused == 1 else f"{paused} changes"
            segments.append((ALWAYS, ["  ", (f" PAUSED · {waiting} waiting · p resumes ", "reverse yellow")]))
        segments += _freshness(health, now, mode)
        if health.last_error:
            since = fmt.duration(now - health.error_since) if health.error_since is not None else "?"
            error = f"⚠ {health.last_error} (failing for {since}, {health.failures}×)"
            segments.append((ALWAYS, ["  ", (error, "bold red")]))
        if health.partly_read_warning:
            segments.append((ALWAYS, ["  ", (health.partly_read_warning, "yellow")]))
        if status.note:
            segments.append((ALWAYS, ["  ", (status.note, "yellow")]))
        self._segments = segments
        self._fit()

    def _fit(self) -> None:
        width = self.size.width or 10**6  # before the first layout: everything
        segments = self._segments
        lengths = [Text.assemble(*parts).cell_len for _, parts in segments]
        total = sum(lengths)
        dropped = set()
        # The least important first; of equals, the one further right.
        for i in sorted(range(len(segments)), key=lambda i: (segments[i][0], -i)):
            if total <= width or segments[i][0] >= ALWAYS:
                break
            dropped.add(i)
            total -= lengths[i]
        parts = (part for i, (_, parts) in enumerate(segments) if i not in dropped for part in parts)
        line = Text.assemble(*parts, no_wrap=True, overflow="ellipsis")
        if line != self._line:
            self._line = line
            self.refresh()


def _freshness(health: FeedHealth, now: float, mode: FeedMode) -> list[Segment]:
    """Where the newest data came from and when: 'data 2s ago via callback · reconciled 14s ago,
    every 30s'; via poll, with why it is polling when callbacks were asked for."""
    polled = health.last_success_at
    heard = health.last_event_at
    if polled is None and heard is None:
        return [(ALWAYS, ["  ", ("waiting for first poll", "italic")])]
    # While callbacks are live they are the source, whichever came last: a poll landing between two
    # callbacks must not flip the line to "via poll" and back every other second.
    by_callback = heard is not None and (mode.reconciling or polled is None or heard >= polled)
    newest = max(t for t in (polled, heard) if t is not None)
    segments: list[Segment] = [
        (ALWAYS, ["  data ", (fmt.ago(now - newest), "bold"), " via ", ("callback" if by_callback else "poll", "bold")])
    ]
    every = fmt.interval(mode.poll_interval)
    if mode.reconciling:
        reconciled = None if mode.last_reconcile_at is None else now - mode.last_reconcile_at
        segments.append((7, [f" · reconciled {fmt.ago(reconciled)}, every {fmt.interval(mode.reconcile_interval)}"]))
        if mode.polled_rooms:
            rooms = "1 room" if mode.polled_rooms == 1 else f"{mode.polled_rooms} rooms"
            segments.append((5, [f" · {rooms} without callbacks polled every {every}"]))
    elif mode.callbacks:
        quiet = "no callbacks yet" if heard is None else f"callbacks quiet {fmt.duration(now - heard)}"
        segments.append((7, [" · ", (quiet, "yellow"), f", polling every {every}"]))
    elif mode.callback_error:
        segments.append((8, [" · ", (mode.callback_error, "yellow")]))
    if mode.refused:
        refused = f"{mode.refused} callback{'s' if mode.refused > 1 else ''} refused, last: {mode.last_refusal}"
        # Worth more room than the reconcile's age: all of them refused is what a wrong --public-url looks like.
        segments.append((8, [" · ", (refused, "yellow")]))
    if health.last_latency is not None:
        segments.append((2, [f" · sweep {fmt.latency(health.last_latency)}"]))
    return segments
