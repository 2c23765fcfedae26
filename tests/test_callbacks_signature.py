"""X-Twilio-Signature: Twilio's published vectors, and the twilio SDK's RequestValidator as an oracle."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from confmon.callbacks import signature
from tests.callback_vectors import CONFERENCE_MUTE_FORM

TOKEN = "12345"
SDK_TEST_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
CONFERENCE_PARAMS = CONFERENCE_MUTE_FORM
DUPLICATES = MultiDict(
    [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234"), ("Digits", "1234")]
)

# (url, params, signature) from twilio-2010.md §4, every one published (the last one is our own).
VECTORS = [
    (
        "https://example.com/myapp.php?foo=1&bar=2",
        {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675310", "Digits": "1234",
         "From": "+14158675310", "To": "+18005551212"},
        "L/OH5YylLD5NRKLltdqwSvS0BnU=",
    ),
    (
        "https://mycompany.com/myapp.php?foo=1&bar=2",
        {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
         "From": "+12349013030", "To": "+18005551212"},
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
    ),
    ("https://mycompany.com/myapp.php?foo=1&bar=2", SDK_TEST_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
    ("https://mycompany.com:443/myapp.php?foo=1&bar=2", SDK_TEST_PARAMS, "kvajT1Ptam85bY51eRf/AJRuM3w="),
    ("http://mycompany.com:80/myapp.php?foo=1&bar=2", SDK_TEST_PARAMS, "0ZXoZLH/DfblKGATFgpif+LLRf4="),
    ("http://mycompany.com:1234/myapp.php?foo=1&bar=2", SDK_TEST_PARAMS, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
    ("https://mycompany.com/myapp.php?foo=1&bar=2", DUPLICATES, "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
    ("https://confmon.example.com/twilio/conference-events", CONFERENCE_PARAMS, "pzeuIlr9nkTpybpjqv5IvakHuqc="),
]
SDK = RequestValidator(TOKEN)


def test_the_string_to_sign_is_the_documented_one() -> None:
    url, params, _ = VECTORS[0]
    assert signature.string_to_sign(url, params) == (
        "https://example.com/myapp.php?foo=1&bar=2"
        "CallSidCA1234567890ABCDECaller+14158675310Digits1234From+14158675310To+18005551212"
    )


@pytest.mark.parametrize(("url", "params", "expected"), VECTORS)
def test_published_vectors_compute_and_validate(url: str, params: dict[str, str], expected: str) -> None:
    assert signature.compute(url, params, TOKEN) == expected
    assert signature.valid(url, params, expected, TOKEN)
    assert SDK.compute_signature(url, params) == expected
    assert SDK.validate(url, params, expected)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # The SDK's own test: the port-less https signature also validates with :443 and with :1234.
        ("https://mycompany.com:443/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ("https://mycompany.com:1234/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        # ...and the one signed with :443 validates for the URL without it.
        ("https://mycompany.com/myapp.php?foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w="),
        # The SDK's http test: signed with :80, received as the port-less URL.
        ("http://mycompany.com/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4="),
    ],
)
def test_ports_are_tried_both_ways_as_twilio_does(url: str, expected: str) -> None:
    assert signature.valid(url, SDK_TEST_PARAMS, expected, TOKEN)
    assert SDK.validate(url, SDK_TEST_PARAMS, expected)


@pytest.mark.parametrize(
    "change",
    [
        lambda u, p: (u.replace("https", "http"), p),  # another scheme
        lambda u, p: (u + "&extra=1", p),  # another query
        lambda u, p: (u, {**p, "Muted": "false"}),  # a tampered field
        lambda u, p: (u, {k: v for k, v in p.items() if k != "Hold"}),  # a dropped field
        lambda u, p: (u, {**p, "Extra": ""}),  # an added field
    ],
)
def test_any_change_breaks_the_signature(change) -> None:
    url, params = VECTORS[-1][0] + "?a=1", VECTORS[-1][1]
    good = signature.compute(url, params, TOKEN)
    url, params = change(url, params)
    assert not signature.valid(url, params, good, TOKEN)
    assert not SDK.validate(url, params, good)


@pytest.mark.parametrize(
    "bad", [None, "", "x", "pzeuIlr9nkTpybpjqv5IvakHuqc", "pzeuIlr9nkTpybpjqv5IvakHuqc==", "é" * 28]
)
def test_missing_or_garbage_signatures_are_false_not_errors(bad: str | None) -> None:
    url, params, _ = VECTORS[-1]
    assert signature.valid(url, params, bad, TOKEN) is False


def test_wrong_token_is_refused() -> None:
    url, params, expected = VECTORS[-1]
    assert not signature.valid(url, params, expected, "54321")
    assert not signature.valid(url, params, expected, "")


def test_list_values_sign_like_a_multidict() -> None:
    as_lists = {"Sid": ["CA123"], "SidAccount": ["AC123"], "Digits": ["5678", "1234", "1234"]}
    assert signature.compute(VECTORS[6][0], as_lists, TOKEN) == VECTORS[6][2]


def test_an_ipv6_public_url_loses_only_its_port() -> None:
    # The SDK cuts the netloc at its first colon here ("https://[/events"); we keep the address.
    assert signature.candidate_urls("https://[2001:db8::1]:8443/events") == (
        "https://[2001:db8::1]:8443/events",
        "https://[2001:db8::1]/events",
    )
    signed = signature.compute("https://[2001:db8::1]/events", SDK_TEST_PARAMS, TOKEN)
    assert signature.valid("https://[2001:db8::1]:8443/events", SDK_TEST_PARAMS, signed, TOKEN)


# Oracle properties: URLs the SDK's urlparse/geturl round-trip, and any printable form text.
_host = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,10}){0,3}", fullmatch=True)
_path = st.from_regex(r"(/[A-Za-z0-9._~%-]{0,12}){0,4}", fullmatch=True)
_query = st.from_regex(
    r"(\?[A-Za-z0-9]{1,8}=[A-Za-z0-9%+]{0,8}(&[A-Za-z0-9]{1,8}=[A-Za-z0-9%+]{0,8}){0,3})?", fullmatch=True
)
_port = st.one_of(st.just(""), st.sampled_from([":80", ":443", ":8080"]), st.integers(1, 65535).map(lambda p: f":{p}"))
urls = st.builds(
    lambda s, h, p, path, q: f"{s}://{h}{p}{path}{q}", st.sampled_from(["http", "https"]), _host, _port, _path, _query
)
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
forms = st.one_of(
    st.dictionaries(_text, _text, max_size=8),
    st.lists(st.tuples(_text, _text), max_size=10).map(MultiDict),
)
tokens = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@settings(max_examples=300)
@given(url=urls, params=forms, token=tokens)
def test_compute_agrees_with_the_sdk(url: str, params, token: str) -> None:
    assert signature.compute(url, params, token) == RequestValidator(token).compute_signature(url, params)


@settings(max_examples=300)
@given(url=urls, signed_url=urls, params=forms, token=tokens, data=st.data())
def test_validate_agrees_with_the_sdk(url: str, signed_url: str, params, token: str, data: st.DataObject) -> None:
    sdk = RequestValidator(token)
    # A signature for this URL, for one of its port forms, for another URL, or junk.
    candidates = [*signature.candidate_urls(url), signed_url]
    sig = data.draw(st.one_of(
        st.sampled_from(candidates).map(lambda u: sdk.compute_signature(u, params)),
        st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=30),
    ))
    assert signature.valid(url, params, sig, token) == sdk.validate(url, params, sig)
