"""The simulated account: seeded, driven by an injected clock, changed by API actions.

Reads show the world as of the last `advance` or action: the server advances to the clock once
per request, so one response is consistent and a frozen clock means a frozen world. Actions
advance first, so they always happen after everything scheduled up to their time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from random import Random
from typing import Literal

from confmon.clock import Clock
from confmon.model import Conference, Participant, Recording
from confmon.sim import names
from confmon.sim.rooms import (
    CURRENT_RECORDING,
    Announcement,
    Caller,
    EndReason,
    Invalid,
    NotFound,
    Rooms,
    WorldError,
    WorldEvent,
)
from confmon.sim.traffic import Traffic

__all__ = [
    "CURRENT_RECORDING",
    "Announcement",
    "AnnouncementLog",
    "CallLeg",
    "Invalid",
    "NotFound",
    "World",
    "WorldError",
    "WorldEvent",
]

ANNOUNCEMENT_LOG = 1000  # the most recent announcements kept for inspection

# The longest stretch of world time `advance` replays event by event: at 1,000 rooms ~2 s of CPU
# (two thirds of it their talk), ~8 s with a listener subscribed (each event then builds its views).
# A longer gap (a laptop resumed after hours) is skipped instead: see Traffic.refind. By then
# traffic would have turned over nearly every room anyway (rooms live at most ~25 minutes).
MAX_REPLAY = 1800.0


class World:
    def __init__(
        self,
        seed: int,
        clock: Clock,
        account_sid: str,
        *,
        target_rooms: int = 12,
        participants_per_room: tuple[int, int] = (2, 9),
        traffic: bool = True,
    ) -> None:
        fewest, most = participants_per_room
        if not 1 <= fewest <= most or target_rooms < 0:
            raise ValueError("need 0 <= target_rooms and 1 <= fewest <= most participants per room")
        self.clock = clock
        self.account_sid = account_sid
        # The media-server instance RestComm prefixes its call SIDs with ("ID" + 32 hex), per seed.
        self.instance_id = names.new_sid(Random(f"{seed}/instance"), "ID")
        self._rooms = Rooms(account_sid)
        self._ids = Random(f"{seed}/api")  # API actions draw their SIDs apart from traffic's streams
        self._announcements: deque[Announcement] = deque(maxlen=ANNOUNCEMENT_LOG)
        self._now = clock.now()
        self._traffic = Traffic(
            seed, self._rooms, target_rooms=target_rooms, participants_per_room=participants_per_room
        )
        self._traffic.populate(self._now)
        self._moving = traffic

    @property
    def listeners(self) -> list[Callable[[WorldEvent], None]]:
        """Called with every change, as it happens; append to subscribe."""
        return self._rooms.listeners

    def advance(self, now: float) -> None:
        """Bring the world to `now`, playing scheduled traffic (if on) on the way; time never goes back.

        A gap longer than MAX_REPLAY is not played: traffic's rooms close and the account is found
        afresh at `now` (Traffic.refind). Completed rooms are pruned once their retention is up.
        """
        if now <= self._now:
            return
        if self._moving:
            if now - self._now > MAX_REPLAY:
                self._traffic.refind(self._now, now)
            else:
                self._traffic.run_until(now)
        self._now = now
        self._rooms.prune(now)

    # -- reading

    def conferences(self) -> list[Conference]:
        """Every live room and every completed one not yet pruned (rooms.COMPLETED_RETENTION), by creation."""
        return [self._rooms.conference_view(room) for room in self._rooms]

    def conference(self, sid: str) -> Conference:
        return self._rooms.conference_view(self._rooms.get(sid))

    def participants(self, conference_sid: str) -> list[Participant]:
        """Who is in the room now, in joining order; nobody once it has completed."""
        room = self._rooms.get(conference_sid)
        return [self._rooms.participant_view(room, caller) for caller in room.callers.values()]

    def participant(self, conference_sid: str, call_sid_or_label: str) -> Participant:
        room = self._rooms.get(conference_sid)
        return self._rooms.participant_view(room, self._rooms.caller(room, call_sid_or_label))

    def speaking(self, conference_sid: str) -> set[str]:
        """The call SIDs of those talking now (between participant-speech-start and -stop)."""
        return {c.call_sid for c in self._rooms.get(conference_sid).callers.values() if c.speaking}

    def moderator_present(self, conference_sid: str) -> bool:
        """Whether someone with start_conference_on_enter is in the room now (RestComm's "moderator")."""
        return any(c.start_conference_on_enter for c in self._rooms.get(conference_sid).callers.values())

    def recordings(self, conference_sid: str) -> list[Recording]:
        """The room's recordings, oldest first; a completed room keeps its own."""
        return self._rooms.recording_view(self._rooms.get(conference_sid))

    def recording(self, conference_sid: str, recording_sid: str) -> Recording:
        found = next((r for r in self.recordings(conference_sid) if r.sid == recording_sid), None)
        if found is None:
            raise NotFound(recording_sid)
        return found

    def recording_call_sid(self, recording: Recording) -> str:
        """The call that started the recorded room: its SID shares the recording's hex digits."""
        return "CA" + recording.sid[2:]

    def call(self, call_sid: str) -> CallLeg:
        """A call by SID in any room still kept, whether it is in its room or has left (the Calls resource)."""
        found = self._rooms.find_call(call_sid)
        if found is None:
            raise NotFound(call_sid)
        room, caller, present = found
        return CallLeg(
            participant=self._rooms.participant_view(room, caller, present=present),
            from_=caller.from_,
            to=caller.to,
            present=present,
            caller_name=caller.caller_name,
            direction=caller.direction,
        )

    @property
    def announcements(self) -> AnnouncementLog:
        """The most recent announcements (ANNOUNCEMENT_LOG), oldest first: a list, also callable."""
        return AnnouncementLog(self._announcements)

    # -- acting (as the REST API does)

    def create_participant(
        self,
        conference: str,
        *,
        from_: str,
        to: str,
        label: str | None = None,
        muted: bool = False,
        hold: bool = False,
        coaching: bool | None = None,
        call_sid_to_coach: str | None = None,
        start_conference_on_enter: bool = True,
        end_conference_on_exit: bool = False,
        region: str | None = None,
        record: bool = False,
    ) -> Participant:
        """Dial someone into a room given by SID or friendly name; a name with no live room opens one.

        `record` (ConferenceRecord) records the room from its start, if it has not started yet.
        """
        if not to:
            raise Invalid("No 'To' number is specified", code=21201)
        if not from_:
            raise Invalid("'From' phone number is required", code=21213)
        if region is not None and region not in names.REGIONS:
            raise Invalid(f"Region must be one of {', '.join(names.REGIONS)}")
        at = self._sync()
        # Always draw both SIDs, so the ID stream advances the same whether or not a room opens.
        room_sid, call_sid = names.new_sid(self._ids, "CF"), names.new_sid(self._ids, "CA")
        caller = Caller(
            call_sid=call_sid,
            from_=from_,
            to=to,
            direction="outbound-api",  # the API dialled `to`, showing `from_`
            label=label,
            muted=muted,
            hold=hold,
            # Twilio: coaching defaults to false unless there is a call to coach.
            coaching=coaching if coaching is not None else call_sid_to_coach is not None,
            call_sid_to_coach=call_sid_to_coach,
            start_conference_on_enter=start_conference_on_enter,
            end_conference_on_exit=end_conference_on_exit,
        )
        room = self._rooms.dial(conference, caller, at, new_sid=room_sid, region=region or "us1", record=record)
        return self._rooms.participant_view(room, caller)

    def update_participant(
        self,
        conference_sid: str,
        call_sid_or_label: str,
        *,
        muted: bool | None = None,
        hold: bool | None = None,
        coaching: bool | None = None,
        call_sid_to_coach: str | None = None,
        end_conference_on_exit: bool | None = None,
    ) -> Participant:
        at = self._sync()
        room = self._rooms.get(conference_sid)
        caller = self._rooms.caller(room, call_sid_or_label)
        self._rooms.update(
            room,
            caller,
            at,
            muted=muted,
            hold=hold,
            coaching=coaching,
            call_sid_to_coach=call_sid_to_coach,
            end_conference_on_exit=end_conference_on_exit,
        )
        return self._rooms.participant_view(room, caller)

    def remove_participant(
        self, conference_sid: str, call_sid_or_label: str, reason: Literal["kicked", "left"] = "kicked"
    ) -> None:
        """A kick through the API, or (for tests) the caller hanging up."""
        at = self._sync()
        room = self._rooms.get(conference_sid)
        self._rooms.leave(room, self._rooms.caller(room, call_sid_or_label), at, kicked=reason == "kicked")

    def speak(self, conference_sid: str, call_sid_or_label: str, speaking: bool = True) -> None:
        """(For tests and screenshots) a caller starts or stops talking, as traffic would make them."""
        at = self._sync()
        room = self._rooms.get(conference_sid)
        caller = self._rooms.caller(room, call_sid_or_label)
        if speaking:
            self._rooms.start_speaking(room, caller, at)
        else:
            self._rooms.stop_speaking(room, caller, at)

    def announce(
        self, conference_sid: str, url: str, method: str = "POST", call_sid_or_label: str | None = None
    ) -> None:
        """Play a URL into a live room, or to one participant; listeners hear `announcement-end`."""
        at = self._sync()
        room = self._rooms.get(conference_sid)
        caller = self._rooms.caller(room, call_sid_or_label) if call_sid_or_label is not None else None
        self._announcements.append(self._rooms.announce(room, caller, url, method, at))

    def update_recording(
        self, conference_sid: str, recording_sid: str, status: str, pause_behavior: str | None = None
    ) -> Recording:
        """Pause, resume (`in-progress`) or stop a room's recording, named by SID or by CURRENT_RECORDING.

        `pause_behavior` (skip or silence, the default) says whether a pause is cut from the file.
        """
        at = self._sync()
        room = self._rooms.get(conference_sid)
        if recording_sid == CURRENT_RECORDING:
            tape = self._rooms.current_tape(room)
        else:
            tape = self._rooms.tape(room, recording_sid)
        self._rooms.change_recording(room, tape, status, at, pause_behavior=pause_behavior)
        return self.recording(conference_sid, tape.sid)

    def delete_recording(self, conference_sid: str, recording_sid: str) -> None:
        """Delete a room's recording: it is no longer listed or found, and the room records no more."""
        at = self._sync()
        room = self._rooms.get(conference_sid)
        self._rooms.delete_recording(self._rooms.tape(room, recording_sid), at)

    def end_conference(self, sid: str) -> Conference:
        """End a live room for everyone; ending a completed one changes nothing."""
        at = self._sync()
        room = self._rooms.get(sid)
        if room.live:
            self._rooms.end(room, at, EndReason.VIA_API)
        return self._rooms.conference_view(room)

    def _sync(self) -> float:
        self.advance(self.clock.now())
        return self._now


class AnnouncementLog(list[Announcement]):
    """A copy of the log. Callable as well (`world.announcements()`), like the world's other readers."""

    def __call__(self) -> list[Announcement]:
        return list(self)


@dataclass(frozen=True, slots=True)
class CallLeg:
    """A call leg as the Calls resource sees it: the participant, and the numbers it connects."""

    participant: Participant  # status complete once it has left, date_updated then when it left
    from_: str
    to: str
    present: bool
    caller_name: str | None = None
    direction: str = "inbound"  # or outbound-api: dialled through the API

    @property
    def status(self) -> str:
        """The call's status in 2010's words: Twilio keeps a call that hung up, as completed."""
        return "in-progress" if self.present else "completed"

    @property
    def ended(self) -> datetime | None:
        """When the call hung up (left its room); None while it is in it."""
        return None if self.present else self.participant.date_updated

    @property
    def duration(self) -> int | None:
        """Seconds from joining to hanging up, between the times as the APIs show them (to the second),
        so that a call's duration is its end time less its start time; None while it goes on."""
        started, ended = self.participant.date_created, self.ended
        if started is None or ended is None:
            return None
        return int((ended.replace(microsecond=0) - started.replace(microsecond=0)).total_seconds())
