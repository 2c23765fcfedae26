"""The REST source: a client for conference APIs, its dialects, and the errors it raises."""

from confmon.api.client import ConferenceClient
from confmon.api.errors import (
    ApiError,
    AuthFailed,
    BadResponse,
    InvalidRequest,
    NotFound,
    NotSupported,
    RateLimited,
    Unavailable,
)

__all__ = [
    "ApiError",
    "AuthFailed",
    "BadResponse",
    "ConferenceClient",
    "InvalidRequest",
    "NotFound",
    "NotSupported",
    "RateLimited",
    "Unavailable",
]
