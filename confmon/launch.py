"""The one place a session and its app are built: the CLI, the demo, the snapshot tests, the
screenshot script and the benchmarks all come through here, so they run the same thing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from confmon.backend import Sources
from confmon.clock import Clock
from confmon.session import Session

if TYPE_CHECKING:
    from confmon.ui.app import ConfmonApp


def make_session(
    sources: Sources, *, clock: Clock, interval: float = 2.0, reconcile_interval: float = 30.0
) -> Session:
    """`interval`: seconds between polls; while status callbacks arrive, polling of the rooms they
    cover becomes a reconcile sweep every `reconcile_interval` seconds."""
    return Session(sources, clock=clock, interval=interval, reconcile_interval=reconcile_interval)


def make_app(
    sources: Sources,
    *,
    clock: Clock,
    interval: float = 2.0,
    reconcile_interval: float = 30.0,
    export_dir: Path | None = None,
) -> ConfmonApp:
    """The monitor's screen over a session of `sources`; nothing is opened until it runs. `export_dir`:
    where ctrl+s saves what is on screen (default: `exports` in the user data directory)."""
    from confmon.ui.app import ConfmonApp  # textual is loaded only by the faces that need it

    session = make_session(sources, clock=clock, interval=interval, reconcile_interval=reconcile_interval)
    return ConfmonApp(session, export_dir=export_dir or default_export_dir())


def default_export_dir() -> Path:
    import platformdirs

    return platformdirs.user_data_path("confmon", appauthor=False) / "exports"
