"""The APIs the simulator speaks, one module each, all over the same `World`.

- twilio2010 (`twilio2010.py`, shapes in `twilio2010_shapes.py`, XML in `twilio2010_xml.py`), with
  its two copies, signalwire and telnyx, as flavors of the same class;
- twilio2008 (`twilio2008.py`): the legacy XML API;
- restcomm (`restcomm.py`, representations in `restcomm_shapes.py`).
"""

from __future__ import annotations

from confmon.sim.dialects.base import Dialect
from confmon.sim.world import World


def _registry() -> dict[str, type[Dialect]]:
    from confmon.sim.dialects.restcomm import RestComm
    from confmon.sim.dialects.twilio2008 import Twilio2008
    from confmon.sim.dialects.twilio2010 import SignalWire, Telnyx, Twilio2010

    return {d.name: d for d in (Twilio2010, Twilio2008, RestComm, SignalWire, Telnyx)}


NAMES = ("twilio2010", "twilio2008", "restcomm", "signalwire", "telnyx")


def make(name: str, world: World) -> Dialect:
    """The dialect registered under `name` (one of NAMES), serving `world`; ValueError for any other."""
    try:
        cls = _registry()[name]
    except KeyError:
        raise ValueError(f"unknown dialect {name!r}; known: {', '.join(NAMES)}") from None
    return cls(world)
