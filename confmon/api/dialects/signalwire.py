"""SignalWire's Compatibility (LaML) API: Twilio 2010-04-01 JSON under /api/laml/2010-04-01 (reference §5.2).

Ids are UUIDs (the Project ID stands for the AccountSid), so they are opaque here: any printable text,
quoted in paths. Each Space has its own host (https://{space}.signalwire.com), hence no default base URL.
Participants carry no label.
"""

from __future__ import annotations

from confmon import registry
from confmon.api.dialects._wire import OpaqueIds
from confmon.api.dialects.twilio2010 import Twilio2010

DIALECT = Twilio2010(registry.get("signalwire"), root="/api/laml/2010-04-01", ids=OpaqueIds())
