"""Operator intents -> client calls, under the read-only and capability policy, each one audited.

`perform` never raises: whatever happens becomes an Outcome the store and the UI show, and exactly
one audit record says how it ended.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from confmon.api.client import Listing
from confmon.api.errors import ApiError, NotFound, Unavailable
from confmon.audit import AuditLog
from confmon.model import FLAG_UPDATES, Action, Capabilities, Conference, Outcome, OutcomeStatus, Participant, Target
from confmon.sanitize import display_text
from confmon.store import internal_error

READ_ONLY = "read-only mode"
NOT_SUPPORTED = "not supported by this backend"
NO_PARTICIPANT = "no participant selected"
NO_URL = "no URL to announce"
ALREADY_GONE = "already gone"
UNCONFIRMED = "could not confirm every caller left"
_MAX_REASON = 240

def action_allowed(caps: Capabilities, action: Action, *, read_only: bool) -> bool:
    """Whether this session may ever do `action`: the UI hides the keys for which it may not."""
    if read_only:
        return False
    if action is Action.END:
        return caps.can_end or caps.end_by_kicking_all
    if action is Action.ANNOUNCE:
        return caps.can_announce_room or caps.can_announce_participant
    if action is Action.KICK:
        return caps.can_kick
    if action in (Action.HOLD, Action.UNHOLD):
        return caps.can_hold
    return caps.can_mute


class ModerationClient(Protocol):
    async def update_participant(
        self, conference_sid: str, call_sid: str, *, muted: bool | None = None, hold: bool | None = None
    ) -> Participant: ...

    async def kick(self, conference_sid: str, call_sid: str) -> None: ...

    async def end_conference(self, sid: str) -> Conference: ...

    async def list_participants(self, conference_sid: str) -> Listing[Participant]: ...

    async def announce(self, conference_sid: str, call_sid: str | None, url: str) -> None: ...


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
        return action_allowed(self.capabilities, action, read_only=self.read_only)

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
                await self._record(self._failed(action, target, "interrupted; it may have taken effect"))
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
        if action is Action.ANNOUNCE:
            if not target.url:
                return NO_URL
            caps = self.capabilities
            if not (caps.can_announce_participant if target.call_sid else caps.can_announce_room):
                return NOT_SUPPORTED
            return None
        if action is not Action.END and not target.call_sid:
            return NO_PARTICIPANT
        return None

    async def _call(self, action: Action, target: Target) -> Outcome:
        conference_sid, call_sid = target.conference_sid, target.call_sid or ""
        confirmed = OutcomeStatus.CONFIRMED
        try:
            if action is Action.END and not self.capabilities.can_end:
                return await self._kick_everyone(target)
            if action is Action.END:
                conference = await self._client.end_conference(conference_sid)
                return Outcome(action, target, confirmed, conference=conference)
            if action is Action.ANNOUNCE:
                await self._client.announce(conference_sid, target.call_sid, target.url or "")
                return Outcome(action, target, confirmed)
            if action is Action.KICK:
                await self._client.kick(conference_sid, call_sid)
                return Outcome(action, target, confirmed)
            flags = FLAG_UPDATES[action]
            participant = await self._client.update_participant(
                conference_sid, call_sid, muted=flags.muted, hold=flags.hold
            )
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

    async def _kick_everyone(self, target: Target) -> Outcome:
        """A backend with no "end" call (RestComm, 2008): kick the callers the operator confirmed,
        and only them; the room ends when its last participant goes."""
        confirmed = target.call_sids
        if not confirmed:  # nobody was listed, so nobody may be kicked
            return self._failed(Action.END, target, "no participants were confirmed")
        failures = []
        for call_sid in confirmed:
            try:
                await self._client.kick(target.conference_sid, call_sid)
            except NotFound:
                continue  # already gone: that is what we wanted
            except ApiError as error:
                failures.append(f"{call_sid}: {error}")
        if failures:
            kicked = len(confirmed) - len(failures)
            return self._failed(Action.END, target, f"kicked {kicked} of {len(confirmed)}; " + "; ".join(failures))
        try:
            remaining = await self._client.list_participants(target.conference_sid)
        except NotFound:
            remaining = Listing()  # the room is gone: ended, as intended
        unfinished = []
        if remaining:
            unfinished.append("joined since and not kicked: " + ", ".join(p.display_name for p in remaining))
        if remaining.dropped:  # a record it could not read may be a caller still there
            why = next((f" ({problem})" for problem in remaining.problems if " dropped: " in problem), "")
            unfinished.append(f"{UNCONFIRMED}{why}")
        if unfinished:
            return self._failed(Action.END, target, f"kicked all {len(confirmed)} confirmed; " + "; ".join(unfinished))
        return Outcome(Action.END, target, OutcomeStatus.CONFIRMED)

    @staticmethod
    def _failed(action: Action, target: Target, reason: str) -> Outcome:
        return Outcome(action, target, OutcomeStatus.FAILED, error=display_text(reason, _MAX_REASON))
