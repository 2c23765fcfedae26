"""Telnyx TeXML REST: Twilio 2010-04-01 JSON under /v2/texml, with a bearer token (reference §5.3).

Requests carry no `.json` suffix. Ids are opaque (UUIDs; call ids are call-control ids such as
`v3:…`, with a colon), quoted in paths. Errors are `{"errors": [{"code", "title", "detail"}]}`.
Participants carry no label and no start_conference_on_enter (read as the documented default, true).
"""

from __future__ import annotations

from confmon import registry
from confmon.api.dialects._wire import OpaqueIds, first_of, json_error
from confmon.api.dialects.twilio2010 import Twilio2010

DIALECT = Twilio2010(
    registry.get("telnyx"), root="/v2/texml", suffix="", ids=OpaqueIds(), parse_error=first_of(json_error)
)
