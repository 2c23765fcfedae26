"""The one place that makes wire text safe to show.

Rich and Textual pass ESC, C1 controls, NUL and bidi overrides straight to the terminal, and parse
`str` as markup. Every string that came from a server or a callback goes through `display_text`
once, where the dialect builds the model; faces then show it only as `Text`/`Content`. It is also
where every secret this process holds is redacted (`secret.redact`), so an error body that echoes
a token is harmless by the time anything can show, log, audit or print it.
"""

from __future__ import annotations

import unicodedata

from confmon.secret import redact

MAX_DISPLAY_LENGTH = 128

# Whitespace that would break a one-line cell: shown as a plain space.
_SPACES = {"\t", "\n", "\r", "\v", "\f", "\x85", "\u2028", "\u2029"}


def _replacement(ch: str) -> str:
    if ch in _SPACES:
        return " "
    category = unicodedata.category(ch)
    if category == "Cc":  # C0, DEL, C1: shown, never sent to the terminal
        code = ord(ch)
        return f"\\x{code:02x}"
    if category in ("Cf", "Cs", "Co", "Cn") or (category.startswith("Z") and ch != " "):
        # bidi overrides, zero-width joiners, surrogates, private use, unassigned, odd spaces
        return f"\\u{ord(ch):04x}" if category != "Zs" else " "
    return ch


def display_text(value: object, max_length: int = MAX_DISPLAY_LENGTH) -> str:
    """Return `value` as a single line with every control and format character made visible."""
    if value is None:
        return ""
    text = redact(value if isinstance(value, str) else str(value))
    if text.isprintable() and len(text) <= max_length:
        return text  # the common case, with no copy
    cleaned = "".join(ch if ch.isprintable() else _replacement(ch) for ch in text)
    if len(cleaned) > max_length:
        cleaned = cleaned[: max_length - 1] + "…"
    return cleaned
