"""The simulated account the shared fixtures (conftest.py) serve: its id and its auth token."""

from __future__ import annotations

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "sim-test-token"
