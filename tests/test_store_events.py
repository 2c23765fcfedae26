"""The store's status-callback path: ordering by SequenceNumber, duplicates, no resurrection, speech."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confmon import narrator
from confmon.clock import FrozenClock
from confmon.model import (
    Conference,
    ConferenceEvent,
    ConferenceStatus,
    EventKind,
    Participant,
    ParticipantStatus,
    RoomKey,
    Snapshot,
)
from confmon.store import RETIRED_FOR, SPEECH_TIMEOUT, Changes, Store
from confmon.views import FeedHealth

ACCOUNT = "AC" + "0" * 32
ROOM = "CF" + "1" * 32
KEY = RoomKey(ACCOUNT, ROOM)
NAME = "Sales weekly sync"
AT = datetime(2025, 11, 24, 16, 0, tzinfo=UTC)


def ca(n: int) -> str:
    return f"CA{n:032x}"


def ev(kind: EventKind, seq: int, n: int | None = None, **fields) -> ConferenceEvent:
    if n is not None and kind.about_participant:
        fields.setdefault("label", f"p{n}")
        for flag in ("muted", "hold", "coaching", "end_conference_on_exit"):
            fields.setdefault(flag, False)
    return ConferenceEvent(
        kind, ROOM, ACCOUNT, NAME, seq, AT, call_sid=ca(n) if n is not None else None, **fields
    )


def snapshot(conferences: tuple[Conference, ...], participants=None, **kw) -> Snapshot:
    """What a sweep of ACCOUNT saw."""
    return Snapshot(conferences, participants or {}, account=ACCOUNT, **kw)


def health(store: Store) -> FeedHealth:
    """How the test's account fares."""
    return store.health_of(ACCOUNT)


def texts(changes: Changes) -> list[str]:
    return [narrator.tell(note).text for note in changes.log]


def present(s: Store) -> dict[str, tuple[bool, bool]]:
    room = s.rooms.get(KEY)
    if room is None or room.ended_at is not None:
        return {}
    return {
        call_sid: (m.participant.muted, m.participant.hold)
        for call_sid, m in room.members.items()
        if m.left_at is None
    }


@pytest.fixture
def store(clock: FrozenClock) -> Store:
    """A store that has seen conference-start and alice (1) join."""
    s = Store(clock)
    s.apply_event(ev(EventKind.CONFERENCE_START, 1))
    s.apply_event(ev(EventKind.PARTICIPANT_JOIN, 2, 1, label="alice"))
    return s


# ---- each kind ------------------------------------------------------------------------------


def test_conference_start_creates_room_and_marks_freshness(clock: FrozenClock) -> None:
    s = Store(clock)
    assert health(s).last_event_at is None
    changes = s.apply_event(ev(EventKind.CONFERENCE_START, 1))
    assert changes.rooms_added == (KEY,)
    assert texts(changes) == [f"{NAME} started"]
    assert changes.health_changed
    room = s.rooms[KEY]
    assert room.conference.status is ConferenceStatus.IN_PROGRESS and room.name == NAME
    assert health(s).last_event_at == clock.now()
    clock.advance(3)
    again = s.apply_event(ev(EventKind.PARTICIPANT_JOIN, 2, 1))
    assert not again.health_changed and health(s).last_event_at == clock.now()


def test_join_adds_member(store: Store, clock: FrozenClock) -> None:
    changes = store.apply_event(ev(EventKind.PARTICIPANT_JOIN, 3, 2, label="bob", muted=True))
    assert changes.members_added == ((KEY, ca(2)),)
    assert changes.rooms_updated == (KEY,)
    assert texts(changes) == [f"bob joined {NAME}"]
    member = store.rooms[KEY].members[ca(2)]
    assert member.participant.status is ParticipantStatus.CONNECTED
    assert member.participant.muted and member.participant.label == "bob" and member.joined_at == clock.now()


@pytest.mark.parametrize(
    ("kind", "flags", "line"),
    [
        (EventKind.PARTICIPANT_MUTE, {"muted": True}, "alice muted in"),
        (EventKind.PARTICIPANT_HOLD, {"hold": True}, "alice put on hold in"),
        (EventKind.PARTICIPANT_MODIFY, {"coaching": True, "end_conference_on_exit": True}, None),
    ],
)
def test_flag_events_update_member(store: Store, kind: EventKind, flags: dict, line: str | None) -> None:
    changes = store.apply_event(ev(kind, 3, 1, label="alice", **flags))
    assert changes.members_updated == ((KEY, ca(1)),)
    assert texts(changes) == ([f"{line} {NAME}"] if line else [])
    participant = store.rooms[KEY].members[ca(1)].participant
    for flag, value in flags.items():
        assert getattr(participant, flag) is value


def test_unmute_and_unhold(store: Store) -> None:
    store.apply_event(ev(EventKind.PARTICIPANT_MUTE, 3, 1, label="alice", muted=True, hold=True))
    changes = store.apply_event(ev(EventKind.PARTICIPANT_UNMUTE, 4, 1, label="alice", hold=True))
    assert texts(changes) == [f"alice unmuted in {NAME}"]
    changes = store.apply_event(ev(EventKind.PARTICIPANT_UNHOLD, 5, 1, label="alice"))
    assert texts(changes) == [f"alice taken off hold in {NAME}"]
    assert present(store) == {ca(1): (False, False)}


def test_flags_not_carried_are_kept(store: Store) -> None:
    store.apply_event(ev(EventKind.PARTICIPANT_MUTE, 3, 1, label="alice", muted=True))
    bare = ConferenceEvent(EventKind.PARTICIPANT_HOLD, ROOM, ACCOUNT, NAME, 4, AT, call_sid=ca(1), hold=True)
    store.apply_event(bare)
    participant = store.rooms[KEY].members[ca(1)].participant
    assert participant.muted and participant.hold and participant.label == "alice"


def test_update_before_join_is_a_join(store: Store) -> None:
    changes = store.apply_event(ev(EventKind.PARTICIPANT_MUTE, 4, 2, label="bob", muted=True))
    assert changes.members_added == ((KEY, ca(2)),)
    assert present(store)[ca(2)] == (True, False)
    assert not store.apply_event(ev(EventKind.PARTICIPANT_JOIN, 3, 2, label="bob"))  # the late join
    assert present(store)[ca(2)] == (True, False)


def test_participant_event_for_unknown_room_creates_it(clock: FrozenClock) -> None:
    s = Store(clock)
    changes = s.apply_event(ev(EventKind.PARTICIPANT_JOIN, 2, 1))
    assert changes.rooms_added == (KEY,) and changes.members_added == ((KEY, ca(1)),)
    assert not s.apply_event(ev(EventKind.CONFERENCE_START, 1)).rooms_added


@pytest.mark.parametrize(
    ("word", "reason"),
    [
        ("participant_hung_up", "left"),
        ("participant_updated_via_api", "kicked"),
        ("conference_ended_via_api", "room ended"),
        ("moderator_ended_conference", "room ended"),
        ("something_new", "something_new"),
        (None, "left"),
    ],
)
def test_leave_with_reason(store: Store, clock: FrozenClock, word: str | None, reason: str) -> None:
    clock.advance(2)
    changes = store.apply_event(ev(EventKind.PARTICIPANT_LEAVE, 3, 1, reason_participant_left=word))
    assert changes.members_updated == ((KEY, ca(1)),)
    assert texts(changes) == [f"alice left {NAME}" + ("" if reason == "left" else f" ({reason})")]
    member = store.rooms[KEY].members[ca(1)]
    assert (member.left_at, member.left_reason) == (clock.now(), reason)
    assert present(store) == {}


def test_conference_end_with_reason(store: Store, clock: FrozenClock) -> None:
    clock.advance(1)
    changes = store.apply_event(
        ev(
            EventKind.CONFERENCE_END,
            9,
            reason_conference_ended="last-participant-left",
            call_sid_ending_conference=ca(1),
        )
    )
    room = store.rooms[KEY]
    assert room.ended_at == clock.now() and room.ended_reason == "last participant left: alice"
    assert room.conference.status is ConferenceStatus.COMPLETED
    assert room.conference.reason_conference_ended == "last-participant-left"
    assert room.conference.call_sid_ending_conference == ca(1)
    assert room.members[ca(1)].left_reason == "room ended"
    assert changes.members_updated == ((KEY, ca(1)),)
    assert texts(changes) == [f"{NAME} ended (last participant left: alice)"]
    # Late callbacks from before the end change nothing.
    assert not store.apply_event(ev(EventKind.PARTICIPANT_JOIN, 5, 2))
    assert not store.apply_event(ev(EventKind.PARTICIPANT_MUTE, 6, 1, muted=True))
    assert not store.apply_event(ev(EventKind.CONFERENCE_START, 1))
    assert store.rooms[KEY].ended_at is not None


@pytest.mark.parametrize(
    ("word", "label", "reason"),
    [
        ("participant-with-end-conference-on-exit-kicked", "chair", "end-on-exit participant kicked: chair"),
        ("participant-with-end-conference-on-exit-left", None, "end-on-exit participant left: alice"),
        ("conference-ended-via-api", None, "ended via API"),
        ("a-reason-from-the-future", None, "a-reason-from-the-future"),
        (None, None, "ended"),
    ],
)
def test_why_a_room_ended_in_words(store: Store, word: str | None, label: str | None, reason: str) -> None:
    store.apply_event(
        ev(EventKind.CONFERENCE_END, 9, reason_conference_ended=word, call_sid_ending_conference=ca(1),
           label_ending_conference=label)
    )
    assert store.rooms[KEY].ended_reason == reason


def test_end_of_unknown_room_keeps_late_callbacks_out(clock: FrozenClock) -> None:
    s = Store(clock)
    assert not s.apply_event(ev(EventKind.CONFERENCE_END, 9, reason_conference_ended="x")).rooms_added
    assert not s.apply_event(ev(EventKind.PARTICIPANT_JOIN, 2, 1))
    assert not s.apply_event(ev(EventKind.CONFERENCE_START, 1))
    assert ROOM not in s.rooms


def test_announcements_are_logged(store: Store) -> None:
    assert texts(store.apply_event(ev(EventKind.ANNOUNCEMENT_END, 3))) == [f"announcement in {NAME} finished"]
    failed = store.apply_event(ev(EventKind.ANNOUNCEMENT_FAIL, 4, reason_announcement_failed="bad url"))
    assert texts(failed) == [f"announcement in {NAME} failed: bad url"]
    assert not store.apply_event(ev(EventKind.ANNOUNCEMENT_FAIL, 4, reason_announcement_failed="bad url"))


# ---- ordering -------------------------------------------------------------------------------


def test_duplicates_are_ignored(store: Store, clock: FrozenClock) -> None:
    mute = ev(EventKind.PARTICIPANT_MUTE, 3, 1, muted=True)
    assert store.apply_event(mute)
    clock.advance(5)
    assert store.apply_event(mute) == Changes.empty
    assert store.apply_event(ev(EventKind.PARTICIPANT_JOIN, 2, 1)) == Changes.empty
    assert store.apply_event(ev(EventKind.CONFERENCE_START, 1)) == Changes.empty
    assert health(store).last_event_at == clock.now() - 5  # ignored callbacks are not freshness


def test_older_update_is_ignored(store: Store) -> None:
    store.apply_event(ev(EventKind.PARTICIPANT_UNMUTE, 5, 1))
    assert not store.apply_event(ev(EventKind.PARTICIPANT_MUTE, 4, 1, muted=True))
    assert present(store) == {ca(1): (False, False)}


def test_late_mute_after_leave_does_not_resurrect(store: Store) -> None:
    store.apply_event(ev(EventKind.PARTICIPANT_LEAVE, 6, 1, reason_participant_left="participant_hung_up"))
    for kind, seq in (
        (EventKind.PARTICIPANT_MUTE, 4),
        (EventKind.PARTICIPANT_HOLD, 5),
        (EventKind.PARTICIPANT_MODIFY, 3),
        (EventKind.PARTICIPANT_SPEECH_START, 5),
        (EventKind.PARTICIPANT_JOIN, 2),
    ):
        assert store.apply_event(ev(kind, seq, 1, muted=True)) == Changes.empty
    assert present(store) == {}
    assert store.rooms[KEY].members[ca(1)].left_reason == "left"


def test_leave_before_join_keeps_them_out(store: Store) -> None:
    store.apply_event(ev(EventKind.PARTICIPANT_LEAVE, 7, 2))
    assert not store.apply_event(ev(EventKind.PARTICIPANT_JOIN, 4, 2))
    assert ca(2) not in present(store)


def test_rejoin_with_higher_number(store: Store) -> None:
    store.apply_event(ev(EventKind.PARTICIPANT_LEAVE, 3, 1))
    changes = store.apply_event(ev(EventKind.PARTICIPANT_JOIN, 4, 1, label="alice"))
    assert texts(changes) == [f"alice is back in {NAME}"]
    assert changes.members_updated == ((KEY, ca(1)),)
    member = store.rooms[KEY].members[ca(1)]
    assert member.left_at is None and member.left_reason is None


def test_poll_departure_keeps_older_callbacks_out(store: Store) -> None:
    store.apply_event(ev(EventKind.PARTICIPANT_JOIN, 5, 2))
    conference = store.rooms[KEY].conference
    alice = store.rooms[KEY].members[ca(1)].participant
    store.apply_snapshot(snapshot((conference,), {ROOM: (alice,)}))  # bob's leave callback was lost
    assert not store.apply_event(ev(EventKind.PARTICIPANT_MUTE, 4, 2, muted=True))
    assert ca(2) not in present(store)


@pytest.mark.parametrize(
    "late",
    [
        (EventKind.PARTICIPANT_MUTE, {"muted": True}),
        (EventKind.PARTICIPANT_SPEECH_STOP, {}),
        (EventKind.PARTICIPANT_MODIFY, {"coaching": True}),
    ],
)
def test_a_late_callback_numbered_above_all_others_does_not_bring_back_someone_a_poll_saw_go(
    store: Store, clock: FrozenClock, late
) -> None:
    """bob's mute (4) is in flight and his leave (5) is lost; the sweep sees him gone. Number 4 is
    higher than anything received, but it is older news than the sweep."""
    store.apply_event(ev(EventKind.PARTICIPANT_JOIN, 3, 2, label="bob"))
    conference = store.rooms[KEY].conference
    alice = store.rooms[KEY].members[ca(1)].participant
    clock.advance(10)
    store.apply_snapshot(snapshot((conference,), {ROOM: (alice,)}))
    kind, flags = late
    assert store.apply_event(ev(kind, 4, 2, label="bob", **flags)) == Changes.empty
    assert ca(2) not in present(store) and store.rooms[KEY].members[ca(2)].left_reason == "left"


def test_a_join_from_before_the_poll_that_saw_them_go_is_old_news(store: Store, clock: FrozenClock) -> None:
    conference = store.rooms[KEY].conference
    clock.advance(10)
    store.apply_snapshot(snapshot((conference,), {ROOM: ()}))  # alice gone; her leave callback lost
    stale_join = dataclasses.replace(ev(EventKind.PARTICIPANT_JOIN, 7, 1, label="alice"), timestamp=AT)
    assert store.apply_event(stale_join) == Changes.empty
    assert present(store) == {}
    # A join stamped after the poll is a real return.
    rejoin = dataclasses.replace(stale_join, sequence_number=8, timestamp=datetime.fromtimestamp(clock.now(), UTC))
    assert texts(store.apply_event(rejoin)) == [f"alice is back in {NAME}"]
    assert ca(1) in present(store)


def test_a_kicked_caller_stays_gone_whatever_arrives_late(store: Store, clock: FrozenClock) -> None:
    """The confirmed kick lands before the callbacks the kick itself caused (speech-stop, leave)."""
    from confmon.model import Action, Outcome, OutcomeStatus, Target

    store.apply_event(ev(EventKind.PARTICIPANT_SPEECH_START, 3, 1, label="alice"))
    clock.advance(1)
    store.apply_outcome(Outcome(Action.KICK, Target(KEY, ca(1), name="alice"), OutcomeStatus.CONFIRMED))
    assert store.rooms[KEY].members[ca(1)].left_reason == "kicked"
    assert store.apply_event(ev(EventKind.PARTICIPANT_SPEECH_STOP, 4, 1, label="alice")) == Changes.empty
    changes = store.apply_event(
        ev(EventKind.PARTICIPANT_LEAVE, 5, 1, reason_participant_left="participant_updated_via_api")
    )
    assert texts(changes) == [] and present(store) == {}
    assert store.rooms[KEY].members[ca(1)].left_reason == "kicked"


def test_a_leave_callback_says_why_someone_a_poll_saw_go_left(store: Store) -> None:
    store.apply_snapshot(snapshot((store.rooms[KEY].conference,), {ROOM: ()}))
    assert store.rooms[KEY].members[ca(1)].left_reason == "left"
    changes = store.apply_event(
        ev(EventKind.PARTICIPANT_LEAVE, 3, 1, reason_participant_left="participant_updated_via_api")
    )
    assert changes.members_updated == ((KEY, ca(1)),) and texts(changes) == []
    assert store.rooms[KEY].members[ca(1)].left_reason == "kicked"


def test_a_late_conference_end_says_why_a_poll_ended_the_room(store: Store) -> None:
    store.apply_snapshot(snapshot((), {}))  # the room is gone from the listing: ended, reason unknown
    assert store.rooms[KEY].ended_reason == "ended"
    changes = store.apply_event(
        ev(
            EventKind.CONFERENCE_END,
            9,
            reason_conference_ended="last-participant-left",
            call_sid_ending_conference=ca(1),
        )
    )
    assert changes.rooms_updated == (KEY,) and texts(changes) == []
    room = store.rooms[KEY]
    assert room.ended_reason == "last participant left: alice"
    assert room.conference.reason_conference_ended == "last-participant-left"


def test_no_callback_reopens_a_room_a_poll_ended(store: Store) -> None:
    store.apply_snapshot(snapshot((), {}))
    for event in (
        ev(EventKind.CONFERENCE_START, 1),  # a late start
        ev(EventKind.CONFERENCE_START, 50),
        ev(EventKind.PARTICIPANT_JOIN, 51, 3),
    ):
        assert store.apply_event(event) == Changes.empty
    assert store.rooms[KEY].ended_at is not None and present(store) == {}


def test_late_or_replayed_callbacks_do_not_bring_back_a_room_that_left_the_screen(
    store: Store, clock: FrozenClock
) -> None:
    mute = ev(EventKind.PARTICIPANT_MUTE, 3, 1, label="alice", muted=True)
    store.apply_event(mute)
    store.apply_event(ev(EventKind.CONFERENCE_END, 9, reason_conference_ended="last-participant-left"))
    clock.advance(61)
    assert store.expire().rooms_removed == (KEY,)
    for event in (mute, ev(EventKind.PARTICIPANT_JOIN, 4, 2), ev(EventKind.CONFERENCE_START, 1)):
        assert store.apply_event(event) == Changes.empty
    assert ROOM not in store.rooms
    clock.advance(RETIRED_FOR)  # far past what the receiver would accept: forgotten at last
    store.expire()
    assert store._state.retired == {}


def test_end_of_a_room_never_seen_is_forgotten_in_time(clock: FrozenClock) -> None:
    s = Store(clock)
    for n in range(1000):
        s.apply_event(dataclasses.replace(ev(EventKind.CONFERENCE_END, 9), conference_sid=f"CF{n:032x}"))
    assert s.rooms == {} and len(s._state.retired) == 1000
    clock.advance(RETIRED_FOR)
    s.expire()
    assert s._state.retired == {}


def test_a_long_busy_room_keeps_one_number_per_caller(store: Store) -> None:
    """Hours of speech callbacks: the store remembers the last number per caller, not every number."""
    for seq in range(3, 20_003):
        kind = EventKind.PARTICIPANT_SPEECH_START if seq % 2 else EventKind.PARTICIPANT_SPEECH_STOP
        store.apply_event(ev(kind, seq, 1 + seq % 3, label="x"))
    numbering = store.rooms[KEY]._numbering
    assert numbering.members.keys() == {ca(1), ca(2), ca(3)} and numbering.room == 1
    assert numbering.announcements == set() and len(store._state.speaking) <= 3


def test_a_sweep_that_began_before_a_callback_cannot_undo_it(store: Store, clock: FrozenClock) -> None:
    """A sweep of many rooms takes a while; what it read before a callback arrived is older news."""
    conference = store.rooms[KEY].conference
    alice = store.rooms[KEY].members[ca(1)].participant
    began = clock.now()
    clock.advance(0.5)
    store.apply_event(ev(EventKind.PARTICIPANT_MUTE, 3, 1, muted=True, label="alice"))  # mid-sweep
    store.apply_event(ev(EventKind.PARTICIPANT_JOIN, 4, 2))  # bob joins mid-sweep
    clock.advance(0.5)
    # The sweep read alice unmuted and no bob, before either callback.
    store.apply_snapshot(snapshot((conference,), {ROOM: (alice,)}, taken_at=clock.now(), latency=clock.now() - began))
    assert present(store) == {ca(1): (True, False), ca(2): (False, False)}
    # A sweep that began after them is believed: bob has gone since, the poll says so.
    clock.advance(1)
    muted = store.rooms[KEY].members[ca(1)].participant
    store.apply_snapshot(snapshot((conference,), {ROOM: (muted,)}, taken_at=clock.now(), latency=0.1))
    assert present(store) == {ca(1): (True, False)}


def test_a_room_a_callback_opened_mid_sweep_is_not_ended_by_that_sweep(clock: FrozenClock) -> None:
    s = Store(clock)
    began = clock.now()
    clock.advance(0.5)
    s.apply_event(ev(EventKind.CONFERENCE_START, 1))
    clock.advance(0.5)
    s.apply_snapshot(snapshot((), {}, taken_at=clock.now(), latency=clock.now() - began))  # listed before it began
    assert s.rooms[KEY].ended_at is None


def test_snapshot_keeps_event_freshness(store: Store, clock: FrozenClock) -> None:
    at = health(store).last_event_at
    clock.advance(2)
    store.apply_snapshot(snapshot((store.rooms[KEY].conference,), {}))
    assert health(store).last_event_at == at and health(store).last_success_at == clock.now()


# ---- speech ---------------------------------------------------------------------------------


def test_speech_start_and_stop(store: Store, clock: FrozenClock) -> None:
    member = store.rooms[KEY].members[ca(1)]
    assert member.speaking is False
    room_changed = store.rooms[KEY].last_changed
    clock.advance(5)
    changes = store.apply_event(ev(EventKind.PARTICIPANT_SPEECH_START, 3, 1, label="alice"))
    assert changes.members_updated == ((KEY, ca(1)),) and texts(changes) == []
    assert changes.rooms_updated == () and store.rooms[KEY].last_changed == room_changed  # talk is not news of the room
    assert store.rooms[KEY].members[ca(1)].speaking is True
    store.apply_event(ev(EventKind.PARTICIPANT_MODIFY, 4, 1, label="alice", coaching=True))
    assert store.rooms[KEY].members[ca(1)].speaking is True  # other updates leave it be
    changes = store.apply_event(ev(EventKind.PARTICIPANT_SPEECH_STOP, 5, 1, label="alice", coaching=True))
    assert changes.members_updated == ((KEY, ca(1)),)
    assert store.rooms[KEY].members[ca(1)].speaking is False


@pytest.mark.parametrize("flag", ["muted", "hold"])
def test_a_muted_or_held_caller_is_not_heard(store: Store, flag: str) -> None:
    store.apply_event(ev(EventKind.PARTICIPANT_SPEECH_START, 3, 1, label="alice"))
    kind = EventKind.PARTICIPANT_MUTE if flag == "muted" else EventKind.PARTICIPANT_HOLD
    store.apply_event(ev(kind, 4, 1, label="alice", **{flag: True}))  # the speech-stop was lost
    assert store.rooms[KEY].members[ca(1)].speaking is False
    store.apply_event(ev(EventKind.PARTICIPANT_SPEECH_START, 5, 1, label="alice", **{flag: True}))
    assert store.rooms[KEY].members[ca(1)].speaking is False


def test_a_poll_that_sees_the_speaker_muted_ends_the_speech(store: Store) -> None:
    store.apply_event(ev(EventKind.PARTICIPANT_SPEECH_START, 3, 1, label="alice"))
    room = store.rooms[KEY]
    muted = dataclasses.replace(room.members[ca(1)].participant, muted=True)
    store.apply_snapshot(snapshot((room.conference,), {ROOM: (muted,)}))  # the mute callback was lost
    assert store.rooms[KEY].members[ca(1)].speaking is False


def test_a_lost_speech_stop_times_out(store: Store, clock: FrozenClock) -> None:
    store.apply_event(ev(EventKind.PARTICIPANT_SPEECH_START, 3, 1, label="alice"))
    clock.advance(SPEECH_TIMEOUT - 1)
    assert not store.expire() and store.rooms[KEY].members[ca(1)].speaking
    clock.advance(1)
    assert store.expire().members_updated == ((KEY, ca(1)),)
    assert store.rooms[KEY].members[ca(1)].speaking is False
    # Speaking again starts a new wait, measured from the new speech-start.
    store.apply_event(ev(EventKind.PARTICIPANT_SPEECH_START, 4, 1, label="alice"))
    clock.advance(SPEECH_TIMEOUT / 2)
    store.expire()
    assert store.rooms[KEY].members[ca(1)].speaking is True


def test_leaving_stops_speaking(store: Store) -> None:
    store.apply_event(ev(EventKind.PARTICIPANT_SPEECH_START, 3, 1))
    store.apply_event(ev(EventKind.PARTICIPANT_LEAVE, 4, 1))
    assert store.rooms[KEY].members[ca(1)].speaking is False


# ---- property: any delivery, then one reconcile sweep, converges --------------------------

PEOPLE = 3
OPS = ("join", "leave", "mute", "unmute", "hold", "unhold", "speak", "quiet")


@st.composite
def world(draw: st.DrawFn) -> tuple[list[ConferenceEvent], dict[str, tuple[bool, bool]]]:
    """A valid callback stream for one room, in order, and the state it leaves."""
    state: dict[int, tuple[bool, bool]] = {}
    events = [ev(EventKind.CONFERENCE_START, 1)]
    for _ in range(draw(st.integers(0, 25))):
        n = draw(st.integers(1, PEOPLE))
        op = draw(st.sampled_from(OPS))
        seq = len(events) + 1
        if n not in state:
            state[n] = (False, False)
            events.append(ev(EventKind.PARTICIPANT_JOIN, seq, n))
            continue
        muted, hold = state[n]
        if op == "leave":
            del state[n]
            events.append(ev(EventKind.PARTICIPANT_LEAVE, seq, n, muted=muted, hold=hold))
            continue
        kind = {
            "join": EventKind.PARTICIPANT_MODIFY,
            "mute": EventKind.PARTICIPANT_MUTE,
            "unmute": EventKind.PARTICIPANT_UNMUTE,
            "hold": EventKind.PARTICIPANT_HOLD,
            "unhold": EventKind.PARTICIPANT_UNHOLD,
            "speak": EventKind.PARTICIPANT_SPEECH_START,
            "quiet": EventKind.PARTICIPANT_SPEECH_STOP,
        }[op]
        muted = {"mute": True, "unmute": False}.get(op, muted)
        hold = {"hold": True, "unhold": False}.get(op, hold)
        state[n] = (muted, hold)
        events.append(ev(kind, seq, n, muted=muted, hold=hold))
    return events, {ca(n): flags for n, flags in state.items()}


def truth_snapshot(final: dict[str, tuple[bool, bool]]) -> Snapshot:
    conference = Conference(ROOM, ACCOUNT, NAME, ConferenceStatus.IN_PROGRESS)
    people = tuple(
        Participant(call_sid, ROOM, ParticipantStatus.CONNECTED, label=call_sid, muted=m, hold=h)
        for call_sid, (m, h) in final.items()
    )
    return snapshot((conference,), {ROOM: people})


@st.composite
def delivery(draw: st.DrawFn, *, lossy: bool):
    events, final = draw(world())
    copies = [event for event in events for _ in range(draw(st.integers(0 if lossy else 1, 2)))]
    return draw(st.permutations(copies)), final


@settings(max_examples=200, deadline=None)
@given(delivery(lossy=True), st.booleans())
def test_any_delivery_then_one_sweep_converges(case, polled_first: bool) -> None:
    delivered, final = case
    clock = FrozenClock()
    s = Store(clock)
    if polled_first:
        s.apply_snapshot(snapshot((Conference(ROOM, ACCOUNT, NAME, ConferenceStatus.IN_PROGRESS),), {ROOM: ()}))
    for event in delivered:
        clock.advance(0.1)
        s.apply_event(event)
    clock.advance(1)
    s.apply_snapshot(truth_snapshot(final))
    assert present(s) == final


@st.composite
def late_delivery(draw: st.DrawFn):
    """A stream split in two: what arrives before the sweep, and what arrives after it, late (some
    of it more than once, some of it never)."""
    events, final = draw(world())
    early, late = [], []
    for event in events:
        for _ in range(draw(st.integers(0, 2))):
            (late if draw(st.booleans()) else early).append(event)
    return draw(st.permutations(early)), draw(st.permutations(late)), final


@settings(max_examples=300, deadline=None)
@given(late_delivery(), st.booleans())
def test_callbacks_that_arrive_after_the_sweep_bring_back_no_one_it_saw_gone(case, expired: bool) -> None:
    """Safety: the sweep saw who is gone, and no late callback from before it brings them back,
    even once their greyed rows have expired. Liveness: the next sweep shows the truth exactly."""
    early, late, final = case
    clock = FrozenClock()
    s = Store(clock)
    for event in early:
        clock.advance(0.1)
        s.apply_event(event)
    clock.advance(5)  # the callbacks were stamped (AT) well before the sweep began
    s.apply_snapshot(truth_snapshot(final))
    assert present(s) == final
    room = s.rooms[KEY]
    seen_gone = {call_sid for call_sid, m in room.members.items() if m.left_at is not None}
    if expired:
        clock.advance(60)
        s.expire()
    for event in late:
        clock.advance(0.1)
        s.apply_event(event)
        assert not seen_gone & set(present(s)), event
    clock.advance(1)
    s.apply_snapshot(truth_snapshot(final))
    assert present(s) == final


@settings(max_examples=200, deadline=None)
@given(delivery(lossy=False))
def test_shuffled_and_duplicated_without_loss_converges_without_a_sweep(case) -> None:
    """Every callback carries the participant's whole state, so the highest number per caller wins."""
    delivered, final = case
    s = Store(FrozenClock())
    for event in delivered:
        s.apply_event(event)
    assert present(s) == final


def test_in_order_stream_matches_truth_exactly() -> None:
    events = [
        ev(EventKind.CONFERENCE_START, 1),
        ev(EventKind.PARTICIPANT_JOIN, 2, 1),
        ev(EventKind.PARTICIPANT_MUTE, 3, 1, muted=True),
        ev(EventKind.PARTICIPANT_LEAVE, 4, 1, muted=True),
        ev(EventKind.PARTICIPANT_JOIN, 5, 1),
        ev(EventKind.PARTICIPANT_JOIN, 6, 2),
        ev(EventKind.PARTICIPANT_HOLD, 7, 2, hold=True),
    ]
    s = Store(FrozenClock())
    for event in reversed(events):
        s.apply_event(dataclasses.replace(event))
    assert present(s) == {ca(1): (False, False), ca(2): (False, True)}


def test_a_late_leave_from_before_the_sweep_does_not_let_a_late_join_bring_them_back() -> None:
    """Found by the property above: the caller left (18), came back (19) and left again (20, lost).
    The sweep saw them gone; 18 and 19 arrive after it. The leave is older than that sighting, so
    it must not lift the guard that keeps the join, also from before the sweep, out."""
    clock = FrozenClock()
    s = Store(clock)
    s.apply_event(ev(EventKind.PARTICIPANT_MODIFY, 17, 1))
    clock.advance(5)
    s.apply_snapshot(snapshot((Conference(ROOM, ACCOUNT, NAME, ConferenceStatus.IN_PROGRESS),), {ROOM: ()}))
    for event in (ev(EventKind.PARTICIPANT_LEAVE, 18, 1), ev(EventKind.PARTICIPANT_JOIN, 19, 1)):
        clock.advance(0.1)
        s.apply_event(event)
    assert present(s) == {}
