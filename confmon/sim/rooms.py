"""Twilio's conference rules (API 2010-04-01) over plain in-memory state.

Every change is stamped with a time given by the caller, never read from a clock, so the same
calls always produce the same state: the world passes the clock's time for API actions and the
schedule's own times for traffic. Each change is also announced as a `WorldEvent`, numbered per
conference, for whoever listens (status callbacks, later).

A room that records (`Room.records`) starts its recording when it starts and completes it when it
ends; the recording stays with the room, so a completed room keeps it until the room is pruned.
While the room lives the API may pause, resume or stop its recording; any time, it may delete it.

Who is speaking (`Caller.speaking`) is traffic's doing, but its rules are kept here: a muted or held
caller is not heard, so never starts speaking, and muting, holding, leaving or the room ending stops
a speaker's speech first. Twilio does not document the order of those callbacks; this world reports
participant-speech-stop before the mute, hold or leave that cut it short, and before conference-end.
"""

from __future__ import annotations

import enum
import heapq
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from confmon.clock import to_datetime
from confmon.model import Conference, ConferenceStatus, Participant, ParticipantStatus, Recording
from confmon.sim.names import is_call_sid, is_conference_sid

MAX_NAME_LENGTH = 128  # friendly names and labels alike
# How long a completed room stays readable (listed, fetchable) after it ended, in world time.
# Without a limit a busy world only grows: 1,000 rooms leave ~4,000 completed ones an hour.
COMPLETED_RETENTION = 3600.0
CURRENT_RECORDING = "Twilio.CURRENT"  # in place of a recording SID: the one the room is taking now


class WorldError(Exception):
    """A request the world refuses; the server turns it into Twilio's error body."""


class NotFound(WorldError):
    pass


class Invalid(WorldError):
    def __init__(self, message: str, code: int = 20001) -> None:
        super().__init__(message)
        self.code = code  # Twilio error code


# ReasonParticipantLeft (Twilio's values are underscored) for those still in a room when it ends.
_LEFT_AS_ROOM_ENDED = {
    "conference-ended-via-api": "conference_ended_via_api",
    "participant-with-end-conference-on-exit-left": "moderator_ended_conference",
    "participant-with-end-conference-on-exit-kicked": "moderator_ended_conference",
}


class EndReason(enum.StrEnum):
    VIA_API = "conference-ended-via-api"
    END_ON_EXIT_LEFT = "participant-with-end-conference-on-exit-left"
    END_ON_EXIT_KICKED = "participant-with-end-conference-on-exit-kicked"
    LAST_KICKED = "last-participant-kicked"
    LAST_LEFT = "last-participant-left"


@dataclass(frozen=True, slots=True)
class Announcement:
    """A URL (MP3, WAV or TwiML) played into a room, or to one participant of it."""

    conference_sid: str
    call_sid: str | None  # None: to the whole room
    url: str
    method: str  # GET or POST, how the URL is fetched
    timestamp: float  # clock seconds


@dataclass(frozen=True, slots=True)
class WorldEvent:
    """One change, as a conference status callback would report it."""

    # conference-start/-end, participant-join/-leave/-mute/-unmute/-hold/-unhold/-modify,
    # participant-speech-start/-stop, announcement-end
    kind: str
    conference: Conference  # the room after the change
    participant: Participant | None  # the participant concerned, as they were after the change
    sequence_number: int  # per conference, from 1
    timestamp: float  # clock seconds
    announcement: Announcement | None = None  # for announcement-end only
    # For participant-leave: Twilio's ReasonParticipantLeft (underscored), e.g. participant_hung_up.
    reason_left: str | None = None


@dataclass(slots=True)
class Caller:
    call_sid: str
    from_: str
    to: str
    caller_name: str | None = None  # what the caller-ID lookup named them (Calls' CallerName)
    direction: str = "inbound"  # the Calls resource's: dialled in, or outbound-api when the API dialled them
    label: str | None = None
    muted: bool = False
    hold: bool = False
    coaching: bool = False
    call_sid_to_coach: str | None = None
    start_conference_on_enter: bool = True
    end_conference_on_exit: bool = False
    joined: float = 0.0
    updated: float = 0.0
    speaking: bool = False  # between participant-speech-start and -stop; never while muted or held


# What Twilio's update of a recording may ask for, and what a pause puts in the file meanwhile.
RECORDING_CHANGES = ("in-progress", "paused", "stopped")
PAUSE_BEHAVIORS = ("skip", "silence")


@dataclass(slots=True)
class Tape:
    """A room's recording. Its SID shares its hex digits with `call_sid`, the call that started it.

    Its status is read from these times and from its room (see `Rooms.recording_status`): it is
    in-progress or paused until stopped or its room ends, stopped until the room ends, then completed.
    """

    sid: str
    call_sid: str
    started: float
    updated: float
    ended: float | None = None  # when it stopped taking audio: stopped through the API, or its room ended
    paused: float | None = None  # when the pause now under way began
    skipping: bool = False  # that pause is cut from the file (PauseBehavior=skip), not kept as silence
    skipped: float = 0.0  # seconds of earlier pauses cut from the file: not in its duration
    deleted: bool = False  # kept, so a room that started recording never starts again

    @property
    def recording(self) -> bool:
        """Still taking audio (or silence): neither stopped nor ended, paused or not."""
        return self.ended is None


@dataclass(slots=True)
class Room:
    sid: str
    friendly_name: str
    region: str
    created: float
    updated: float
    status: ConferenceStatus = ConferenceStatus.INIT
    reason_conference_ended: EndReason | None = None
    call_sid_ending_conference: str | None = None
    callers: dict[str, Caller] = field(default_factory=dict)  # by call SID, in joining order
    departed: dict[str, Caller] = field(default_factory=dict)  # who left, by call SID (RestComm's 410)
    sequence: int = 0
    records: bool = False  # the room is recorded from its start
    tape: Tape | None = None

    @property
    def live(self) -> bool:
        return self.status is not ConferenceStatus.COMPLETED

    def find(self, call_sid_or_label: str) -> Caller | None:
        if is_call_sid(call_sid_or_label) and call_sid_or_label in self.callers:
            return self.callers[call_sid_or_label]
        return next((c for c in self.callers.values() if c.label == call_sid_or_label), None)


class Rooms:
    def __init__(self, account_sid: str) -> None:
        self.account_sid = account_sid
        self.listeners: list[Callable[[WorldEvent], None]] = []
        self._by_sid: dict[str, Room] = {}
        self._live_by_name: dict[str, Room] = {}  # Twilio allows one live room per friendly name
        self._expiring: list[tuple[float, str]] = []  # (when a completed room goes, its SID)

    # -- reading

    def __iter__(self) -> Iterator[Room]:
        return iter(self._by_sid.values())

    def get(self, sid: str) -> Room:
        try:
            return self._by_sid[sid]
        except KeyError:
            raise NotFound(sid) from None

    def find_sid(self, sid: str) -> Room | None:
        """The room, or None if there never was one or it was pruned."""
        return self._by_sid.get(sid)

    def caller(self, room: Room, call_sid_or_label: str) -> Caller:
        """A present participant; anyone who left, and everyone in a completed room, is gone."""
        found = room.find(call_sid_or_label)
        if found is None:
            raise NotFound(call_sid_or_label)
        return found

    def live_named(self, friendly_name: str) -> Room | None:
        return self._live_by_name.get(friendly_name)

    @property
    def live_count(self) -> int:
        return len(self._live_by_name)

    def conference_view(self, room: Room) -> Conference:
        return Conference(
            sid=room.sid,
            account_sid=self.account_sid,
            friendly_name=room.friendly_name,
            status=room.status,
            region=room.region,
            date_created=to_datetime(room.created),
            date_updated=to_datetime(room.updated),
            reason_conference_ended=room.reason_conference_ended,
            call_sid_ending_conference=room.call_sid_ending_conference,
        )

    def recording_view(self, room: Room) -> list[Recording]:
        """The room's recordings: in-progress, paused or stopped while it is live, completed once it has ended."""
        tape = room.tape
        if tape is None or tape.deleted:
            return []
        status = self.recording_status(room, tape)
        duration = None  # the file's length is known once it is complete; skipped pauses are not in it
        if status == "completed" and tape.ended is not None:
            duration = math.floor(tape.ended - tape.started - tape.skipped)
        return [
            Recording(
                sid=tape.sid,
                conference_sid=room.sid,
                status=status,
                duration=duration,
                channels=1,
                date_created=to_datetime(tape.started),
                date_updated=to_datetime(tape.updated),
                start_time=to_datetime(tape.started),
            )
        ]

    @staticmethod
    def recording_status(room: Room, tape: Tape) -> str:
        if not room.live:
            return "completed"
        if not tape.recording:
            return "stopped"  # the file completes when the room ends, as a room's recording always has
        return "paused" if tape.paused is not None else "in-progress"

    def tape(self, room: Room, sid: str) -> Tape:
        """The room's recording by SID; one deleted, or of another room, is not found."""
        tape = room.tape
        if tape is None or tape.deleted or tape.sid != sid:
            raise NotFound(sid)
        return tape

    def current_tape(self, room: Room) -> Tape:
        """Twilio.CURRENT: the recording the room is taking now (paused or not); none once stopped."""
        tape = room.tape
        if tape is None or tape.deleted or not tape.recording:
            raise NotFound(CURRENT_RECORDING)
        return tape

    def find_call(self, call_sid: str) -> tuple[Room, Caller, bool] | None:
        """(room, caller, still present) for a call in any room kept, present or departed; else None."""
        for room in self._by_sid.values():
            if call_sid in room.callers:
                return room, room.callers[call_sid], True
            if call_sid in room.departed:
                return room, room.departed[call_sid], False
        return None

    def participant_view(self, room: Room, caller: Caller, *, present: bool = True) -> Participant:
        return Participant(
            call_sid=caller.call_sid,
            conference_sid=room.sid,
            status=ParticipantStatus.CONNECTED if present else ParticipantStatus.COMPLETE,
            label=caller.label,
            muted=caller.muted,
            hold=caller.hold,
            coaching=caller.coaching,
            end_conference_on_exit=caller.end_conference_on_exit,
            start_conference_on_enter=caller.start_conference_on_enter,
            call_sid_to_coach=caller.call_sid_to_coach,
            date_created=to_datetime(caller.joined),
            date_updated=to_datetime(caller.updated),
        )

    # -- changing

    def dial(
        self, conference: str, caller: Caller, at: float, *, new_sid: str, region: str, record: bool = False
    ) -> Room:
        """Add a participant to a room named by SID, or by friendly name (opening it if none is live).

        `record` makes a room that has not started yet record from its start.
        """
        room: Room | None
        if is_conference_sid(conference):
            room = self.get(conference)
            if not room.live:
                raise Invalid(f"Conference {conference} is already completed")
        else:
            if len(conference) > MAX_NAME_LENGTH:
                raise Invalid(f"Conference name must be at most {MAX_NAME_LENGTH} characters")
            room = self.live_named(conference)
        self._check_newcomer(room, caller)
        if room is None:
            room = self.open(new_sid, conference, region, at)
        if record and room.status is ConferenceStatus.INIT:
            room.records = True
        self._add(room, caller, at)
        return room

    def open(self, sid: str, friendly_name: str, region: str, at: float, *, records: bool = False) -> Room:
        """A new room, in `init` until someone with start_conference_on_enter joins."""
        if friendly_name in self._live_by_name:
            raise Invalid(f"A conference named {friendly_name!r} is already live")
        room = Room(sid=sid, friendly_name=friendly_name, region=region, created=at, updated=at, records=records)
        self._by_sid[sid] = self._live_by_name[friendly_name] = room
        return room

    def join(self, room: Room, caller: Caller, at: float) -> None:
        if not room.live:
            raise Invalid(f"Conference {room.sid} is already completed")
        self._check_newcomer(room, caller)
        self._add(room, caller, at)

    def update(
        self,
        room: Room,
        caller: Caller,
        at: float,
        *,
        muted: bool | None = None,
        hold: bool | None = None,
        coaching: bool | None = None,
        call_sid_to_coach: str | None = None,
        end_conference_on_exit: bool | None = None,
    ) -> None:
        """Change what was given; each real change is one event (coaching and end-on-exit are `modify`)."""
        if call_sid_to_coach is not None and coaching is None:
            coaching = True  # Twilio: coaching defaults to true once there is a call to coach
        if coaching:
            self._check_coaching(room, caller.call_sid, call_sid_to_coach or caller.call_sid_to_coach)
        if muted or hold:  # a speaker muted or held falls silent first (speaking implies neither yet)
            self.stop_speaking(room, caller, at)
        kinds: list[str] = []
        if muted is not None and muted != caller.muted:
            caller.muted = muted
            kinds.append("participant-mute" if muted else "participant-unmute")
        if hold is not None and hold != caller.hold:
            caller.hold = hold
            kinds.append("participant-hold" if hold else "participant-unhold")
        modified = False
        if coaching is not None and coaching != caller.coaching:
            caller.coaching, modified = coaching, True
        target = (call_sid_to_coach or caller.call_sid_to_coach) if caller.coaching else None
        if target != caller.call_sid_to_coach:
            caller.call_sid_to_coach, modified = target, True
        if end_conference_on_exit is not None and end_conference_on_exit != caller.end_conference_on_exit:
            caller.end_conference_on_exit, modified = end_conference_on_exit, True
        if modified:
            kinds.append("participant-modify")
        if kinds:
            caller.updated = at
        for kind in kinds:
            self._emit(kind, room, caller, at)

    def leave(self, room: Room, caller: Caller, at: float, *, kicked: bool) -> None:
        """A participant hangs up or is removed; the room ends if they were its last or its end-on-exit."""
        self.stop_speaking(room, caller, at)
        del room.callers[caller.call_sid]
        room.departed[caller.call_sid] = caller
        caller.updated = at
        left = "participant_updated_via_api" if kicked else "participant_hung_up"
        self._emit("participant-leave", room, caller, at, present=False, reason_left=left)
        if caller.end_conference_on_exit:
            reason = EndReason.END_ON_EXIT_KICKED if kicked else EndReason.END_ON_EXIT_LEFT
            self.end(room, at, reason, caller.call_sid)
        elif not room.callers:
            self.end(room, at, EndReason.LAST_KICKED if kicked else EndReason.LAST_LEFT, caller.call_sid)

    def end(
        self,
        room: Room,
        at: float,
        reason: EndReason,
        call_sid: str | None = None,
        *,
        keep_for: float = COMPLETED_RETENTION,
    ) -> None:
        """Complete the room: everyone still in it drops out; the resource stays readable `keep_for` seconds."""
        left = _LEFT_AS_ROOM_ENDED.get(reason, "participant_hung_up")  # traffic's refind: they all hung up
        for caller in room.callers.values():  # the room's audio goes for everyone before anyone leaves
            self.stop_speaking(room, caller, at)
        for caller in list(room.callers.values()):
            del room.callers[caller.call_sid]
            room.departed[caller.call_sid] = caller
            caller.updated = at
            self._emit("participant-leave", room, caller, at, present=False, reason_left=left)
        if room.tape is not None:
            self._finish(room.tape, at)
        room.status = ConferenceStatus.COMPLETED
        room.reason_conference_ended = reason
        room.call_sid_ending_conference = call_sid
        room.updated = at
        del self._live_by_name[room.friendly_name]
        heapq.heappush(self._expiring, (at + keep_for, room.sid))
        self._emit("conference-end", room, None, at)

    def start_speaking(self, room: Room, caller: Caller, at: float) -> None:
        """A present participant starts talking; only one the room hears can (in progress, not muted or held)."""
        if room.status is not ConferenceStatus.IN_PROGRESS or caller.muted or caller.hold or caller.speaking:
            raise Invalid(f"Participant {caller.call_sid} cannot start speaking now")
        caller.speaking = True
        self._emit("participant-speech-start", room, caller, at)

    def stop_speaking(self, room: Room, caller: Caller, at: float) -> None:
        """A speaker falls silent; a silent caller stays so, and nothing is told."""
        if caller.speaking:
            caller.speaking = False
            self._emit("participant-speech-stop", room, caller, at)

    def record(self, room: Room, call_sid: str, at: float) -> None:
        """Start the room's recording (once), credited to the call that started the room."""
        if room.tape is None:
            room.tape = Tape(sid="RE" + call_sid[2:], call_sid=call_sid, started=at, updated=at)

    def change_recording(self, room: Room, tape: Tape, status: str, at: float, *, pause_behavior: str | None) -> None:
        """Twilio's update of a recording: pause, resume (in-progress) or stop it while its room records.

        Asking for the status it already has changes nothing. A stopped or completed recording
        cannot change again (Twilio's 21220); neither can a bad Status or PauseBehavior be asked for.
        """
        if status not in RECORDING_CHANGES:
            raise Invalid(f"Status must be one of {', '.join(RECORDING_CHANGES)}, not {status!r}")
        if pause_behavior is not None and pause_behavior not in PAUSE_BEHAVIORS:
            raise Invalid(f"PauseBehavior must be one of {', '.join(PAUSE_BEHAVIORS)}, not {pause_behavior!r}")
        current = self.recording_status(room, tape)
        if current in ("stopped", "completed"):
            raise Invalid(f"Recording {tape.sid} is {current}: it cannot be changed any more", code=21220)
        if status == current:
            return
        if status == "paused":
            tape.paused, tape.skipping = at, pause_behavior == "skip"
        elif status == "in-progress":
            self._end_pause(tape, at)
        else:
            self._finish(tape, at)
        tape.updated = at

    def delete_recording(self, tape: Tape, at: float) -> None:
        """Delete a recording; one still recording stops first, and the room never records again."""
        self._finish(tape, at)
        tape.deleted = True

    def announce(self, room: Room, caller: Caller | None, url: str, method: str, at: float) -> Announcement:
        """Play a URL to the room or to one caller; nothing plays, so it ends at once (announcement-end)."""
        if not room.live:
            raise Invalid(f"Conference {room.sid} is not in progress", code=20001)
        announcement = Announcement(room.sid, caller.call_sid if caller else None, url, method, at)
        self._emit("announcement-end", room, caller, at, announcement=announcement)
        return announcement

    def prune(self, now: float) -> None:
        """Forget completed rooms whose time is up. Draws nothing and emits nothing: no future changes."""
        while self._expiring and self._expiring[0][0] <= now:
            _, sid = heapq.heappop(self._expiring)
            del self._by_sid[sid]

    # -- internals

    def _finish(self, tape: Tape, at: float) -> None:
        """The recording stops taking audio (stopped, or its room ended); once the room ends it is complete."""
        self._end_pause(tape, at)
        if tape.ended is None:
            tape.ended = at
        tape.updated = at  # stopping, and completing when the room ends, are both changes of status

    @staticmethod
    def _end_pause(tape: Tape, at: float) -> None:
        if tape.paused is not None and tape.skipping:
            tape.skipped += at - tape.paused
        tape.paused, tape.skipping = None, False

    def _check_newcomer(self, room: Room | None, caller: Caller) -> None:
        if caller.label is not None:
            if len(caller.label) > MAX_NAME_LENGTH:
                raise Invalid(f"Label must be at most {MAX_NAME_LENGTH} characters")
            if room is not None and room.find(caller.label) is not None:
                raise Invalid(f"Label {caller.label!r} is already used in this conference", code=16025)
        if caller.coaching:
            if room is None:
                raise Invalid("CallSidToCoach must name a participant of the conference")
            self._check_coaching(room, caller.call_sid, caller.call_sid_to_coach)

    @staticmethod
    def _check_coaching(room: Room, coach: str, coached: str | None) -> None:
        if coached is None or coached == coach or coached not in room.callers:
            raise Invalid("CallSidToCoach must name another participant of the conference")

    def _add(self, room: Room, caller: Caller, at: float) -> None:
        caller.joined = caller.updated = at
        room.callers[caller.call_sid] = caller
        self._emit("participant-join", room, caller, at)
        if room.status is ConferenceStatus.INIT and caller.start_conference_on_enter:
            room.status = ConferenceStatus.IN_PROGRESS
            room.updated = at
            if room.records:
                self.record(room, caller.call_sid, at)
            self._emit("conference-start", room, None, at)

    def _emit(
        self,
        kind: str,
        room: Room,
        caller: Caller | None,
        at: float,
        *,
        present: bool = True,
        announcement: Announcement | None = None,
        reason_left: str | None = None,
    ) -> None:
        room.sequence += 1  # counted even unheard, so numbering never depends on who listens
        if not self.listeners:
            return
        participant = self.participant_view(room, caller, present=present) if caller else None
        event = WorldEvent(kind, self.conference_view(room), participant, room.sequence, at, announcement, reason_left)
        for listener in self.listeners:
            listener(event)
