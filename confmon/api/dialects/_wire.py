"""What the dialects share: id rules, body decoding (JSON, XML through defusedxml), typed field reads.

This is the trust boundary. An id reaches a path only through `Ids.segment` (checked, then quoted);
every wire string the model keeps passes `sanitize.display_text` in `Fields`. Decoding and reading are
total: whatever the bytes, the result is a value or `BadResponse`, never a KeyError or a ParseError.

Reading is tolerant record by record (`read_records`): one odd record never costs the others. A
record whose identity is missing or unreadable is dropped alone; an unreadable optional field
becomes unknown (None, or the documented default); an enum value outside the documented set is kept
as `Unrecognized` raw text. Each record that lost something is named once in `Page.problems`, and
`Page.dropped` counts the dropped ones that may be a record read before: one missing from the page
may be among them, so it has not gone. Only a body that is not the expected document at all (not
JSON, no list, a bad page link) is a BadResponse.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Literal, TypeGuard, TypeVar
from urllib.parse import quote, urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from confmon import wire_dates
from confmon.api.dialects import Request, WireError
from confmon.api.errors import BadResponse, InvalidRequest
from confmon.model import Unrecognized
from confmon.sanitize import display_text

Kind = Literal["account", "conference", "call", "recording"]
T = TypeVar("T")

MAX_PAGE_SIZE = 1000
MAX_URL_LENGTH = 2048

# A path on the API host: printable ASCII without space or backslash, and no `//host`, since the
# credentials go wherever it points.
_PAGE_URI = re.compile(r"/(?!/)[!-\[\]-~]*")


# Ids


class Ids:
    """The id rules of one dialect: a pattern per kind. Ids that match are safe in a path as they are."""

    def __init__(self, patterns: Mapping[Kind, str], names: Mapping[Kind, str] | None = None) -> None:
        self._patterns = {kind: re.compile(pattern) for kind, pattern in patterns.items()}
        self._names = dict(names or {})

    def name(self, kind: Kind) -> str:
        """How errors call an id of this kind: "CF sid", "call id"."""
        return self._names.get(kind, f"{kind} id")

    def valid(self, value: object, kind: Kind) -> TypeGuard[str]:  # value first: the guard narrows it
        return isinstance(value, str) and self._patterns[kind].fullmatch(value) is not None

    def segment(self, kind: Kind, value: str) -> str:
        """`value` as one path segment; InvalidRequest if it is not an id of this kind."""
        if not self.valid(value, kind):
            raise InvalidRequest(f"not a {self.name(kind)}: {display_text(value, 40)!r}")
        return quote(value, safe="")


class OpaqueIds(Ids):
    """Ids with no documented shape (UUIDs, Telnyx's `v3:…`): any printable text, quoted in paths."""

    MAX_LENGTH = 256

    def __init__(self) -> None:
        super().__init__({})

    def valid(self, value: object, kind: Kind) -> TypeGuard[str]:
        return (
            isinstance(value, str)
            and 0 < len(value) <= self.MAX_LENGTH
            and value.isprintable()  # no controls, no bidi or zero-width format characters
            and value.strip() == value
            and value.strip(".") != ""  # "." and ".." would survive quoting and walk up the path
        )


def hex_ids(prefixes: Mapping[Kind, str]) -> Ids:
    """Twilio's ids: a two-letter prefix per kind, then 32 hex digits."""
    return Ids(
        {kind: prefix + "[0-9a-fA-F]{32}" for kind, prefix in prefixes.items()},
        {kind: f"{prefix} sid" for kind, prefix in prefixes.items()},
    )


TWILIO_IDS = hex_ids({"account": "AC", "conference": "CF", "call": "CA", "recording": "RE"})


# Request pieces


def flag(value: bool) -> str:
    return "true" if value else "false"  # the APIs read anything else as false


def page_size(value: int, maximum: int = MAX_PAGE_SIZE) -> str:
    if not 1 <= value <= maximum:
        raise InvalidRequest(f"page_size must be 1..{maximum}, not {value}")
    return str(value)


def day(value: date) -> str:
    return f"{value:%Y-%m-%d}"


def http_url(url: str) -> str:
    """An absolute http(s) URL for the server to fetch (an announcement); InvalidRequest otherwise."""
    try:
        parts = urlsplit(url)
        ok = (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and len(url) <= MAX_URL_LENGTH
            and url.isascii()
            and url.isprintable()
            and " " not in url
        )
    except ValueError:  # a bad port, an unbalanced IPv6 bracket
        ok = False
    if not ok:
        raise InvalidRequest(f"not an absolute http(s) URL: {display_text(url, 60)!r}")
    return url


def link(uri: str) -> Request:
    """A GET of a page link (path and query on the API host), already checked by `Fields.page_uri`."""
    return Request.get(uri)


# Decoding


def decode_json(body: bytes) -> object:
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        pass  # a stray byte in one name must not cost the page: it is shown as U+FFFD
    except (ValueError, RecursionError):
        raise BadResponse(_not("JSON", body)) from None
    try:
        return json.loads(body.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        raise BadResponse(_not("JSON", body)) from None


def _not(expected: str, body: bytes) -> str:
    """Why a body is not the document expected: an HTML page (a proxy's or a maintenance page) says so."""
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    html = head.startswith((b"<!doctype html", b"<html")) or b"<html" in head
    return f"body is an HTML page, not {expected}" if html else f"body is not {expected}"


# An HTML-style unquoted attribute value (`numpages=true`), as Twilio's 2010 XML examples print them.
# They also leave `&` bare in attribute values (`…?Page=0&PageSize=50`). Repaired only when a body does
# not parse as it is; the repair can add no markup, no entity and no DTD.
_START_TAG = re.compile(rb"<[A-Za-z][^<>]*>")
_BARE_VALUE = re.compile(rb"""(\s[A-Za-z_][-\w.:]*)=([^\s"'=<>`/]+)""")
_BARE_AMPERSAND = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);)")


def _repair(body: bytes) -> bytes:
    body = _START_TAG.sub(lambda tag: _BARE_VALUE.sub(rb'\1="\2"', tag.group(0)), body)
    return _BARE_AMPERSAND.sub(b"&amp;", body)


def _parse_xml(body: bytes) -> Element:
    # defusedxml: no DTDs, hence no entity expansion bombs and no external entities.
    root: Element = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    return root


def decode_xml(body: bytes) -> Element:
    try:
        return _parse_xml(body)
    except (ParseError, DefusedXmlException, ValueError, LookupError, RecursionError):
        pass
    for attempt in _repairs(body):
        if attempt == body:
            continue
        try:
            return _parse_xml(attempt)
        except (ParseError, DefusedXmlException, ValueError, LookupError, RecursionError):
            pass
    raise BadResponse(_not("XML", body))


def _repairs(body: bytes) -> Iterator[bytes]:
    """Twilio's examples' unquoted attributes and bare `&`, then also a stray byte in one name (shown
    as U+FFFD): each made only once the one before failed, the second only if there is such a byte."""
    yield _repair(body)
    valid = _valid_utf8(body)
    if valid != body:
        yield _repair(valid)


def _valid_utf8(body: bytes) -> bytes:
    return body.decode("utf-8", errors="replace").encode("utf-8")


def looks_like_xml(body: bytes) -> bool:
    return body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake(tag: str) -> str:
    """`CallSidToCoach` -> `call_sid_to_coach`: XML element names as the JSON keys of the same field."""
    return _CAMEL.sub("_", tag).lower()


def xml_record(element: Element, *, nested: bool = True) -> dict[str, object]:
    """An element's children as a JSON-like object: snake_case name -> text (None when empty).

    A child with children of its own (SubresourceUris) becomes a nested record, one level deep only
    (deeper, it is None: no recursion a hostile body could exhaust); the first of repeated names wins.
    Attributes and stray text are ignored.
    """
    record: dict[str, object] = {}
    for item in element:
        if not isinstance(item.tag, str):  # a comment or processing instruction
            continue
        key = snake(item.tag)
        if key in record:
            continue
        if len(item):
            record[key] = xml_record(item, nested=False) if nested else None
        else:
            record[key] = (item.text or "").strip() or None
    return record


def child(element: Element, tag: str, what: str) -> Element:
    found = element.find(tag)
    if found is None:
        raise BadResponse(f"{what}: no <{tag}> element")
    return found


def children(element: Element, tag: str) -> list[Element]:
    return [item for item in element if item.tag == tag]


def expect_root(element: Element, *tags: str) -> Element:
    if element.tag not in tags:
        raise BadResponse(f"unexpected XML root <{display_text(element.tag, 40)}>")
    return element


# Typed reads

_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


class Fields:
    """Typed reads from one decoded object.

    An identity (`required_id`) that is missing or unreadable raises BadResponse, and the record is
    dropped. Any other field that cannot be read is noted in `problems` (by name, never by value)
    and read as unknown: None, or the default the caller gives.

    `textual`: every value arrives as text (XML), so booleans and integers are read from strings.
    `lenient_flags`: JSON booleans may also come as "true"/"false"/"1"/"0".
    `nulls`: strings that mean "no value" (RestComm writes "null"); never applied to names (`text`).
    """

    def __init__(
        self,
        obj: object,
        what: str,
        ids: Ids,
        *,
        textual: bool = False,
        lenient_flags: bool = False,
        nulls: frozenset[str] = frozenset(),
    ) -> None:
        if not isinstance(obj, dict):
            raise BadResponse(f"{what}: expected an object")
        self._obj: Mapping[str, object] = obj
        self._what = what
        self._ids = ids
        self._textual = textual
        self._lenient = textual or lenient_flags
        self._nulls = nulls
        # The key and kind of the record's own id, once `required_id` asked for it (the first it asks for).
        self._identity: tuple[str, Kind] | None = None
        self.problems: list[str] = []  # "muted is not a boolean": what could not be read, in order

    def bad(self, key: str, problem: str) -> BadResponse:
        return BadResponse(f"{self._what}: {key} {problem}")

    def _unread(self, key: str, problem: str) -> None:
        self.problems.append(f"{key} {problem}")

    def raw(self, key: str) -> object:
        value = self._obj.get(key)
        return None if isinstance(value, str) and value in self._nulls else value

    def name(self) -> str | None:
        """How to name this record in a problem: its own id as sent (shortened, made safe), even one
        that could not be read as an id, so that a dropped record can be found on the server."""
        value = self.raw(self._identity[0]) if self._identity is not None else None
        return display_text(value, 40) if isinstance(value, str) and value.strip() else None

    def may_be_known(self) -> bool:
        """Whether this record, dropped, may be one read before. Not if it sent an id that is no id:
        every record read before had a valid one. It may if it sent none (it could be anyone), or
        a valid one (it lost another field)."""
        if self._identity is None:
            return True
        key, kind = self._identity
        value = self.raw(key)
        return value is None or value == "" or self._ids.valid(value, kind)

    def id(self, key: str, kind: Kind) -> str | None:
        value = self.raw(key)
        if value is None:
            return None
        if self._ids.valid(value, kind):
            return value
        self._unread(key, f"is not a {self._ids.name(kind)}")
        return None

    def required_id(self, key: str, kind: Kind) -> str:
        """An id the record cannot be without (its own sid): BadResponse if it cannot be read."""
        if self._identity is None:  # the first one asked for is the record's own
            self._identity = (key, kind)
        value = self.raw(key)
        if value is None:
            raise self.bad(key, "is missing")
        if not self._ids.valid(value, kind):
            raise self.bad(key, f"is not a {self._ids.name(kind)}")
        return value

    def string(self, key: str) -> str | None:
        """The raw string (not sanitized): for values matched against a fixed set, never shown as they are."""
        value = self.raw(key)
        if value is None or isinstance(value, str):
            return value
        self._unread(key, "is not a string")
        return None

    def text(self, key: str) -> str | None:
        value = self._obj.get(key)  # a room may well be named "null"
        if value is None:
            return None
        if isinstance(value, str):
            return display_text(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return display_text(value)  # a name sent as a number is still that name
        self._unread(key, "is not a string")
        return None

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if self._lenient and isinstance(value, str):
            word = value.strip().lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
        self._unread(key, "is not a boolean")
        return default

    def integer(self, key: str) -> int | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):  # 2010's own schema sends a recording's duration as a string
            stripped = value.strip()
            if re.fullmatch(r"-?[0-9]{1,18}", stripped):
                return int(stripped)
        self._unread(key, "is not an integer")
        return None

    def time(self, key: str) -> datetime | None:
        value = self.string(key)
        if value is None:
            return None
        parsed = wire_dates.parse(value)
        if parsed is None:
            self._unread(key, "is not a date")
        return parsed

    def status(self, key: str, table: Mapping[str, T], *, missing: T | None = None) -> T | Unrecognized:
        """A documented word, as `table` reads it; any other is kept as sent (made safe), never guessed.

        Absent: `missing` where the API documents a default, else Unrecognized("") (noted as a problem).
        """
        value = self.raw(key)
        if value is None:
            if missing is not None:
                return missing
            self._unread(key, "is missing")
            return Unrecognized("")
        if not isinstance(value, str):
            self._unread(key, "is not a string")
            return Unrecognized(display_text(value, 40))
        word = value.strip() if self._textual else value
        found = table.get(word)
        return found if found is not None else Unrecognized(display_text(word, 40))

    def items(self, key: str) -> list[object]:
        value = self._obj.get(key)
        if not isinstance(value, list):
            raise self.bad(key, "is not a list")
        return value

    def page_uri(self, key: str) -> str | None:
        """The next page's link; BadResponse if unreadable, since the listing could not be finished."""
        value = self.raw(key)
        if value is None or value == "":
            return None
        if isinstance(value, str) and _PAGE_URI.fullmatch(value):
            return value
        raise self.bad(key, "is not a relative URI")


R = TypeVar("R")


def read_records(
    records: Iterable[R], what: str, fields_of: Callable[[R], Fields], build: Callable[[Fields], T]
) -> tuple[tuple[T, ...], tuple[str, ...], int]:
    """Each record read on its own: the ones read (whole or in part); one problem per record that
    was dropped or lost a field, naming the record (by its sid as sent, else its position) and its
    first problem; and how many dropped records may be one read before (`Fields.may_be_known`)."""
    items: list[T] = []
    problems: list[str] = []
    dropped = 0
    for number, record in enumerate(records, 1):
        f: Fields | None = None
        try:
            f = fields_of(record)
            items.append(build(f))
        except BadResponse as error:
            dropped += f is None or f.may_be_known()
            name = (f.name() if f is not None else None) or f"#{number}"
            problems.append(f"{what} {name} dropped: {error.message.partition(': ')[2] or error.message}")
            continue
        if f.problems:
            problems.append(f"{what} {f.name() or f'#{number}'}: {f.problems[0]}")
    return tuple(items), tuple(problems), dropped


def page_uri(value: object, what: str, nulls: frozenset[str] = frozenset()) -> str | None:
    """A page link read outside a Fields object (an XML attribute)."""
    return Fields({"nextpageuri": value}, what, TWILIO_IDS, nulls=nulls).page_uri("nextpageuri")


def count(value: object) -> int | None:
    """A paging number (an XML attribute, a JSON number); None when absent or not a plain number (the 2010
    examples print `numpages=true`): it only ever helps find the next page, never decides what a room is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value < 10**9 else None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value.strip()):
        return int(value)
    return None


# Errors


def json_error(body: bytes) -> WireError | None:
    """Twilio's `{"code", "message", …}`, or Telnyx's `{"errors": [{"code", "title", "detail"}]}`."""
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict):
        return None
    errors = obj.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]  # Telnyx: the code is a string of digits
        message, code = first.get("detail") or first.get("title"), _code(first.get("code"), digits=True)
    else:
        message, code = obj.get("message"), _code(obj.get("code"))
    return WireError(code=code, message=display_text(message) if isinstance(message, str) else "")


def xml_error(body: bytes) -> WireError | None:
    """`<TwilioResponse><RestException><Code/><Message/>…` (2008 and 2010 XML)."""
    try:
        root = decode_xml(body)
    except BadResponse:
        return None
    found = root if root.tag == "RestException" else root.find("RestException")
    if found is None:
        return None
    record = xml_record(found)
    message = record.get("message")
    code = _code(record.get("code"), digits=True)
    return WireError(code=code, message=display_text(message) if isinstance(message, str) else "")


def text_error(body: bytes) -> WireError:
    """A bare status with an empty or short plain-text body (RestComm): its first line, if it is text."""
    try:
        text = body[:512].decode("utf-8").strip()
    except UnicodeDecodeError:
        return WireError()
    if not text or text.startswith(("<", "{", "[")):
        return WireError()
    return WireError(message=display_text(text.splitlines()[0]))


def _code(value: object, *, digits: bool = False) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if digits and isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value.strip()):
        return int(value)
    return None


def first_of(*readers: Callable[[bytes], WireError | None]) -> Callable[[bytes], WireError]:
    def read(body: bytes) -> WireError:
        for reader in readers:
            found = reader(body)
            if found is not None:
                return found
        return WireError()

    return read
