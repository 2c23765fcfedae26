"""The find's rules, one at a time: what compiles, what is refused as plain text, and why."""

from __future__ import annotations

import time

import pytest

from confmon.find import compile_find
from confmon.model import Participant, ParticipantStatus
from confmon.views import MemberView


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("a{9999999999}", "the repetition number is too large"),  # OverflowError, not re.error
        ("a)|(b", "unbalanced parenthesis"),  # wrapped as a pattern or the text, it would compile
        (")|(", "unbalanced parenthesis"),
        ("(a+)+$", "a repeat inside a repeat"),
        (r"(\w+\s?)+$", "a repeat inside a repeat"),
        ("(.*a){10}", "a repeat inside a repeat"),
    ],
)
def test_a_pattern_that_cannot_compile_or_could_freeze_the_screen_is_plain_text(text: str, why: str) -> None:
    find = compile_find(text)
    assert find.note is not None and why in find.note
    assert find.pattern is not None and find.pattern.search(f"x {text} y")  # the text itself still finds
    started = time.perf_counter()
    assert not find.pattern.search("a" * 40 + "!")
    assert time.perf_counter() - started < 1  # not a benchmark: the exponential pattern would take hours


@pytest.mark.parametrize("text", ["review|standup", "+1212", "(ab)+", r"(\d{3}-)+", "a.*b.*c", "dial-in (3)"])
def test_an_ordinary_pattern_is_a_pattern_or_the_text_it_is(text: str) -> None:
    find = compile_find(text)
    assert find.note is None
    assert find.pattern is not None and find.pattern.search(f"x {text} y")


def caller(n: int, *, start: bool = True, end: bool = False) -> MemberView:
    p = Participant(f"CA{n:032x}", "CF" + "0" * 32, ParticipantStatus.CONNECTED,
                    start_conference_on_enter=start, end_conference_on_exit=end)
    return MemberView(p, joined_at=0.0, last_changed=0.0)


def test_hosts_are_those_who_end_the_room_or_start_it_where_not_everyone_does() -> None:
    everyone_starts = [caller(1), caller(2), caller(3, end=True)]
    assert [m.hosts_among(everyone_starts) for m in everyone_starts] == [False, False, True]
    some_start = [caller(1), caller(2, start=False), caller(3, start=False)]
    assert [m.hosts_among(some_start) for m in some_start] == [True, False, False]

