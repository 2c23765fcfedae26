"""Operator intents -> client calls, under the read-only and capability policy, each one audited.

`perform` never raises: whatever happens becomes an Outcome the store and the UI show, and exactly
one audit record says how it ended.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from confmon.api.errors import ApiError, NotFound, Unavailable
from confmon.audit import AuditLog
from confmon.model import Action, Capabilities, Conference, Outcome, OutcomeStatus, Participant, Target
from confmon.sanitize import display_text
from confmon.store import FLAG_UPDATES, internal_error

READ_ONLY = "read-only mode"
NOT_SUPPORTED = "not supported by this backend"
NO_PARTICIPANT = "no participant selected"
ALREADY_GONE = "already gone"
_MAX_REASON = 240

_CAPABILITY = {
    Action.MUTE: "can_mute",
    Action.UNMUTE: "can_mute",
    Action.HOLD: "can_hold",
    Action.UNHOLD: "can_hold",
    Action.KICK: "can_kick",
    Action.END: "can_end",
}


class ModerationClient(Protocol):
    async def update_participant(
        self, conference_sid: str, call_sid: str, *, muted: bool | None = None, hold: bool | None = None
    ) -> Participant: ...

    async def kick(self, conference_sid: str, call_sid: str) -> None: ...

    async def end_conference(self, sid: str) -> Conference: ...


class Moderator:
    def __init__(
        self,
        client: ModerationClient,
        audit: AuditLog,
        *,
        account_sid: str,
        capabilities: Capabilities,
        read_only: bool = False,
    ) -> None:
        self._client = client
        self._audit = audit
        self.account_sid = account_sid
        self.capabilities = capabilities
        self.read_only = read_only

    def allowed(self, action: Action) -> bool:
        return not self.read_only and getattr(self.capabilities, _CAPABILITY[action])

    def pending(self, action: Action, target: Target) -> Outcome:
        """What the UI shows while the call is in flight."""
        return Outcome(action, target, OutcomeStatus.PENDING)

    async def perform(self, action: Action, target: Target) -> Outcome:
        refusal = self._refusal(action, target)
        if refusal is not None:
            outcome = Outcome(action, target, OutcomeStatus.FAILED, error=refusal)
        else:
            try:
                outcome = await self._call(action, target)
            except asyncio.CancelledError:  # the app is closing mid-call: the record still says so
                await self._record(self._failed(action, target, "cancelled; it may have taken effect"))
                raise
        await self._record(outcome)
        return outcome

    async def _record(self, outcome: Outcome) -> None:
        # open/fsync on a hung network home would freeze the event loop, and with it the UI: write
        # from a worker thread. Once started, the write finishes even if this await is cancelled.
        await asyncio.to_thread(self._audit.record, outcome, account_sid=self.account_sid, read_only=self.read_only)

    @property
    def audit_error(self) -> str | None:
        """Set while the audit log cannot be written, so the UI can say so."""
        return self._audit.last_error

    def _refusal(self, action: Action, target: Target) -> str | None:
        if self.read_only:
            return READ_ONLY
        if not self.allowed(action):
            return NOT_SUPPORTED
        if action is not Action.END and not target.call_sid:
            return NO_PARTICIPANT
        return None

    async def _call(self, action: Action, target: Target) -> Outcome:
        conference_sid, call_sid = target.conference_sid, target.call_sid or ""
        confirmed = OutcomeStatus.CONFIRMED
        try:
            if action is Action.END:
                conference = await self._client.end_conference(conference_sid)
                return Outcome(action, target, confirmed, conference=conference)
            if action is Action.KICK:
                await self._client.kick(conference_sid, call_sid)
                return Outcome(action, target, confirmed)
            flag, value = FLAG_UPDATES[action]
            participant = await self._client.update_participant(conference_sid, call_sid, **{flag: value})
            return Outcome(action, target, confirmed, participant=participant)
        except NotFound as error:
            if action.destructive:  # whoever we meant to remove is not there: the intent holds
                return Outcome(action, target, confirmed, error=ALREADY_GONE)
            return self._failed(action, target, str(error))
        except Unavailable as error:
            # The POST may have reached the server before the line dropped; the next poll will tell.
            reason = f"{error}; it may have taken effect" if error.request_sent else str(error)
            return self._failed(action, target, reason)
        except (ApiError, OSError, TimeoutError) as error:
            return self._failed(action, target, str(error) or type(error).__name__)
        except Exception as error:  # a bug must not take the UI down with it
            return self._failed(action, target, internal_error(error))

    @staticmethod
    def _failed(action: Action, target: Target, reason: str) -> Outcome:
        return Outcome(action, target, OutcomeStatus.FAILED, error=display_text(reason, _MAX_REASON))
