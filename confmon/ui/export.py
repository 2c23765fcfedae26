"""ctrl+s: the rooms on screen, as shown (found and sorted), saved as CSV for a spreadsheet and as
JSON (with each room's participants) for a script, in the words and columns of `confmon ls`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from confmon.listing import render_csv, render_json
from confmon.views import RoomView


def write(directory: Path, rooms: Sequence[RoomView], at: datetime) -> tuple[Path, Path]:
    """Write `rooms-<UTC time>.csv` and `.json` into `directory` (made if need be, private to the
    user: room names and callers' numbers are not for everyone on the machine); returns both paths."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    texts = (render_csv(rooms, False), render_json(rooms, True))
    name = f"rooms-{at:%Y%m%d-%H%M%S}"
    for attempt in range(1, 1000):  # two saves in one second keep both
        stem = directory / (name if attempt == 1 else f"{name}-{attempt}")
        paths = (stem.with_suffix(".csv"), stem.with_suffix(".json"))
        if not any(path.exists() or path.is_symlink() for path in paths):
            break
    for path, text in zip(paths, texts, strict=True):
        # O_EXCL and O_NOFOLLOW: never over another file, nor through a link someone left in a shared directory.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with open(descriptor, "w", encoding="utf-8", newline="") as file:
            file.write(text + "\n")
    return paths
