"""The simulator's signed callbacks, received by confmon's own receiver: two independent halves
(each checked against the twilio SDK on its own) must agree on the wire."""

from __future__ import annotations

import asyncio

from confmon.callbacks.receiver import CallbackReceiver
from confmon.clock import FrozenClock
from confmon.model import EventKind
from confmon.secret import Secret
from confmon.sim.callbacks import CallbackSender
from confmon.sim.world import World

ACCOUNT = "AC" + "e2" * 16
TOKEN = "end-to-end-token"
PUBLIC_URL = "https://confmon.example.test/confmon/events"


async def test_every_simulated_change_arrives_signed_parsed_and_in_order():
    clock = FrozenClock()
    world = World(11, clock, ACCOUNT, target_rooms=3, traffic=False)
    queue: asyncio.Queue = asyncio.Queue()
    receiver = CallbackReceiver(PUBLIC_URL, Secret(TOKEN), queue, accounts=(ACCOUNT,), clock=clock)
    host, port = await receiver.start()
    # Posted over loopback, signed for the public URL a proxy would forward from.
    sender = CallbackSender(world, f"http://{host}:{port}/confmon/events", TOKEN, sign_url=PUBLIC_URL, concurrency=1)
    await sender.start()
    try:
        room = next(c for c in world.conferences() if c.status == "in-progress" and len(world.participants(c.sid)) > 2)
        people = world.participants(room.sid)
        world.update_participant(room.sid, people[0].call_sid, muted=not people[0].muted)
        world.remove_participant(room.sid, people[-1].call_sid, reason="kicked")
        world.end_conference(room.sid)
        await sender.drain()
        events = [queue.get_nowait() for _ in range(queue.qsize())]
    finally:
        await sender.stop()
        await receiver.stop()

    assert sender.stats.failed == 0
    kinds = [event.kind for event in events]
    assert kinds[0] in (EventKind.PARTICIPANT_MUTE, EventKind.PARTICIPANT_UNMUTE)
    assert EventKind.PARTICIPANT_LEAVE in kinds and kinds[-1] == EventKind.CONFERENCE_END
    assert all(event.conference_sid == room.sid for event in events)
    numbers = [event.sequence_number for event in events]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert events[-1].reason_conference_ended == "conference-ended-via-api"
