"""The REST source: a client for conference APIs, and the errors it raises."""

from confmon.api.client import ConferenceClient
from confmon.api.errors import ApiError, AuthFailed, BadResponse, NotFound, RateLimited, Unavailable

__all__ = ["ApiError", "AuthFailed", "BadResponse", "ConferenceClient", "NotFound", "RateLimited", "Unavailable"]
