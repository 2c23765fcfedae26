"""A secret that never shows itself: Textual's crash screen prints locals, loggers print reprs."""

from __future__ import annotations

from typing import NoReturn


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

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
