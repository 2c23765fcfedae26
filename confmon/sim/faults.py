"""Trouble on demand for client tests: a queue of what the next requests will suffer, one entry each."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from http import HTTPStatus


@dataclass(frozen=True, slots=True)
class Failure:
    """Answer with an error instead of serving the request (which then has no effect)."""

    status: int
    code: int
    message: str
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class Delay:
    """Serve the request, but only after a pause."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Truncate:
    """Serve the request (its effect happens), but hang up halfway through the body."""


Fault = Failure | Delay | Truncate


class Faults:
    def __init__(self) -> None:
        self._queue: deque[Fault] = deque()

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 429,
        code: int | None = None,
        retry_after: float | None = None,
        message: str | None = None,
    ) -> None:
        # Twilio's generic codes are 20000 + HTTP status: 20429 Too Many Requests, 20503, 20500.
        failure = Failure(status, code or 20000 + status, message or HTTPStatus(status).phrase, retry_after)
        self._queue.extend([failure] * n)

    def delay_next(self, n: int, seconds: float) -> None:
        self._queue.extend([Delay(seconds)] * n)

    def truncate_next(self, n: int = 1) -> None:
        self._queue.extend([Truncate()] * n)

    def clear(self) -> None:
        self._queue.clear()

    @property
    def pending(self) -> int:
        return len(self._queue)

    def take(self) -> Fault | None:
        """The fault for the request now arriving, if any is queued."""
        return self._queue.popleft() if self._queue else None
