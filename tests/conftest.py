"""Shared fixtures: a frozen clock, a seeded world, and the simulator on a loopback port."""

from __future__ import annotations

import os

import pytest

# Stamina's retry waits are real sleeps; tests that exercise retries set their own waits.
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture(autouse=True)
def _no_twilio_region(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK rewrites hosts when these are set, which would send the oracle away from loopback.
    monkeypatch.delenv("TWILIO_REGION", raising=False)
    monkeypatch.delenv("TWILIO_EDGE", raising=False)
