"""Short, fixed-width renderings of times and flags for table cells."""

from __future__ import annotations


def duration(seconds: float | None) -> str:
    """'42s', '7m05s', '3h12m', '2d04h': precise when recent, coarse (and so stable) when old."""
    if seconds is None:
        return "–"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def interval(seconds: float | None) -> str:
    """How often: '250ms' below a second (where duration would say '0s'), else as duration does."""
    if seconds is not None and 0 < seconds < 1:
        return f"{round(seconds * 1000)}ms"
    return duration(seconds)


def ago(seconds: float | None) -> str:
    return "never" if seconds is None else f"{duration(seconds)} ago"


def flag(value: bool, mark: str = "●") -> str:
    return mark if value else "·"


def latency(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.0f} s"


def clock_time(seconds: float) -> str:
    """HH:MM:SS in UTC, so the log reads the same on every operator's screen and in every test."""
    s = int(seconds) % 86400
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def short_id(value: str, width: int) -> str:
    """A long id cut to `width` from the left: ids that share a prefix (RestComm's instance id)
    differ at their end, so the end is what an operator needs to tell them apart."""
    return value if len(value) <= width else "…" + value[-(width - 1):]
