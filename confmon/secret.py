"""Secrets: values that never show themselves, and the one redaction every outgoing text passes.

A `Secret` registers its value as it is made, so `redact` knows every secret this process holds,
whatever its shape (a 32-hex auth token, an API secret, a Telnyx key), and finds it in any case and
with any of its characters percent-encoded. `sanitize.display_text`, which every wire string and
every error message passes before it is shown, logged, audited or printed, calls `redact` first.
"""

from __future__ import annotations

import base64
import re
import threading
from dataclasses import dataclass
from typing import NoReturn
from urllib.parse import unquote

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
    known = _KNOWN.published
    if known is None or len(text) < known.shortest or not known.may_hold(text):
        return text
    return known.pattern.sub(REDACTED, text)


@dataclass(frozen=True, slots=True)  # slots: read on every string shown, so attribute reads count
class _Published:
    """One consistent view of the secrets, swapped in whole, so a reader on another thread never
    sees a pattern from one generation beside a prefilter from another."""

    pattern: re.Pattern[str]
    shortest: int  # a text shorter than every secret holds none: most names, at no cost
    lowered: tuple[str, ...]  # each secret lowercased, for a substring test far cheaper than the regex
    spaced: bool  # some secret holds a space, which a form body may write as +
    percent: bool  # some secret holds a %, which decoding the text's escapes would change
    ascii: bool  # every secret is ASCII

    def may_hold(self, text: str) -> bool:
        """False only if no secret can be in `text`: a match holds some secret, in any case, once
        its %XX escapes are decoded (a + for a space, or a secret's own %, is left to the pattern).
        Only ASCII against ASCII: elsewhere str.lower() and IGNORECASE differ (ſ matches s)."""
        if not (self.ascii and text.isascii()):
            return True
        if (self.spaced and "+" in text) or (self.percent and "%" in text):  # not every +: phone numbers have one
            return True
        lowered = (unquote(text) if "%" in text else text).lower()
        for value in self.lowered:  # noqa: SIM110 (a loop, not any(): a generator costs more than the test)
            if value in lowered:
                return True
        return False


class _Known:
    """The secrets of this process, as one case-insensitive pattern (rebuilt on each new secret)."""

    def __init__(self) -> None:
        self._values: frozenset[str] = frozenset()
        self._lock = threading.Lock()  # secrets are made on the main thread, but a worker may read
        self.published: _Published | None = None

    def add(self, value: str) -> None:
        if not value or value.isspace():
            return
        with self._lock:
            if value not in self._values:
                self._publish(self._values | {value})

    def snapshot(self) -> frozenset[str]:
        """The secrets known now, for a test to put back with `restore` once it is done."""
        return self._values

    def restore(self, values: frozenset[str]) -> None:
        with self._lock:
            self._publish(values)

    def _publish(self, values: frozenset[str]) -> None:
        self._values = values
        if not values:
            self.published = None
            return
        longest_first = sorted(values, key=len, reverse=True)
        self.published = _Published(
            pattern=re.compile("|".join(map(_alternative, longest_first)), re.IGNORECASE),
            shortest=min(len(value) for value in values),  # an escaped form is only ever longer
            lowered=tuple(value.lower() for value in longest_first),
            spaced=any(" " in value for value in values),
            percent=any("%" in value for value in values),
            ascii=all(value.isascii() for value in values),
        )


def _alternative(value: str) -> str:
    """The secret as a pattern in which each character may also come percent-encoded, whichever
    characters the server chose to escape (one leaves `-` alone, another writes %2D)."""
    spelled = "".join(_character(ch) for ch in value)
    return spelled if len(value) >= _ANYWHERE else rf"(?<!\w){spelled}(?!\w)"


def _character(ch: str) -> str:
    percent = "".join(f"%{byte:02X}" for byte in ch.encode())  # IGNORECASE takes %2d as %2D
    plus = r"|\+" if ch == " " else ""  # a form body writes a space as +
    return f"(?:{re.escape(ch)}|{percent}{plus})"


_KNOWN = _Known()
