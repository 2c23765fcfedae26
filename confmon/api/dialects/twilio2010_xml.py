"""Twilio REST API 2010-04-01 in XML (`<TwilioResponse>`): the same API as twilio2010, without `.json`.

Element names are the JSON keys in PascalCase; booleans are the words true/false; null is an empty
element. The paging attributes sit on the list element (`<Participants page=… nextpageuri=…>`).
"""

from __future__ import annotations

from confmon import registry
from confmon.api.dialects.twilio2010 import Twilio2010

DIALECT = Twilio2010(registry.get("twilio2010-xml"), suffix="", xml=True)
