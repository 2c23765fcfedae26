"""Typed errors of the REST client; `str()` of each is one short line for the status bar."""

from __future__ import annotations

from confmon.sanitize import display_text


class ApiError(Exception):
    """Base of every error the client raises; `message` is sanitized, since it may come off the wire."""

    label = "api error"

    def __init__(self, message: str = "", *, status: int | None = None, code: int | None = None) -> None:
        self.message = display_text(message)
        self.status = status
        self.code = code
        super().__init__(self.message)

    def __str__(self) -> str:
        details = ", ".join(
            part
            for part in (
                str(self.status) if self.status is not None else "",
                f"code {self.code}" if self.code is not None else "",
            )
            if part
        )
        head = f"{self.label} ({details})" if details else self.label
        return f"{head}: {self.message}" if self.message else head


class NotFound(ApiError):
    """404 / 20404: the resource does not exist (any more): a participant who left, a room that ended."""

    label = "not found"


class AuthFailed(ApiError):
    """401 / 403 (20003, 20403): wrong credentials, or an account that may not do this."""

    label = "auth failed"


class RateLimited(ApiError):
    """429 / 20429: too many concurrent requests. Twilio never processed the request, so it is safe to re-send."""

    label = "rate limited"

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = 429,
        code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} (retry after {self.retry_after:g} s)" if self.retry_after is not None else text


class Unavailable(ApiError):
    """The server could not be reached or answered 5xx, or the call ran past its deadline.

    `request_sent` is False only when the request certainly never left (connection refused, name not
    resolved, connect timeout); otherwise a POST may or may not have taken effect, so re-read first.
    """

    label = "unavailable"

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        code: int | None = None,
        request_sent: bool = True,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.request_sent = request_sent


class NotSupported(ApiError):
    """The backend's API has no such call (RestComm cannot end a room, 2008 cannot hold); nothing was sent."""

    label = "not supported"


class InvalidRequest(ApiError, ValueError):
    """A request we refuse to build: an id of the wrong shape for this dialect, a URL that is not http(s).

    Nothing was sent. Also a ValueError, since it is the caller's argument that is wrong.
    """

    label = "invalid request"


class BadResponse(ApiError):
    """The server answered, but not with what the API promises: an unparsable body, a wrong shape, an odd status."""

    label = "bad response"


def error_for_status(
    status: int, *, code: int | None = None, message: str = "", retry_after: float | None = None
) -> ApiError:
    """The typed error for an unsuccessful HTTP status (and the Twilio code and message of its body)."""
    if status in (401, 403):
        return AuthFailed(message, status=status, code=code)
    if status == 404:
        return NotFound(message, status=status, code=code)
    if status == 429:
        return RateLimited(message, status=status, code=code, retry_after=retry_after)
    if status >= 500:
        return Unavailable(message, status=status, code=code)
    return BadResponse(message or "unexpected status", status=status, code=code)
