"""Secrets: values that never show themselves, and the one redaction every outgoing text passes.

A `Secret` registers its value (and the encodings a server may echo it in) as it is made, so
`redact` knows every secret this process holds, whatever its shape: a 32-hex auth token, an API
secret, a Telnyx key. `sanitize.display_text`, which every wire string and every error message
passes before it is shown, logged, audited or printed, calls `redact` first.
"""

from __future__ import annotations

import base64
import re
import threading
from typing import NoReturn
from urllib.parse import quote, quote_plus

REDACTED = "****"
# A shorter secret is only hidden as a whole word: "pass" must not turn "passed" into "****ed".
_ANYWHERE = 8


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        _KNOWN.add(value)

    def reveal(self) -> str:
        """The raw value: call this only where it goes on the wire (auth header, HMAC key)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> NoReturn:  # never pickled into a file by accident
        raise TypeError("Secret cannot be pickled")


def hide_basic_credentials(username: str, password: Secret) -> None:
    """Register HTTP Basic's base64 `user:password` as secret too: a server that echoes our
    Authorization header back in an error body must not put it on the screen."""
    _KNOWN.add(base64.b64encode(f"{username}:{password.reveal()}".encode()).decode("ascii"))


def redact(text: str) -> str:
    """`text` with every known secret, in any of the forms it travels in, replaced by ****."""
    pattern = _KNOWN.pattern
    if pattern is None or len(text) < _KNOWN.shortest or pattern.search(text) is None:
        return text
    return pattern.sub(REDACTED, text)


class _Known:
    """The secrets of this process, as one case-insensitive pattern (rebuilt on each new secret)."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()  # secrets are made on the main thread, but a worker may read
        self.pattern: re.Pattern[str] | None = None
        self.shortest = 0  # a text shorter than every form holds none: most names, at no cost

    def add(self, value: str) -> None:
        if not value or value.isspace():
            return
        forms = {value, quote(value, safe=""), quote_plus(value, safe="")}
        with self._lock:
            if forms <= self._values:
                return
            self._values |= forms
            self.shortest = min(map(len, self._values))
            self.pattern = re.compile(
                "|".join(_alternative(form) for form in sorted(self._values, key=len, reverse=True)), re.IGNORECASE
            )


def _alternative(form: str) -> str:
    escaped = re.escape(form)
    return escaped if len(form) >= _ANYWHERE else rf"(?<!\w){escaped}(?!\w)"


_KNOWN = _Known()
