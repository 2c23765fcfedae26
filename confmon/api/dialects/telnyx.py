"""Telnyx TeXML REST: Twilio 2010-04-01 JSON under /v2/texml, with a bearer token (reference §5.3).

Requests carry no `.json` suffix. Ids are opaque (UUIDs; call ids are call-control ids such as
`v3:…`, with a colon), quoted in paths. Errors are `{"errors": [{"code", "title", "detail"}]}`.
Participants carry no label and no start_conference_on_enter (read as the documented default, true).
"""

from __future__ import annotations

from confmon.api.dialects._wire import OpaqueIds, first_of, json_error
from confmon.api.dialects.twilio2010 import Twilio2010
from confmon.model import Capabilities

DIALECT = Twilio2010(
    name="telnyx",
    # Telnyx signs its webhooks with ed25519 (telnyx-signature-ed25519), not X-Twilio-Signature:
    # the receiver cannot check them, so callbacks are off for it.
    capabilities=Capabilities(name="Telnyx TeXML", has_labels=False, has_callbacks=False),
    root="/v2/texml",
    suffix="",
    ids=OpaqueIds(),
    auth="bearer",
    default_base_url="https://api.telnyx.com",
    parse_error=first_of(json_error),
)
