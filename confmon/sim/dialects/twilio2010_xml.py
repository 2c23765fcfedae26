"""The 2010 API's XML: what Twilio answers when a URI has no suffix (or `.xml`).

Everything sits in `<TwilioResponse>`. Elements are the JSON fields in PascalCase (`call_sid` ->
`<CallSid>`), booleans `true`/`false`, a null an empty element, URIs without a suffix. A list is
`<Conferences page numpages pagesize total start end uri firstpageuri previouspageuri nextpageuri
lastpageuri>` around one element per item, an absent link an empty attribute: the shape of the
2010 participant list in Twilio's documentation. Field order follows that documentation's
examples where they show the field, the JSON order after it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from confmon.sim import xmlwrite
from confmon.sim.dialects.twilio2010_shapes import PageLinks, Resource
from confmon.sim.paging import Page

ROOT = "TwilioResponse"

# Element order per resource; fields not named here follow in JSON order.
ORDER = {
    "Conference": (
        "sid", "account_sid", "friendly_name", "status", "date_created", "date_updated", "api_version",
        "region", "reason_conference_ended", "call_sid_ending_conference", "uri", "subresource_uris",
    ),
    "Participant": (  # the documented instance: CallSid, ConferenceSid, AccountSid, Muted, End…, Start…
        "call_sid", "conference_sid", "account_sid", "label", "muted", "hold", "coaching", "call_sid_to_coach",
        "end_conference_on_exit", "start_conference_on_enter", "status", "queue_time", "date_created",
        "date_updated", "uri",
    ),
    "Recording": (
        "sid", "account_sid", "call_sid", "conference_sid", "api_version", "status", "source", "channels",
        "start_time", "duration", "price", "price_unit", "error_code", "encryption_details", "date_created",
        "date_updated", "uri",
    ),
}  # fmt: skip


def resource(tag: str, body: Resource) -> bytes:
    root = ET.Element(ROOT)
    root.append(_item(tag, body))
    return xmlwrite.document(root)


def listing(tag: str, item_tag: str, items: Sequence[Resource], page: Page[Any], links: PageLinks) -> bytes:
    start = page.request.number * page.request.size
    attributes = {
        "page": page.request.number,
        "numpages": page.pages,
        "pagesize": page.request.size,
        "total": page.total,
        "start": start,
        "end": start + max(len(items) - 1, 0),
        "uri": links.uri,
        "firstpageuri": links.first,
        "previouspageuri": links.previous,
        "nextpageuri": links.next,
        "lastpageuri": links.last,
    }
    root = ET.Element(ROOT)
    wrapper = ET.SubElement(root, tag, {k: xmlwrite.as_text(v) or "" for k, v in attributes.items()})
    for item in items:
        wrapper.append(_item(item_tag, item))
    return xmlwrite.document(root)


def rest_exception(body: Resource) -> bytes:
    root = ET.Element(ROOT)
    fields = [(name, body[key]) for name, key in (("Code", "code"), ("Message", "message"),
              ("MoreInfo", "more_info"), ("Status", "status"))]  # fmt: skip
    xmlwrite.fields(ET.SubElement(root, "RestException"), fields)
    return xmlwrite.document(root)


def _item(tag: str, body: Resource) -> ET.Element:
    order = ORDER.get(tag, ())
    keys = [k for k in order if k in body] + [k for k in body if k not in order]
    pairs = [(xmlwrite.pascal(k), _nested(body[k])) for k in keys]
    return xmlwrite.fields(ET.Element(tag), pairs)


def _nested(value: Any) -> Any:
    if isinstance(value, dict):
        return {xmlwrite.pascal(k): v for k, v in value.items()}
    return value
