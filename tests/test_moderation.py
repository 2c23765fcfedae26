"""The moderator with a fake client: policy, error mapping, and one audit record per action."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from pathlib import Path

import pytest

from confmon.api.client import Listing
from confmon.api.errors import AuthFailed, NotFound, RateLimited, Unavailable
from confmon.audit import AuditLog
from confmon.clock import FrozenClock
from confmon.model import (
    Action,
    Capabilities,
    Conference,
    ConferenceStatus,
    OutcomeStatus,
    Participant,
    ParticipantStatus,
    RoomKey,
    Target,
)
from confmon.moderation import Moderator

ACCOUNT = "AC" + "a" * 32
ROOM = Conference("CF" + "1" * 32, ACCOUNT, "Sales weekly sync", ConferenceStatus.IN_PROGRESS)
ALICE = Participant("CA" + "2" * 32, ROOM.sid, ParticipantStatus.CONNECTED, label="alice")
ALICE_TARGET = Target(RoomKey(ROOM.account_sid, ROOM.sid), ALICE.call_sid, "alice")
ROOM_TARGET = Target(RoomKey(ROOM.account_sid, ROOM.sid), None, "Sales weekly sync")


class FakeClient:
    """Records calls; `fail` makes every call raise it; `remaining` is what a participant listing finds."""

    def __init__(self, fail: BaseException | None = None, remaining: Listing[Participant] | None = None) -> None:
        self.fail = fail
        self.remaining = remaining if remaining is not None else Listing()
        self.calls: list[tuple] = []

    async def _answer(self, call: tuple, result):
        self.calls.append(call)
        await asyncio.sleep(0)
        if self.fail is not None:
            raise self.fail
        return result

    async def update_participant(self, conference_sid, call_sid, *, muted=None, hold=None) -> Participant:
        changed = {k: v for k, v in (("muted", muted), ("hold", hold)) if v is not None}
        return await self._answer(("update", conference_sid, call_sid, changed), dataclasses.replace(ALICE, **changed))

    async def kick(self, conference_sid, call_sid) -> None:
        return await self._answer(("kick", conference_sid, call_sid), None)

    async def end_conference(self, sid) -> Conference:
        return await self._answer(("end", sid), dataclasses.replace(ROOM, status=ConferenceStatus.COMPLETED))

    async def list_participants(self, conference_sid) -> Listing[Participant]:
        return await self._answer(("list", conference_sid), self.remaining)


@pytest.fixture
def audit_path(tmp_path: Path) -> Path:
    return tmp_path / "audit" / "audit.jsonl"


def moderator(client: FakeClient, audit_path: Path, **kw) -> Moderator:
    kw.setdefault("capabilities", Capabilities())
    return Moderator(client, AuditLog(audit_path, clock=FrozenClock(), actor="op"), account_sid=ACCOUNT, **kw)


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize(
    ("action", "changed"),
    [(Action.MUTE, {"muted": True}), (Action.UNMUTE, {"muted": False}),
     (Action.HOLD, {"hold": True}), (Action.UNHOLD, {"hold": False})],
)  # fmt: skip
async def test_participant_updates_are_confirmed_with_the_returned_state(
    audit_path: Path, action: Action, changed: dict
) -> None:
    client = FakeClient()
    outcome = await moderator(client, audit_path).perform(action, ALICE_TARGET)
    assert client.calls == [("update", ROOM.sid, ALICE.call_sid, changed)]
    assert outcome.status is OutcomeStatus.CONFIRMED and outcome.error is None
    assert outcome.participant == dataclasses.replace(ALICE, **changed)
    [record] = records(audit_path)
    assert record["action"] == str(action) and record["outcome"] == "success" and record["error"] is None
    assert record["target"] == {"conference_sid": ROOM.sid, "call_sid": ALICE.call_sid, "name": "alice"}
    assert record["account"] == ACCOUNT and record["user"] == "op" and record["read_only"] is False


async def test_kick_and_end_are_confirmed(audit_path: Path) -> None:
    client = FakeClient()
    m = moderator(client, audit_path)
    kicked = await m.perform(Action.KICK, ALICE_TARGET)
    ended = await m.perform(Action.END, ROOM_TARGET)
    assert client.calls == [("kick", ROOM.sid, ALICE.call_sid), ("end", ROOM.sid)]
    assert kicked.status is OutcomeStatus.CONFIRMED
    assert ended.status is OutcomeStatus.CONFIRMED and ended.conference.status is ConferenceStatus.COMPLETED
    assert [r["action"] for r in records(audit_path)] == ["kick", "end"]


def listing(*people: Participant, problems: tuple[str, ...] = (), dropped: int = 0) -> Listing[Participant]:
    return Listing.of(people, problems, dropped)


BOB = Participant("CA" + "3" * 32, ROOM.sid, ParticipantStatus.CONNECTED, label="bob")
DROPPED = "participant #1 dropped: call_sid is missing"
UNCONFIRMED = "kicked all 1 confirmed; could not confirm every caller left"


@pytest.mark.parametrize(
    ("remaining", "error"),
    [
        (listing(), None),
        (listing(BOB), "kicked all 1 confirmed; joined since and not kicked: bob"),
        # A record the re-listing could not read may be a caller still in the room.
        (listing(problems=(DROPPED,), dropped=1), f"{UNCONFIRMED} ({DROPPED})"),
        (listing(dropped=1), UNCONFIRMED),
        # A record read in part is a caller it can name; the problem quoted is the dropped record's.
        (listing(BOB, problems=(f"participant {BOB.call_sid}: muted is not a boolean",)),
         "kicked all 1 confirmed; joined since and not kicked: bob"),
        (listing(BOB, problems=(f"participant {BOB.call_sid}: muted is not a boolean", DROPPED), dropped=1),
         f"kicked all 1 confirmed; joined since and not kicked: bob; could not confirm every caller left ({DROPPED})"),
    ],
)  # fmt: skip
async def test_ending_by_kicking_everyone_is_confirmed_only_when_nobody_may_be_left(
    audit_path: Path, remaining: Listing[Participant], error: str | None
) -> None:
    client = FakeClient(remaining=remaining)
    kick_all = Capabilities(can_end=False, end_by_kicking_all=True)
    target = dataclasses.replace(ROOM_TARGET, call_sids=(ALICE.call_sid,))
    outcome = await moderator(client, audit_path, capabilities=kick_all).perform(Action.END, target)
    assert client.calls == [("kick", ROOM.sid, ALICE.call_sid), ("list", ROOM.sid)]
    assert outcome.status is (OutcomeStatus.CONFIRMED if error is None else OutcomeStatus.FAILED)
    assert outcome.error == error


@pytest.mark.parametrize(("action", "target"), [(Action.KICK, ALICE_TARGET), (Action.END, ROOM_TARGET)])
async def test_removing_what_is_already_gone_counts_as_done(audit_path: Path, action: Action, target: Target) -> None:
    outcome = await moderator(FakeClient(NotFound("no such call", status=404)), audit_path).perform(action, target)
    assert outcome.status is OutcomeStatus.CONFIRMED and outcome.error == "already gone"
    [record] = records(audit_path)
    assert record["outcome"] == "success" and record["error"] is None and record["note"] == "already gone"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (NotFound("no such participant", status=404), "not found (404): no such participant"),
        (AuthFailed("denied", status=403), "auth failed (403): denied"),
        (RateLimited("busy", retry_after=1), "rate limited (429): busy (retry after 1 s)"),
        (Unavailable("deadline", request_sent=False), "unavailable: deadline"),
        (Unavailable("reset", status=None), "unavailable: reset; it may have taken effect"),
        (ConnectionResetError("reset by peer"), "reset by peer"),
        (ZeroDivisionError("division by zero"), "internal error: ZeroDivisionError: division by zero"),
    ],
)
async def test_errors_are_failed_outcomes_never_exceptions(
    audit_path: Path, error: BaseException, reason: str
) -> None:
    outcome = await moderator(FakeClient(error), audit_path).perform(Action.MUTE, ALICE_TARGET)
    assert outcome.status is OutcomeStatus.FAILED and outcome.error == reason
    [record] = records(audit_path)
    assert record["outcome"] == "failure" and record["error"] == reason


@pytest.mark.parametrize("action", list(Action))
async def test_read_only_refuses_everything_without_calling_and_audits(audit_path: Path, action: Action) -> None:
    client = FakeClient()
    m = moderator(client, audit_path, read_only=True)
    assert not m.allowed(action)
    target = ROOM_TARGET if action is Action.END else ALICE_TARGET
    outcome = await m.perform(action, target)
    assert outcome.status is OutcomeStatus.FAILED and outcome.error == "read-only mode"
    assert client.calls == []
    [record] = records(audit_path)
    assert record["outcome"] == "failure" and record["error"] == "read-only mode" and record["read_only"] is True


@pytest.mark.parametrize(
    ("capabilities", "refused"),
    [
        (Capabilities(can_mute=False), {Action.MUTE, Action.UNMUTE}),
        (Capabilities(can_hold=False), {Action.HOLD, Action.UNHOLD}),
        (Capabilities(can_kick=False), {Action.KICK}),
        (Capabilities(can_end=False), {Action.END}),
    ],
)
async def test_capabilities_gate_each_action(audit_path: Path, capabilities: Capabilities, refused: set) -> None:
    client = FakeClient()
    m = moderator(client, audit_path, capabilities=capabilities)
    assert {a for a in Action if not m.allowed(a)} == refused
    for action in refused:
        outcome = await m.perform(action, ROOM_TARGET if action is Action.END else ALICE_TARGET)
        assert outcome.status is OutcomeStatus.FAILED and outcome.error == "not supported by this backend"
    assert client.calls == []
    assert len(records(audit_path)) == len(refused)


async def test_participant_action_without_a_participant_is_refused(audit_path: Path) -> None:
    client = FakeClient()
    outcome = await moderator(client, audit_path).perform(Action.KICK, ROOM_TARGET)
    assert outcome.status is OutcomeStatus.FAILED and outcome.error == "no participant selected"
    assert client.calls == [] and len(records(audit_path)) == 1


async def test_one_audit_line_per_action(audit_path: Path) -> None:
    m = moderator(FakeClient(), audit_path)
    for action in (Action.MUTE, Action.UNMUTE, Action.HOLD, Action.KICK):
        await m.perform(action, ALICE_TARGET)
    await m.perform(Action.END, ROOM_TARGET)
    assert [r["action"] for r in records(audit_path)] == ["mute", "unmute", "hold", "kick", "end"]
    assert len({r["id"] for r in records(audit_path)}) == 5


async def test_cancelled_call_is_still_audited(audit_path: Path) -> None:
    with pytest.raises(asyncio.CancelledError):
        await moderator(FakeClient(asyncio.CancelledError()), audit_path).perform(Action.KICK, ALICE_TARGET)
    [record] = records(audit_path)
    assert record["outcome"] == "failure" and record["error"] == "interrupted; it may have taken effect"


async def test_unwritable_audit_log_does_not_change_the_outcome(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    m = moderator(FakeClient(), blocker / "audit.jsonl")
    outcome = await m.perform(Action.MUTE, ALICE_TARGET)
    assert outcome.status is OutcomeStatus.CONFIRMED
    assert m.audit_error is not None and m.audit_error.startswith("audit log unwritable")


class ThreadNoting(AuditLog):
    """An audit log that notes which thread wrote each record."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, clock=FrozenClock(), actor="op")
        self.threads: list[int] = []

    def _append(self, line: bytes) -> None:
        self.threads.append(threading.get_ident())
        super()._append(line)


async def test_audit_records_are_written_off_the_event_loop(audit_path: Path) -> None:
    """A hung network home must not freeze the loop (and the UI): open and fsync run in a worker thread."""
    log = ThreadNoting(audit_path)
    m = Moderator(FakeClient(), log, account_sid=ACCOUNT, capabilities=Capabilities())
    await m.perform(Action.MUTE, ALICE_TARGET)
    with pytest.raises(asyncio.CancelledError):  # the record made on the way out of a cancelled call too
        await Moderator(
            FakeClient(asyncio.CancelledError()), log, account_sid=ACCOUNT, capabilities=Capabilities()
        ).perform(Action.KICK, ALICE_TARGET)
    loop_thread = threading.get_ident()
    assert len(log.threads) == 2 and loop_thread not in log.threads
    assert [r["action"] for r in records(audit_path)] == ["mute", "kick"]


def test_pending_outcome(audit_path: Path) -> None:
    outcome = moderator(FakeClient(), audit_path).pending(Action.MUTE, ALICE_TARGET)
    assert (outcome.action, outcome.target, outcome.status) == (Action.MUTE, ALICE_TARGET, OutcomeStatus.PENDING)
    assert not audit_path.exists()  # only the final outcome is recorded
