"""Building XML bodies with ElementTree: text from plain values, and only characters XML 1.0 allows."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
CONTENT_TYPE = "application/xml"

# Characters XML 1.0 cannot carry at all (not even escaped); a wire string holding one loses it.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def as_text(value: Any, *, true: str = "true", false: str = "false") -> str | None:
    """None stays None (an empty element); booleans as the dialect spells them; the rest as str."""
    if value is None:
        return None
    if isinstance(value, bool):
        return true if value else false
    return _NOT_XML.sub("", str(value))


def child(parent: ET.Element, tag: str, value: Any = None, **spelling: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = as_text(value, **spelling)
    return element


def fields(parent: ET.Element, pairs: Iterable[tuple[str, Any]], **spelling: str) -> ET.Element:
    for tag, value in pairs:
        if isinstance(value, Mapping):  # a nested group, e.g. SubresourceUris
            fields(ET.SubElement(parent, tag), value.items(), **spelling)
        else:
            child(parent, tag, value, **spelling)
    return parent


def element(tag: str, attributes: Mapping[str, Any] | None = None) -> ET.Element:
    return ET.Element(tag, {name: as_text(value) or "" for name, value in (attributes or {}).items()})


def document(root: ET.Element) -> bytes:
    return DECLARATION + ET.tostring(root, encoding="unicode", short_empty_elements=True).encode()


def pascal(snake: str) -> str:
    """call_sid_to_coach -> CallSidToCoach, the 2010 API's XML element names."""
    return "".join(word.capitalize() for word in snake.split("_"))
