"""X-Twilio-Signature: HMAC-SHA1 over the URL Twilio called plus the sorted form parameters.

Small and ours, checked in the tests against Twilio's published vectors and the `twilio` SDK's
RequestValidator, which stays a test dependency only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import ParseResult, urlparse

HEADER = "X-Twilio-Signature"

Params = Mapping[str, str] | Mapping[str, list[str]] | Mapping[str, str | list[str]]


def _values(params: Params, name: str) -> Iterable[str]:
    # A multidict.MultiDict (repeated keys) passes as a Mapping[str, str], so its getall is found at run time.
    getall: Callable[[str], list[str]] | None = getattr(params, "getall", None)
    if getall is not None:
        return getall(name)
    value = params[name]
    return [value] if isinstance(value, str) else value


def string_to_sign(url: str, params: Params) -> str:
    # twilio-python's rule for repeated keys: each distinct name once, sorted; under it every
    # distinct value, sorted. Sorting is by code point, which is Twilio's "Unix-style" order.
    parts = [url]
    for name in sorted(set(params)):
        for value in sorted(set(_values(params, name))):
            parts.append(name + value)
    return "".join(parts)


def compute(url: str, params: Params, token: str) -> str:
    """The signature Twilio would send for a form POST of `params` to `url`."""
    mac = hmac.new(token.encode("utf-8"), string_to_sign(url, params).encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def _without_port(uri: ParseResult) -> str:
    if not uri.port:
        return uri.geturl()
    # Only the trailing ":port": an IPv6 literal ("[::1]:8443") has colons of its own.
    return uri._replace(netloc=re.sub(r":\d*\Z", "", uri.netloc)).geturl()


def _with_default_port(uri: ParseResult) -> str:
    if uri.port:
        return uri.geturl()
    return uri._replace(netloc=f"{uri.netloc}:{443 if uri.scheme == 'https' else 80}").geturl()


def candidate_urls(url: str) -> tuple[str, ...]:
    """The URL as given, then without its port and with the default port added.

    Twilio drops the port for some products and keeps it for others ("sig generation on back end is
    inconsistent", says twilio-python), so its validator accepts either form; so do we. Like it, the
    port-less form strips any port, which is what lets the published `:1234` vector pass.
    """
    urls = [url]
    variants: tuple[str, ...]
    try:
        uri = urlparse(url)
        variants = (_without_port(uri), _with_default_port(uri))
    except ValueError:  # a port that is not a number: only the URL as given can match
        variants = ()
    for variant in variants:
        if variant not in urls:
            urls.append(variant)
    return tuple(urls)


def valid(url: str, params: Params, signature: str | None, token: str) -> bool:
    """Whether `signature` is Twilio's for `params` posted to `url` (any of its port forms)."""
    if not signature or not token:
        return False
    # Bytes, so that a header with non-ASCII characters compares False instead of raising.
    given = signature.encode("utf-8", "surrogatepass")
    # Every candidate is checked, so the time taken does not say which form matched.
    matches = [hmac.compare_digest(compute(u, params, token).encode("ascii"), given) for u in candidate_urls(url)]
    return any(matches)
