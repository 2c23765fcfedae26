"""The status bar keeps what matters when the terminal is narrow: who, where, how old the data is
and what is failing stay; the dialect's name and the sweep's latency go first."""

from __future__ import annotations

import dataclasses

import pytest
from textual.app import App, ComposeResult

from confmon.ui.status import StatusBar
from confmon.views import FeedHealth, FeedMode, FeedStatus

NOW = 1_764_000_000.0
ACCOUNT = "AC" + "d3" * 16


class BarApp(App[None]):
    def compose(self) -> ComposeResult:
        self.bar = StatusBar()
        yield self.bar


def show(bar: StatusBar, **overrides) -> str:
    health = FeedHealth(last_success_at=NOW - 20, last_latency=0.05, last_event_at=NOW - 1)
    mode = FeedMode(
        callbacks=True, reconciling=True, poll_interval=2, reconcile_interval=30, last_reconcile_at=NOW - 20,
        polled_rooms=3,
    )
    status = FeedStatus(account=ACCOUNT, host="api.twilio.com", opened=True, dialect="Twilio 2010-04-01",
                        read_only=False, health=health, mode=mode)  # fmt: skip
    bar.show(dataclasses.replace(status, **overrides), now=NOW)
    return bar.render().plain


@pytest.mark.parametrize("width", [200, 160, 110, 90])
async def test_the_least_important_parts_go_first(width: int) -> None:
    app = BarApp()
    async with app.run_test(size=(width, 3)) as pilot:
        await pilot.pause()
        line = show(app.bar)
        assert line.startswith(f" {ACCOUNT} @ api.twilio.com") and "data 1s ago via callback" in line
        assert len(line) <= width
        if width >= 200:
            assert "(Twilio 2010-04-01)" in line and "sweep 50 ms" in line
            assert "3 rooms without callbacks polled every 2s" in line and "reconciled 20s ago, every 30s" in line
        if width <= 160:
            assert "sweep" not in line  # the least important
        if width <= 110:
            assert "Twilio 2010-04-01" not in line and "without callbacks" not in line


async def test_a_failure_always_stays_and_a_resize_refits() -> None:
    app = BarApp()
    async with app.run_test(size=(90, 3)) as pilot:
        await pilot.pause()
        failing = FeedHealth(last_success_at=NOW - 60, last_error="unavailable: connection refused",
                             error_since=NOW - 30, failures=4)  # fmt: skip
        line = show(app.bar, health=failing, mode=FeedMode())
        assert "⚠ unavailable: connection refused" in line and "data 1m00s ago via poll" in line
        await pilot.resize_terminal(200, 3)
        await pilot.pause()
        assert "(Twilio 2010-04-01)" in app.bar.render().plain


async def test_a_poll_between_two_callbacks_does_not_flip_the_source() -> None:
    """While callbacks are live the line names them, whether the last poll or the last callback came
    later: it used to alternate between 'via poll · last callback 0s ago' and 'via callback'."""
    app = BarApp()
    async with app.run_test(size=(200, 3)) as pilot:
        await pilot.pause()
        polled_last = FeedHealth(last_success_at=NOW - 0.2, last_latency=0.05, last_event_at=NOW - 0.6)
        heard_last = FeedHealth(last_success_at=NOW - 0.6, last_latency=0.05, last_event_at=NOW - 0.2)
        lines = {show(app.bar, health=health).split(" · reconciled")[0] for health in (polled_last, heard_last)}
        assert lines == {f" {ACCOUNT} @ api.twilio.com (Twilio 2010-04-01)  data 0s ago via callback"}


async def test_records_read_in_part_are_told_beside_fresh_data() -> None:
    app = BarApp()
    async with app.run_test(size=(160, 3)) as pilot:
        await pilot.pause()
        first = "conference #2 dropped: sid is missing"
        partly = FeedHealth(last_success_at=NOW - 2, partly_read=3, partly_read_first=first)
        line = show(app.bar, health=partly, mode=FeedMode())
        assert "data 2s ago via poll" in line and "3 records partly read: conference #2 dropped: sid is missing" in line
        assert "⚠" not in line  # the poll worked: a warning, not a failure
