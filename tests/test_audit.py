"""The audit log: private file, one JSON line per record, append-only, no secrets, never raises."""

from __future__ import annotations

import json
import os
import re
import stat
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from confmon import audit
from confmon.audit import SCHEMA, AuditLog, default_audit_path
from confmon.clock import FrozenClock
from confmon.model import Action, Outcome, OutcomeStatus, RoomKey, Target

ACCOUNT = "AC" + "a" * 32
TOKEN = "0123456789abcdef" * 2  # shaped like a Twilio auth token
TARGET = Target(RoomKey("AC" + "0" * 32, "CF" + "1" * 32), "CA" + "2" * 32, "alice")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="ascii").splitlines()


def log_at(path: Path, **kw) -> AuditLog:
    return AuditLog(path, clock=FrozenClock(1_764_000_000.25), **kw)


def confirmed(action: Action = Action.MUTE, **kw) -> Outcome:
    return Outcome(action, TARGET, OutcomeStatus.CONFIRMED, **kw)


def test_record_fields(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    assert log_at(path, actor="alice-op").record(confirmed(), account_sid=ACCOUNT, read_only=False)
    [line] = lines(path)
    record = json.loads(line)
    assert record == {
        "ts": "2025-11-24T16:00:00.250000+00:00",
        "id": record["id"],
        "schema": SCHEMA,
        "user": "alice-op",
        "host": record["host"],
        "account": ACCOUNT,
        "action": "mute",
        "target": {"conference_sid": TARGET.conference_sid, "call_sid": TARGET.call_sid, "name": "alice"},
        "outcome": "success",
        "error": None,
        "note": None,
        "read_only": False,
    }
    assert uuid.UUID(record["id"]).version == 4
    assert datetime.fromisoformat(record["ts"]).utcoffset().total_seconds() == 0
    assert record["host"]


def test_failure_record(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    failed = Outcome(Action.END, Target(TARGET.room), OutcomeStatus.FAILED, error="read-only mode")
    log_at(path).record(failed, account_sid=ACCOUNT, read_only=True)
    record = json.loads(lines(path)[0])
    assert (record["outcome"], record["error"], record["read_only"]) == ("failure", "read-only mode", True)
    assert record["target"]["call_sid"] is None


def test_new_file_is_private_in_a_private_directory(tmp_path: Path) -> None:
    path = tmp_path / "data" / "confmon" / "audit.jsonl"
    log_at(path).record(confirmed(), account_sid=ACCOUNT, read_only=False)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700


def test_existing_open_file_is_closed_to_others_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_text('{"earlier":1}\n')
    os.chmod(path, 0o644)
    log = log_at(path)
    log.record(confirmed(Action.KICK), account_sid=ACCOUNT, read_only=False)
    log.record(confirmed(Action.END), account_sid=ACCOUNT, read_only=False)
    assert mode(path) == 0o600
    assert [json.loads(line).get("action") for line in lines(path)] == [None, "kick", "end"]
    assert lines(path)[0] == '{"earlier":1}'


def test_existing_directory_mode_is_left_alone(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)  # someone else's directory, e.g. given with --audit-log
    log_at(tmp_path / "audit.jsonl").record(confirmed(), account_sid=ACCOUNT, read_only=False)
    assert mode(tmp_path) == 0o755


def test_a_directory_created_at_the_same_moment_by_another_process_is_fine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "data" / "audit.jsonl"
    real_mkdir = Path.mkdir

    def loses_the_race(self: Path, *args, **kw) -> None:
        os.makedirs(self, mode=0o700, exist_ok=True)  # another confmon got there first
        real_mkdir(self, *args, **kw)

    monkeypatch.setattr(Path, "mkdir", loses_the_race)
    log = log_at(path)
    assert log.record(confirmed(), account_sid=ACCOUNT, read_only=False), log.last_error
    assert len(lines(path)) == 1


def test_one_parsable_line_per_record_even_with_hostile_text(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    nasty = Target(TARGET.room, TARGET.call_sid, "eve\n\x1b[31m\u202e}{")
    log = log_at(path)
    for _ in range(3):
        log.record(Outcome(Action.MUTE, nasty, OutcomeStatus.FAILED, error="bad\r\nline"), account_sid=ACCOUNT,
                   read_only=False)  # fmt: skip
    records = [json.loads(line) for line in lines(path)]
    assert len(records) == 3 and records[0]["target"]["name"] == nasty.name
    assert "\x1b" not in path.read_text(encoding="ascii")  # escaped for whoever cats the file


def test_no_secret_looking_values(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    leaky = (
        f"401 for https://{ACCOUNT}:{TOKEN}@api.example.com/x; Authorization: Basic QUM6c2VjcmV0dG9rZW4=; token {TOKEN}"
    )
    log_at(path).record(Outcome(Action.KICK, TARGET, OutcomeStatus.FAILED, error=leaky), account_sid=ACCOUNT,
                        read_only=False)  # fmt: skip
    text = path.read_text()
    assert TOKEN not in text and "QUM6c2VjcmV0dG9rZW4=" not in text
    assert not re.search(r"(?<![0-9A-Za-z])[0-9a-f]{32}(?![0-9A-Za-z])", text)
    record = json.loads(text)
    assert record["account"] == ACCOUNT  # SIDs are identifiers, not secrets: they stay
    assert "Secret" not in text and "password" not in text.lower()


@pytest.mark.parametrize("blocked", ["parent-is-a-file", "path-is-a-directory"])
def test_unwritable_path_is_reported_not_raised(tmp_path: Path, blocked: str) -> None:
    if blocked == "parent-is-a-file":
        (tmp_path / "file").write_text("")
        path = tmp_path / "file" / "audit.jsonl"
    else:
        path = tmp_path / "audit.jsonl"
        path.mkdir()
    log = log_at(path)
    assert log.record(confirmed(), account_sid=ACCOUNT, read_only=False) is False
    assert log.last_error is not None and log.last_error.startswith("audit log unwritable: ")


def test_recovers_when_the_path_becomes_writable(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("")
    log = log_at(blocker / "audit.jsonl")
    assert not log.record(confirmed(), account_sid=ACCOUNT, read_only=False)
    blocker.unlink()
    assert log.record(confirmed(), account_sid=ACCOUNT, read_only=False)
    assert log.last_error is None


def test_user_falls_back_when_the_os_cannot_say(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_user() -> str:
        raise OSError("no username")

    monkeypatch.setattr(audit.getpass, "getuser", no_user)
    path = tmp_path / "audit.jsonl"
    log_at(path).record(confirmed(), account_sid=ACCOUNT, read_only=False)
    assert json.loads(lines(path)[0])["user"] == "unknown"


def test_default_path_is_in_the_user_data_dir() -> None:
    path = default_audit_path()
    assert path.name == "audit.jsonl" and path.parent.name == "confmon"
