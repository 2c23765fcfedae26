"""Where the tests find reference data: here, one way.

The checkout carries copies of what the tests read (so a clean clone needs nothing beside it); the
project's shared/ folder, beside the checkout when it is there, holds the originals the copies are
checked against.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
SEED_EXAMPLES = DATA / "seeds"  # every XML and JSON example of the seed documents, verbatim
WIRE_EXAMPLES = DATA / "wire"  # bodies the simulator must be able to answer with
OPENAPI = DATA / "twilio_api_v2010_conferences.json"  # Twilio's OpenAPI description of conferences

SHARED = Path(__file__).resolve().parents[2] / "shared"
SHARED_SEEDS = SHARED / "seeds"
SHARED_OPENAPI = SHARED / "reference" / OPENAPI.name
