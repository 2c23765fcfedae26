"""The one error every dialect renders in its own shape: an HTTP status, a Twilio-style code, a message."""

from __future__ import annotations

from collections.abc import Mapping

from confmon.sim.world import Invalid, NotFound, WorldError


class ApiError(Exception):
    """A refusal; `code` is Twilio's error number (dialects without codes show only the status)."""

    def __init__(self, status: int, code: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})

    @classmethod
    def not_found(cls, path: str) -> ApiError:
        return cls(404, 20404, f"The requested resource {path} was not found")

    @classmethod
    def invalid(cls, message: str, code: int = 20001) -> ApiError:
        return cls(400, code, message)

    @classmethod
    def method_not_allowed(cls) -> ApiError:
        return cls(405, 20004, "Method not allowed")

    @classmethod
    def internal(cls) -> ApiError:
        return cls(500, 20500, "Internal Server Error")

    @classmethod
    def from_world(cls, error: WorldError, path: str) -> ApiError:
        if isinstance(error, Invalid):
            return cls.invalid(str(error), error.code)
        if isinstance(error, NotFound):
            return cls.not_found(path)
        return cls.invalid(str(error))
