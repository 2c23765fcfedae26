"""Wire formats the simulator speaks, chosen by the URL suffix (`Conferences.json`).

Only JSON for now. Each format renders a resource given its kind, because a tree format (the
2010 API's XML) names its elements after the resource, where JSON needs no such name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# Kinds a format is asked to render.
CONFERENCE = "Conference"
CONFERENCES = "Conferences"
PARTICIPANT = "Participant"
PARTICIPANTS = "Participants"
ERROR = "RestException"


@dataclass(frozen=True, slots=True)
class Format:
    content_type: str
    render: Callable[[str, Mapping[str, Any]], bytes]  # (kind, resource) -> body


def _json(kind: str, resource: Mapping[str, Any]) -> bytes:
    return json.dumps(resource, ensure_ascii=False).encode()


FORMATS: dict[str, Format] = {"json": Format("application/json", _json)}
DEFAULT = "json"
