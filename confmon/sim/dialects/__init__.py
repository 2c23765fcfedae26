"""The APIs the simulator speaks, one module each, all over the same `World`.

- twilio2010 (`twilio2010.py`, shapes in `twilio2010_shapes.py`, XML in `twilio2010_xml.py`), with
  its two copies, signalwire and telnyx, as flavors of the same class;
- twilio2008 (`twilio2008.py`): the legacy XML API;
- restcomm (`restcomm.py`, representations in `restcomm_shapes.py`).

Every dialect of the registry is served: by the simulator dialect its spec names (`sim_dialect`).
"""

from __future__ import annotations

from confmon import registry
from confmon.sim.dialects.base import Dialect
from confmon.sim.world import World


def _classes() -> dict[str, type[Dialect]]:
    from confmon.sim.dialects.restcomm import RestComm
    from confmon.sim.dialects.twilio2008 import Twilio2008
    from confmon.sim.dialects.twilio2010 import SignalWire, Telnyx, Twilio2010

    return {d.name: d for d in (Twilio2010, Twilio2008, RestComm, SignalWire, Telnyx)}


NAMES = registry.NAMES


def make(name: str, world: World) -> Dialect:
    """The simulator serving the dialect `name` (one of NAMES) over `world`; registry.UnknownDialect (a
    ValueError) for any other name."""
    return _classes()[registry.get(name).sim_dialect](world)
