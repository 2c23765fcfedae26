"""Reading credentials from an Authorization header, and comparing secrets in constant time."""

from __future__ import annotations

import base64
import hmac


def basic(header: str) -> tuple[str, str] | None:
    """(username, password) from `Basic <base64>`; None for any other scheme or a malformed value."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except ValueError:  # bad base64 or bad UTF-8
        return None
    return username, password


def bearer(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def same(given: str, expected: str | None) -> bool:
    """Compare even when nothing is expected, so timing does not tell which usernames exist."""
    reference = expected if expected is not None else "\0" * len(given)
    return hmac.compare_digest(given.encode(), reference.encode()) and expected is not None
