"""A simulated world's own callback stream, delivered any way Twilio might (reordered, repeated,
lost), then one reconcile sweep over HTTP: the store ends up showing the simulator's true state.

The stream goes through the real wire path (the sender's form, the receiver's parser); the sweep
through the real client against the real simulator. Who is talking is not compared: no API
reports it, so no sweep can repair a lost speech callback.
"""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from confmon.api.client import ConferenceClient
from confmon.callbacks.events import parse_event
from confmon.clock import FrozenClock
from confmon.model import ConferenceEvent, ConferenceStatus
from confmon.secret import Secret
from confmon.sim.callbacks import callback_params
from confmon.sim.server import SimServer
from confmon.sim.world import World
from confmon.store import Store

ACCOUNT = "AC" + "c0" * 16
TOKEN = "convergence-token"

Truth = dict[str, dict[str, tuple[bool, bool]]]  # live room -> present caller -> (muted, hold)


def truth(world: World) -> Truth:
    return {
        c.sid: {p.call_sid: (p.muted, p.hold) for p in world.participants(c.sid)}
        for c in world.conferences()
        if c.status is not ConferenceStatus.COMPLETED
    }


def shown(store: Store) -> Truth:
    return {
        key.sid: {
            call_sid: (m.participant.muted, m.participant.hold)
            for call_sid, m in room.members.items()
            if m.left_at is None
        }
        for key, room in store.rooms.items()
        if room.ended_at is None
    }


async def sweep_into(store: Store, world: World) -> None:
    server = SimServer(world, auth_token=TOKEN)
    base_url = await server.start()
    try:
        async with ConferenceClient(
            base_url=base_url, account_sid=ACCOUNT, username=ACCOUNT, password=Secret(TOKEN), clock=world.clock
        ) as client:
            store.apply_snapshot(await client.sweep())
    finally:
        await server.stop()


def stream(seed: int, minutes: int) -> tuple[World, FrozenClock, list[ConferenceEvent], Store]:
    """A world polled once at the start, then `minutes` of its traffic as parsed callbacks."""
    clock = FrozenClock()
    world = World(seed, clock, ACCOUNT, target_rooms=4, participants_per_room=(2, 5))
    store = Store(clock)
    asyncio.run(sweep_into(store, world))
    forms: list[dict[str, str]] = []
    world.listeners.append(lambda event: forms.append(callback_params(event)))
    for _ in range(minutes * 6):
        clock.advance(10)
        world.advance(clock.now())
    return world, clock, [parse_event(form) for form in forms], store


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16), minutes=st.integers(1, 15), data=st.data())
def test_any_delivery_of_a_worlds_stream_then_one_sweep_converges(seed: int, minutes: int, data: st.DataObject) -> None:
    world, clock, events, store = stream(seed, minutes)
    copies = data.draw(st.lists(st.integers(0, 2), min_size=len(events), max_size=len(events)), label="copies")
    delivered = data.draw(st.permutations([e for e, n in zip(events, copies, strict=True) for _ in range(n)]))

    for event in delivered:
        store.apply_event(event)
    clock.advance(1)  # the reconcile sweep begins after the last callback arrived
    asyncio.run(sweep_into(store, world))

    assert shown(store) == truth(world)


def test_the_stream_in_order_needs_no_sweep() -> None:
    """Without loss, the callbacks alone are the truth: the sweep is only a safety net."""
    world, _, events, store = stream(seed=5, minutes=10)
    assert len(events) > 20
    for event in events:
        store.apply_event(event)
    assert shown(store) == truth(world)
