"""The status bar: whose account, which host, how old the data is, and what last went wrong."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from confmon.store import FeedHealth
from confmon.ui import format as fmt


class StatusBar(Static):
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
    ) -> None:
        parts: list[tuple[str, str] | str] = [
            (f" {account} ", "bold"), "@ ", (host or "connecting…", ""), (f" ({dialect})", "dim")
        ]
        if read_only:
            parts += ["  ", (" READ-ONLY ", "reverse yellow")]
        if health is None or health.last_success_at is None:
            parts += ["  ", ("waiting for first poll", "italic")]
        else:
            parts += ["  data ", (fmt.ago(now - health.last_success_at), "bold"), f" · poll {fmt.latency(health.last_latency)}"]
        if health is not None and health.last_error:
            since = fmt.duration(now - health.error_since) if health.error_since is not None else "?"
            parts += ["  ", (f"⚠ {health.last_error} (failing for {since}, {health.failures}×)", "bold red")]
        if note:
            parts += ["  ", (note, "yellow")]
        self.update(Text.assemble(*parts, no_wrap=True, overflow="ellipsis"))
