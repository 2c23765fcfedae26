"""Append-only audit log of operator actions: one JSON object per line, one `write()` per record.

A single `write()` to an O_APPEND descriptor lands whole even with several confmon processes
appending at once; fsync per record is affordable because operator actions are rare. Writing is
best effort: a broken audit file is reported through `last_error`, never raised into the action.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
import stat
import uuid
from pathlib import Path

import platformdirs

from confmon.clock import Clock, to_datetime
from confmon.model import Outcome, OutcomeStatus
from confmon.secret import redact as redact_known

SCHEMA = "confmon.audit/v1"

# Belt and braces: every secret we hold is already redacted by value (`secret.redact`). Error texts
# come from servers and libraries, so also scrub anything shaped like someone else's credential (a
# bare 32-hex auth token, an Authorization value, userinfo in a URL) before it lands.
_SECRET_SHAPES = re.compile(
    r"(?<![0-9A-Za-z])[0-9a-fA-F]{32}(?![0-9A-Za-z])"
    r"|(?i:\b(?:basic|bearer)\s+)[A-Za-z0-9+/=._~-]{8,}"
    r"|(?<=://)[^/@\s]+(?=@)"
)


def default_audit_path() -> Path:
    return platformdirs.user_data_path("confmon", appauthor=False) / "audit.jsonl"


def redact(text: str) -> str:
    return _SECRET_SHAPES.sub("[redacted]", redact_known(text))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no USER/LOGNAME and no passwd entry (containers): still audit the action
        return "unknown"


class AuditLog:
    def __init__(self, path: Path, *, clock: Clock, actor: str | None = None) -> None:
        self.path = Path(path)
        self._clock = clock
        self._user = actor or _os_user()
        self._host = socket.gethostname()
        self.last_error: str | None = None  # why the last record could not be written

    def record(self, outcome: Outcome, *, account_sid: str, read_only: bool) -> bool:
        """Append one record for a finished (or refused) action; False if it could not be written."""
        confirmed = outcome.status is OutcomeStatus.CONFIRMED
        target = outcome.target
        entry = {
            "ts": to_datetime(self._clock.now()).isoformat(timespec="microseconds"),
            "id": str(uuid.uuid4()),
            "schema": SCHEMA,
            "user": self._user,
            "host": self._host,
            "account": account_sid,
            "action": str(outcome.action),
            "target": {"conference_sid": target.conference_sid, "call_sid": target.call_sid, "name": target.name}
            | ({"url": redact(target.url)} if target.url else {})
            | ({"call_sids": list(target.call_sids)} if target.call_sids else {}),
            "outcome": "success" if confirmed else "failure",
            "error": None if confirmed or outcome.error is None else redact(outcome.error),
            "note": redact(outcome.error) if confirmed and outcome.error else None,  # e.g. "already gone"
            "read_only": read_only,
        }
        # ensure_ascii keeps control and bidi characters escaped for whoever cats the file later.
        line = (json.dumps(entry, separators=(",", ":")) + "\n").encode("ascii")
        try:
            self._append(line)
        except Exception as error:  # the action's result stands whatever happens to its record
            self.last_error = f"audit log unwritable: {error}"
            return False
        self.last_error = None
        return True

    def _append(self, line: bytes) -> None:
        # exist_ok: another confmon may create the directory at the same moment. An existing
        # directory keeps its mode; a new one is private.
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
                os.fchmod(fd, 0o600)  # a file created by hand or by an older tool: close it to others
            written = os.write(fd, line)
            if written != len(line):
                raise OSError(f"short write ({written} of {len(line)} bytes)")
            os.fsync(fd)
        finally:
            os.close(fd)
