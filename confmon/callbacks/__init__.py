"""The callback source: signed conference status callbacks -> ConferenceEvent.

`signature` and `events` are pure; the aiohttp receiver lives in `confmon.callbacks.receiver` and is
imported from there, so that importing the signature code never pulls in a web server.
"""

from confmon.callbacks.events import FormError, parse_event
from confmon.callbacks.signature import compute, valid

__all__ = ["FormError", "compute", "parse_event", "valid"]
