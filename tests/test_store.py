"""The store: reconciliation by diff, retention, health, action outcomes and Changes arithmetic."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confmon import narrator
from confmon.clock import FrozenClock
from confmon.model import (
    Action,
    Conference,
    ConferenceStatus,
    Outcome,
    OutcomeStatus,
    Participant,
    ParticipantStatus,
    RoomKey,
    Snapshot,
    Target,
    Unrecognized,
)
from confmon.store import Changes, Store
from confmon.store.notes import Problem
from confmon.views import FeedHealth

ACCOUNT = "AC" + "0" * 32


def conf(n: int, name: str | None = None, status: ConferenceStatus = ConferenceStatus.IN_PROGRESS) -> Conference:
    return Conference(f"CF{n:032x}", ACCOUNT, name or f"Room {n}", status)


def part(room: Conference, n: int, label: str | None = None, **fields) -> Participant:
    return Participant(f"CA{n:032x}", room.sid, ParticipantStatus.CONNECTED, label=label or f"p{n}", **fields)


def key(room: Conference) -> RoomKey:
    return RoomKey(ACCOUNT, room.sid)


def snap(rooms: dict[Conference, tuple[Participant, ...] | None], *, complete: bool = True, **kw) -> Snapshot:
    """A sweep of `rooms`; not `complete`: the listing also dropped one room record unread."""
    participants = {room.sid: people for room, people in rooms.items() if people is not None}
    return Snapshot(tuple(rooms), participants, rooms_dropped=0 if complete else 1, account=ACCOUNT, **kw)


SALES = conf(1, "Sales weekly sync")
BRIDGE = conf(2, "Incident bridge 42")
ALICE = part(SALES, 1, "alice")
BOB = part(SALES, 2, "bob")
CAROL = part(BRIDGE, 3, "carol")


@pytest.fixture
def store(clock: FrozenClock) -> Store:
    """A store that has seen its first load: Sales with alice and bob, the bridge with carol."""
    s = Store(clock)
    s.apply_snapshot(snap({SALES: (ALICE, BOB), BRIDGE: (CAROL,)}))
    return s


def health(store: Store) -> FeedHealth:
    """How the test's account fares."""
    return store.health_of(ACCOUNT)


def texts(changes: Changes) -> list[str]:
    return [narrator.tell(note).text for note in changes.log]


def present(s: Store) -> dict[tuple[str, str], Participant]:
    return {
        (sid, call_sid): member.participant
        for sid, room in s.rooms.items()
        if room.ended_at is None
        for call_sid, member in room.members.items()
        if member.left_at is None
    }


# ---- snapshots ------------------------------------------------------------------------------


def test_first_load_adds_everything_with_one_log_line(clock: FrozenClock) -> None:
    s = Store(clock)
    changes = s.apply_snapshot(snap({SALES: (ALICE, BOB), BRIDGE: (CAROL,)}))

    assert changes.rooms_added == (key(SALES), key(BRIDGE))
    assert set(changes.members_added) == {(RoomKey(ACCOUNT, p.conference_sid), p.call_sid) for p in (ALICE, BOB, CAROL)}
    assert texts(changes) == ["2 rooms, 3 participants loaded"]
    assert changes.health_changed
    assert list(s.rooms) == [key(SALES), key(BRIDGE)]
    room = s.rooms.get(key(SALES))
    assert room is not None and room.participant_count == 2 and room.first_seen == clock.now()
    assert room.members[ALICE.call_sid].joined_at == clock.now()


def test_unchanged_snapshot_is_empty(store: Store) -> None:
    # Equal values in fresh objects, as a real poll produces them.
    again = snap({dataclasses.replace(SALES): (dataclasses.replace(ALICE), BOB), BRIDGE: (CAROL,)})
    changes = store.apply_snapshot(again)
    assert changes == Changes.empty
    assert not changes


def test_join_update_and_leave_by_diff(store: Store, clock: FrozenClock) -> None:
    dave = part(SALES, 4, "dave")
    clock.advance(2)
    changes = store.apply_snapshot(
        snap({SALES: (dataclasses.replace(ALICE, muted=True), dave), BRIDGE: (CAROL,)})
    )

    alice_key, bob_key, dave_key = ((key(SALES), p.call_sid) for p in (ALICE, BOB, dave))
    assert changes.members_added == (dave_key,)
    assert set(changes.members_updated) == {alice_key, bob_key}
    assert changes.rooms_updated == (key(SALES),)  # its counts moved
    assert set(texts(changes)) == {
        "dave joined Sales weekly sync",
        "alice muted in Sales weekly sync",
        "bob left Sales weekly sync",
    }
    room = store.rooms.get(key(SALES))
    assert room is not None
    bob = room.members[BOB.call_sid]
    assert (bob.left_at, bob.left_reason) == (clock.now(), "left")
    assert room.participant_count == 2 and room.muted_count == 1
    assert room.last_changed == clock.now()


def test_departed_member_is_kept_then_expired(store: Store, clock: FrozenClock) -> None:
    store.apply_snapshot(snap({SALES: (ALICE,), BRIDGE: (CAROL,)}))
    clock.advance(19.9)
    assert not store.expire()
    assert BOB.call_sid in store.rooms.get(key(SALES)).members

    clock.advance(0.1)
    changes = store.expire()
    assert changes.members_removed == ((key(SALES), BOB.call_sid),)
    assert changes.rooms_updated == (key(SALES),)
    assert BOB.call_sid not in store.rooms.get(key(SALES)).members


def test_member_back_before_expiry_is_revived(store: Store, clock: FrozenClock) -> None:
    store.apply_snapshot(snap({SALES: (ALICE,), BRIDGE: (CAROL,)}))
    clock.advance(5)
    changes = store.apply_snapshot(snap({SALES: (ALICE, BOB), BRIDGE: (CAROL,)}))
    bob = store.rooms.get(key(SALES)).members[BOB.call_sid]
    assert bob.left_at is None and bob.joined_at == clock.now() - 5
    assert changes.members_updated == ((key(SALES), BOB.call_sid),)
    clock.advance(30)
    assert not store.expire()


def test_room_without_participants_entry_keeps_its_members(store: Store) -> None:
    changes = store.apply_snapshot(snap({SALES: None, BRIDGE: (CAROL,)}))
    assert not changes
    assert store.rooms.get(key(SALES)).participant_count == 2


def test_room_missing_from_complete_snapshot_ends(store: Store, clock: FrozenClock) -> None:
    clock.advance(3)
    changes = store.apply_snapshot(snap({SALES: (ALICE, BOB)}))

    room = store.rooms.get(key(BRIDGE))
    assert room is not None and room.ended_at == clock.now()
    assert room.conference.status is ConferenceStatus.COMPLETED
    carol = room.members[CAROL.call_sid]
    assert carol.left_at == clock.now() and carol.left_reason == "room ended"
    assert changes.rooms_updated == (key(BRIDGE),)
    assert changes.members_updated == ((key(BRIDGE), CAROL.call_sid),)
    assert texts(changes) == ["Incident bridge 42 ended"]


def test_incomplete_snapshot_never_ends_rooms(store: Store) -> None:
    changes = store.apply_snapshot(snap({SALES: (ALICE, BOB)}, complete=False))
    assert not changes
    assert store.rooms.get(key(BRIDGE)).ended_at is None


def test_ended_room_and_its_members_kept_until_ended_retention(store: Store, clock: FrozenClock) -> None:
    store.apply_snapshot(snap({SALES: (ALICE, BOB)}))
    clock.advance(30)  # past the departed retention: the ended room still shows who was in it
    assert not store.expire()
    assert CAROL.call_sid in store.rooms.get(key(BRIDGE)).members

    clock.advance(30)
    changes = store.expire()
    assert changes.rooms_removed == (key(BRIDGE),)
    assert changes.members_removed == ((key(BRIDGE), CAROL.call_sid),)
    assert store.rooms.get(key(BRIDGE)) is None
    assert list(store.rooms) == [key(SALES)]


def test_ended_room_that_comes_back_is_revived(store: Store, clock: FrozenClock) -> None:
    store.apply_snapshot(snap({SALES: (ALICE, BOB)}))
    clock.advance(10)
    changes = store.apply_snapshot(snap({SALES: (ALICE, BOB), BRIDGE: (CAROL,)}))

    room = store.rooms.get(key(BRIDGE))
    assert room.ended_at is None and room.conference == BRIDGE
    assert room.members[CAROL.call_sid].left_at is None
    assert changes.rooms_updated == (key(BRIDGE),)
    assert "Incident bridge 42 resumed" in texts(changes)
    clock.advance(60)
    assert not store.expire()


def test_conference_listed_as_completed_ends_a_known_room_and_skips_a_new_one(store: Store) -> None:
    done = dataclasses.replace(BRIDGE, status=ConferenceStatus.COMPLETED, reason_conference_ended="hung up")
    never_seen = conf(9, status=ConferenceStatus.COMPLETED)
    changes = store.apply_snapshot(snap({SALES: (ALICE, BOB), done: (), never_seen: ()}))

    room = store.rooms.get(key(BRIDGE))
    assert room.ended_at is not None and room.ended_reason == "hung up"
    assert store.rooms.get(key(never_seen)) is None
    assert not changes.rooms_added


def test_new_room_after_first_load_is_logged(store: Store) -> None:
    new = conf(7, "Standup")
    changes = store.apply_snapshot(snap({SALES: (ALICE, BOB), BRIDGE: (CAROL,), new: (part(new, 8, "erin"),)}))
    assert changes.rooms_added == (key(new),)
    assert texts(changes) == ["Standup started", "erin joined Standup"]


def test_renamed_room_is_updated(store: Store) -> None:
    renamed = dataclasses.replace(SALES, friendly_name="Sales (moved)")
    changes = store.apply_snapshot(snap({renamed: (ALICE, BOB), BRIDGE: (CAROL,)}))
    assert changes.rooms_updated == (key(SALES),) and not changes.members_updated
    assert store.rooms.get(key(SALES)).conference == renamed


# ---- health ---------------------------------------------------------------------------------


def test_errors_keep_data_and_track_age(store: Store, clock: FrozenClock) -> None:
    loaded_at = clock.now()
    clock.advance(2)
    first = store.record_error(ACCOUNT, "unavailable: connection refused")
    clock.advance(4)
    second = store.record_error(ACCOUNT, "unavailable: connection refused")

    assert texts(first) == ["poll failed: unavailable: connection refused"]
    assert first.health_changed and second.health_changed and not second.log  # counted, not logged twice
    failing = health(store)
    assert failing.failures == 2 and failing.error_since == loaded_at + 2
    assert failing.last_success_at == loaded_at == clock.now() - 6
    assert store.rooms.get(key(SALES)).participant_count == 2

    clock.advance(1)
    changes = store.apply_snapshot(snap({SALES: (ALICE, BOB), BRIDGE: (CAROL,)}, latency=0.25))
    assert texts(changes) == ["poll recovered after 2 failures"]
    assert changes.health_changed
    assert health(store).last_error is None and health(store).failures == 0 and health(store).error_since is None
    assert health(store).last_latency == 0.25 and health(store).last_success_at == clock.now()


def test_no_success_time_before_any_success(clock: FrozenClock) -> None:
    s = Store(clock)
    s.record_error(ACCOUNT, "auth failed")
    assert health(s).last_success_at is None
    assert s.rooms == {}


def test_snapshot_time_is_taken_from_the_sweep(store: Store, clock: FrozenClock) -> None:
    clock.advance(10)
    store.apply_snapshot(snap({SALES: (ALICE, BOB), BRIDGE: (CAROL,)}, taken_at=clock.now() - 1, latency=0.5))
    assert health(store).last_success_at == clock.now() - 1


# ---- outcomes -------------------------------------------------------------------------------


def alice_target() -> Target:
    return Target(key(SALES), ALICE.call_sid, "alice")


def test_pending_is_visible_and_changes_no_data(store: Store) -> None:
    changes = store.apply_outcome(Outcome(Action.MUTE, alice_target(), OutcomeStatus.PENDING))
    assert store.pending_for(key(SALES), ALICE.call_sid) is Action.MUTE
    assert store.pending == {(key(SALES), ALICE.call_sid): Action.MUTE}
    assert changes.members_updated == ((key(SALES), ALICE.call_sid),)
    assert texts(changes) == ["mute alice in Sales weekly sync…"]
    assert not store.rooms.get(key(SALES)).members[ALICE.call_sid].participant.muted


def test_confirmed_mute_uses_returned_participant(store: Store) -> None:
    store.apply_outcome(Outcome(Action.MUTE, alice_target(), OutcomeStatus.PENDING))
    returned = dataclasses.replace(ALICE, muted=True, label="alice (server)")
    changes = store.apply_outcome(Outcome(Action.MUTE, alice_target(), OutcomeStatus.CONFIRMED, participant=returned))

    assert store.pending_for(key(SALES), ALICE.call_sid) is None
    assert store.rooms.get(key(SALES)).members[ALICE.call_sid].participant == returned
    assert store.rooms.get(key(SALES)).muted_count == 1
    assert texts(changes) == ["mute alice in Sales weekly sync: confirmed"]
    assert changes.rooms_updated == (key(SALES),)


@pytest.mark.parametrize(
    ("action", "flag", "before", "after"),
    [(Action.MUTE, "muted", False, True), (Action.UNMUTE, "muted", True, False),
     (Action.HOLD, "hold", False, True), (Action.UNHOLD, "hold", True, False)],
)  # fmt: skip
def test_confirmed_without_participant_sets_the_flag(
    clock: FrozenClock, action: Action, flag: str, before: bool, after: bool
) -> None:
    s = Store(clock)
    s.apply_snapshot(snap({SALES: (dataclasses.replace(ALICE, **{flag: before}),)}))
    s.apply_outcome(Outcome(action, alice_target(), OutcomeStatus.CONFIRMED))
    assert getattr(s.rooms.get(key(SALES)).members[ALICE.call_sid].participant, flag) is after


def test_confirmed_kick_departs_the_member(store: Store, clock: FrozenClock) -> None:
    store.apply_outcome(Outcome(Action.KICK, alice_target(), OutcomeStatus.PENDING))
    changes = store.apply_outcome(Outcome(Action.KICK, alice_target(), OutcomeStatus.CONFIRMED, error="already gone"))
    alice = store.rooms.get(key(SALES)).members[ALICE.call_sid]
    assert (alice.left_at, alice.left_reason) == (clock.now(), "kicked")
    assert store.rooms.get(key(SALES)).participant_count == 1
    assert texts(changes) == ["kick alice in Sales weekly sync: confirmed (already gone)"]
    assert store.pending == {}


def test_confirmed_end_ends_the_room(store: Store, clock: FrozenClock) -> None:
    target = Target(key(BRIDGE), None, "Incident bridge 42")
    store.apply_outcome(Outcome(Action.END, target, OutcomeStatus.PENDING))
    assert store.pending_for(key(BRIDGE)) is Action.END
    changes = store.apply_outcome(Outcome(Action.END, target, OutcomeStatus.CONFIRMED))

    room = store.rooms.get(key(BRIDGE))
    assert room.ended_at == clock.now() and room.ended_reason == "ended by operator"
    assert room.conference.status is ConferenceStatus.COMPLETED
    assert room.participant_count == 0
    assert texts(changes) == ["end Incident bridge 42: confirmed", "Incident bridge 42 ended (ended by operator)"]
    assert store.pending_for(key(BRIDGE)) is None


def test_failed_outcome_clears_pending_and_changes_no_data(store: Store) -> None:
    store.apply_outcome(Outcome(Action.KICK, alice_target(), OutcomeStatus.PENDING))
    changes = store.apply_outcome(Outcome(Action.KICK, alice_target(), OutcomeStatus.FAILED, error="auth failed"))
    assert store.pending == {}
    assert store.rooms.get(key(SALES)).members[ALICE.call_sid].left_at is None
    assert [narrator.tell(note) for note in changes.log] == [
        narrator.LogEntry(changes.log[0].at, "error", "kick alice in Sales weekly sync: failed: auth failed")
    ]


def test_pending_without_an_outcome_goes_with_its_row(store: Store, clock: FrozenClock) -> None:
    store.apply_outcome(Outcome(Action.MUTE, alice_target(), OutcomeStatus.PENDING))  # its call was cancelled
    store.apply_snapshot(snap({SALES: (BOB,), BRIDGE: (CAROL,)}))
    clock.advance(20)
    store.expire()
    assert store.pending == {}


def test_outcome_for_a_target_no_longer_shown_only_logs(store: Store) -> None:
    gone = Target(RoomKey(ACCOUNT, "CF" + "f" * 32), "CA" + "f" * 32, "zed")
    changes = store.apply_outcome(Outcome(Action.MUTE, gone, OutcomeStatus.CONFIRMED))
    assert texts(changes) == ["mute zed: confirmed"]
    assert not changes.rooms_updated and not changes.members_updated


def test_sweep_begun_before_a_confirmed_action_does_not_undo_it(store: Store, clock: FrozenClock) -> None:
    swept_from = clock.now()
    clock.advance(1)
    store.apply_outcome(Outcome(Action.KICK, alice_target(), OutcomeStatus.CONFIRMED))
    store.apply_outcome(Outcome(Action.MUTE, Target(key(SALES), BOB.call_sid, "bob"), OutcomeStatus.CONFIRMED))
    store.apply_outcome(Outcome(Action.END, Target(key(BRIDGE), None, "bridge"), OutcomeStatus.CONFIRMED))
    clock.advance(1)

    stale = snap({SALES: (ALICE, BOB), BRIDGE: (CAROL,)}, taken_at=clock.now(), latency=clock.now() - swept_from)
    assert not store.apply_snapshot(stale)
    assert store.rooms.get(key(SALES)).members[ALICE.call_sid].left_at is not None
    assert store.rooms.get(key(SALES)).members[BOB.call_sid].participant.muted
    assert store.rooms.get(key(BRIDGE)).ended_at is not None

    # A sweep that began after the actions is the truth again, whatever it says.
    fresh = snap({SALES: (ALICE, BOB), BRIDGE: (CAROL,)}, taken_at=clock.now(), latency=0.5)
    store.apply_snapshot(fresh)
    assert present(store) == present_of(fresh)


# ---- Changes --------------------------------------------------------------------------------


ROOM = "CF1"
KEY = ("CF1", "CA1")


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (Changes(rooms_added=(ROOM,)), Changes(rooms_updated=(ROOM,)), Changes(rooms_added=(ROOM,))),
        (Changes(rooms_added=(ROOM,)), Changes(rooms_removed=(ROOM,)), Changes()),
        (Changes(rooms_updated=(ROOM,)), Changes(rooms_removed=(ROOM,)), Changes(rooms_removed=(ROOM,))),
        (Changes(rooms_removed=(ROOM,)), Changes(rooms_added=(ROOM,)), Changes(rooms_updated=(ROOM,))),
        (Changes(rooms_updated=(ROOM,)), Changes(rooms_updated=(ROOM,)), Changes(rooms_updated=(ROOM,))),
        (Changes(members_added=(KEY,)), Changes(members_updated=(KEY,)), Changes(members_added=(KEY,))),
        (Changes(members_added=(KEY,)), Changes(members_removed=(KEY,)), Changes()),
        (Changes(members_removed=(KEY,)), Changes(members_added=(KEY,)), Changes(members_updated=(KEY,))),
    ],
)
def test_changes_merge_is_the_net_effect(first: Changes, second: Changes, expected: Changes) -> None:
    assert first | second == expected


def test_changes_merge_keeps_order_logs_and_health() -> None:
    ka, kb, kc = (RoomKey(ACCOUNT, name) for name in "ABC")
    a = Changes(rooms_added=(ka, kb), log=(Problem(1.0, "one"),))
    b = Changes(rooms_added=(kc,), rooms_updated=(ka,), log=(Problem(2.0, "two"),), health_changed=True)
    merged = a | b
    assert merged.rooms_added == (ka, kb, kc) and not merged.rooms_updated
    assert texts(merged) == ["one", "two"]
    assert merged.health_changed
    assert a | Changes.empty is a and Changes.empty | b is b
    assert not Changes.empty and Changes(health_changed=True)


def test_changes_merge_of_a_whole_session_matches_the_store(clock: FrozenClock) -> None:
    s = Store(clock, departed_retention=1, ended_retention=1)
    total = s.apply_snapshot(snap({SALES: (ALICE, BOB)}))
    total |= s.apply_snapshot(snap({SALES: (ALICE,), BRIDGE: (CAROL,)}))
    clock.advance(2)
    total |= s.expire()
    total |= s.apply_snapshot(snap({SALES: (ALICE,)}))
    clock.advance(2)
    total |= s.expire()
    # A face that saw nothing before needs only these rows: exactly what is in the store.
    assert total.rooms_added == (key(SALES),) and not total.rooms_removed
    assert total.members_added == ((key(SALES), ALICE.call_sid),) and not total.members_removed


# ---- scale ----------------------------------------------------------------------------------


def big_snapshot(rooms: int, per_room: int, muted_every: int = 0) -> Snapshot:
    conferences = tuple(conf(r) for r in range(rooms))
    return Snapshot(
        account=ACCOUNT,
        conferences=conferences,
        participants={
            c.sid: tuple(
                Participant(f"CA{r:016x}{i:016x}", c.sid, ParticipantStatus.CONNECTED,
                            muted=bool(muted_every) and i % muted_every == 0)
                for i in range(per_room)
            )
            for r, c in enumerate(conferences)
        },
    )  # fmt: skip


def test_thousand_rooms_of_ten(clock: FrozenClock) -> None:
    s = Store(clock)
    first = s.apply_snapshot(big_snapshot(1000, 10))
    assert len(first.rooms_added) == 1000 and len(first.members_added) == 10_000
    assert texts(first) == ["1000 rooms, 10000 participants loaded"]
    assert not s.apply_snapshot(big_snapshot(1000, 10))
    changed = s.apply_snapshot(big_snapshot(1000, 10, muted_every=5))
    assert len(changed.members_updated) == 2000 and len(changed.rooms_updated) == 1000
    assert sum(room.muted_count for room in s.rooms.values()) == 2000


# ---- property -------------------------------------------------------------------------------


POOL = [conf(n) for n in range(4)]


def present_of(snapshot: Snapshot) -> dict[tuple[str, str], Participant]:
    return {(RoomKey(ACCOUNT, sid), p.call_sid): p for sid, people in snapshot.participants.items() for p in people}


@st.composite
def snapshots(draw: st.DrawFn, *, final: bool = False) -> Snapshot:
    rooms = draw(st.lists(st.sampled_from(POOL), unique=True))
    entries: dict[Conference, tuple[Participant, ...] | None] = {}
    for room in rooms:
        names = draw(st.dictionaries(st.integers(0, 5), st.tuples(st.booleans(), st.booleans()), max_size=4))
        people = tuple(part(room, n, muted=muted, hold=hold) for n, (muted, hold) in names.items())
        entries[dataclasses.replace(room, region=draw(st.sampled_from([None, "us1"])))] = (
            people if final or draw(st.booleans()) else None
        )
    return snap(entries, complete=final or draw(st.booleans()))


@settings(max_examples=200, deadline=None)
@given(
    history=st.lists(st.tuples(snapshots(), st.floats(0, 90)), max_size=6),
    final=snapshots(final=True),
)
def test_final_complete_snapshot_is_what_the_store_shows(
    history: list[tuple[Snapshot, float]], final: Snapshot
) -> None:
    clock = FrozenClock()
    s = Store(clock)
    for snapshot, pause in history:
        s.apply_snapshot(snapshot)
        clock.advance(pause)
        s.expire()
    s.apply_snapshot(final)

    assert present(s) == present_of(final)
    live = {key: room.conference for key, room in s.rooms.items() if room.ended_at is None}
    assert live == {RoomKey(ACCOUNT, c.sid): c for c in final.conferences}


# ---- several accounts -----------------------------------------------------------------------


def test_several_accounts_feed_one_store_without_touching_each_other(clock: FrozenClock) -> None:
    """Each account's sweep speaks for its own rooms only: a room of another account, even one with
    the same conference SID, is another room, and one account failing leaves the other's health alone."""
    other = "AC" + "1" * 32
    s = Store(clock)
    s.apply_snapshot(snap({SALES: (ALICE,)}))
    twin = dataclasses.replace(SALES, account_sid=other, friendly_name="Sales, the other account")
    s.apply_snapshot(Snapshot((twin, BRIDGE), {twin.sid: (BOB,)}, account=other))
    assert set(s.rooms) == {key(SALES), RoomKey(other, SALES.sid), RoomKey(other, BRIDGE.sid)}
    assert s.rooms[RoomKey(other, SALES.sid)].name == "Sales, the other account"

    clock.advance(1)
    changes = s.apply_snapshot(snap({}))  # the first account's rooms are all gone
    assert changes.rooms_updated == (key(SALES),)
    assert s.rooms[key(SALES)].ended_at is not None
    assert all(s.rooms[RoomKey(other, sid)].ended_at is None for sid in (SALES.sid, BRIDGE.sid))

    s.record_error(other, "unavailable: connection refused")
    assert s.health_of(other).failures == 1 and health(s).failures == 0


def test_records_read_in_part_are_counted_on_the_health_and_named_once_in_the_log(store: Store) -> None:
    odd = (f"participant {ALICE.call_sid}: muted is not a boolean", "conference #3 dropped: sid is missing")
    changes = store.apply_snapshot(snap({SALES: (ALICE, BOB), BRIDGE: (CAROL,)}, problems=odd))
    assert (health(store).partly_read, health(store).partly_read_first) == (2, odd[0])
    assert [text for text in texts(changes) if "read in part" in text] == [f"read in part: {p}" for p in odd]
    again = store.apply_snapshot(snap({SALES: (ALICE, BOB), BRIDGE: (CAROL,)}, problems=odd))
    assert not [text for text in texts(again) if "read in part" in text]  # told once, still counted
    assert health(store).partly_read == 2 and store.rooms[key(BRIDGE)].participant_count == 1
    store.apply_snapshot(snap({SALES: (ALICE, BOB), BRIDGE: (CAROL,)}))
    assert (health(store).partly_read, health(store).partly_read_first) == (0, None)


def test_a_flood_of_odd_records_is_told_in_a_few_lines(store: Store) -> None:
    odd = tuple(f"conference #{n} dropped: sid is missing" for n in range(1, 1001))
    told = [text for text in texts(store.apply_snapshot(snap({SALES: None}, problems=odd))) if "read in part" in text]
    assert len(told) == 5 and told[-1].endswith("(and 995 others)")


# ---- records a sweep dropped ------------------------------------------------------------------
# A record without a readable sid is dropped from its listing (the client counts them in
# `rooms_dropped`, and per room in `participants_dropped`): whoever it was may still be there.


def test_a_dropped_room_record_does_not_end_that_room(store: Store, clock: FrozenClock) -> None:
    clock.advance(1)
    dropped = ("conference #2 dropped: sid is missing",)  # the bridge, unreadable this once
    changes = store.apply_snapshot(snap({SALES: (ALICE, BOB)}, complete=False, problems=dropped))
    assert store.rooms[key(BRIDGE)].ended_at is None and (key(BRIDGE), CAROL.call_sid) in present(store)
    assert not changes.rooms_updated and not [text for text in texts(changes) if "ended" in text]


def test_a_dropped_participant_record_does_not_depart_the_caller(store: Store, clock: FrozenClock) -> None:
    """Bob's record was dropped: he stays; alice's change and dave's arrival are still taken."""
    dave = part(SALES, 4, "dave")
    muted_alice = dataclasses.replace(ALICE, muted=True)
    clock.advance(1)
    dropped = (f"room {SALES.sid}: participant #2 dropped: call_sid is missing",)
    changes = store.apply_snapshot(
        snap({SALES: (muted_alice, dave), BRIDGE: ()}, problems=dropped, participants_dropped={SALES.sid: 1})
    )
    assert {call_sid: p for (room, call_sid), p in present(store).items() if room == key(SALES)} == {
        ALICE.call_sid: muted_alice,
        BOB.call_sid: BOB,
        dave.call_sid: dave,
    }
    assert (key(BRIDGE), CAROL.call_sid) not in present(store)  # the bridge's list was whole: carol left
    assert set(texts(changes)) >= {"dave joined Sales weekly sync", "carol left Incident bridge 42"}
    assert not [text for text in texts(changes) if text.startswith("bob")]

    clock.advance(1)  # the next whole list decides
    changes = store.apply_snapshot(snap({SALES: (muted_alice, dave), BRIDGE: ()}))
    assert (key(SALES), BOB.call_sid) not in present(store) and "bob left Sales weekly sync" in texts(changes)


def test_a_record_that_stays_unreadable_holds_back_no_one_else(store: Store, clock: FrozenClock) -> None:
    """The bridge's record (and bob's) turn unreadable and stay so: the bridge and bob may be those
    records, so stay; what goes missing later, while as many records are dropped, has gone."""
    clock.advance(1)
    store.apply_snapshot(snap({SALES: (ALICE,)}, complete=False, participants_dropped={SALES.sid: 1}))
    assert store.rooms[key(BRIDGE)].ended_at is None and (key(SALES), BOB.call_sid) in present(store)

    clock.advance(1)  # alice leaves; the same records are still unreadable
    changes = store.apply_snapshot(snap({SALES: ()}, complete=False, participants_dropped={SALES.sid: 1}))
    assert "alice left Sales weekly sync" in texts(changes)
    assert (key(SALES), BOB.call_sid) in present(store)

    clock.advance(1)  # the sales room ends; the bridge's record is still unreadable
    changes = store.apply_snapshot(snap({}, complete=False))
    assert store.rooms[key(SALES)].ended_at is not None and store.rooms[key(BRIDGE)].ended_at is None

    clock.advance(1)  # the bridge's record reads again, without carol
    store.apply_snapshot(snap({BRIDGE: ()}))
    assert (key(BRIDGE), CAROL.call_sid) not in present(store)


def test_a_record_read_in_part_still_reconciles(store: Store, clock: FrozenClock) -> None:
    """An undocumented status is read, not dropped: the room stays live, who is missing has left."""
    odd_room = dataclasses.replace(SALES, status=Unrecognized("paused"))
    odd_alice = dataclasses.replace(ALICE, status=Unrecognized(""))
    clock.advance(1)
    partly = (f"room {SALES.sid}: participant {ALICE.call_sid}: status is missing",)
    changes = store.apply_snapshot(snap({odd_room: (odd_alice,)}, problems=partly))
    assert present(store) == {(key(SALES), ALICE.call_sid): odd_alice}  # bob left, the bridge ended
    assert store.rooms[key(SALES)].conference == odd_room and store.rooms[key(SALES)].ended_at is None
    assert store.rooms[key(BRIDGE)].ended_at is not None
    assert "bob left Sales weekly sync" in texts(changes)
    assert health(store).partly_read_first == partly[0]
