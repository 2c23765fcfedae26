"""Redaction benchmark (prints numbers; not a test).

Every wire string and every message passes `sanitize.display_text`, which redacts every secret the
process holds first. This prints what that costs per string, for the strings a sweep is made of (a
room name, a caller's label, a phone number, an error body with a `%` in it), with no secret known
and with the secrets a real session holds (an auth token and its Basic header; with an API key, its
secret too), side by side in one run, as ratios to the no-secret time.

    python benchmarks/redaction.py [--number 200000]
"""

from __future__ import annotations

import argparse
import timeit

from confmon import secret
from confmon.sanitize import display_text

ACCOUNT = "AC" + "0123456789abcdef" * 2
STRINGS = {
    "room name": "Renewal call - Soylent",
    "caller label": "+12125550181",
    "long name": "Quarterly pipeline review with the whole EMEA sales organisation",
    "error with %": "The requested resource /2010-04-01/Accounts/AC%20x/Conferences.json was not found",
}
SETUPS = {
    "no secret": (),
    "token": ("0123456789abcdef0123456789abcdef",),
    "api key": ("0123456789abcdef0123456789abcdef", "SKsecret+with/odd=shape-0123456789"),
}


def per_call_ns(text: str, number: int) -> float:
    return min(timeit.repeat(lambda: display_text(text), number=number, repeat=3)) / number * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--number", type=int, default=200_000, help="calls per measurement")
    args = parser.parse_args()

    table: dict[str, dict[str, float]] = {}
    per_call_ns(STRINGS["room name"], args.number)  # warm up, or the first column pays for it
    for setup, values in SETUPS.items():
        secret._KNOWN.restore(frozenset())
        for value in values:
            secret.hide_basic_credentials(ACCOUNT, secret.Secret(value))
        table[setup] = {name: per_call_ns(text, args.number) for name, text in STRINGS.items()}

    names = list(SETUPS)
    print(f"display_text per string, ns (ratio to '{names[0]}')")
    print(f"{'string':14}" + "".join(f"{name:>20}" for name in names))
    for string in STRINGS:
        base = table[names[0]][string]
        cells = "".join(f"{table[name][string]:>11.0f} ({table[name][string] / base:4.2f}x)" for name in names)
        print(f"{string:14}{cells}")
    worst = max(table[name][s] / table[names[0]][s] for name in names for s in STRINGS)
    print(f"summary: redacting the secrets of a session costs at most {worst:.2f}x a display_text without them")


if __name__ == "__main__":
    main()
