"""Modal screens: the confirmation asked before anything destructive, the help, the room filter."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """Yes/no for a destructive action. The safe answer has the focus, so a stray Enter cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: Text, verb: str) -> None:
        super().__init__()
        self.question = question
        self.verb = verb

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(self.question, id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.verb} (y)", variant="error", id="confirm-yes")
                yield Button("Cancel (n)", variant="primary", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, keys: list[tuple[str, str]], read_only: bool) -> None:
        super().__init__()
        self.keys = keys
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Label("confmon keys", id="help-title")
            yield Static(self._keys_table(), id="help-keys")
            note = "read-only mode: actions that change a call are hidden" if self.read_only else ""
            yield Static(Text(note + "\nEsc closes · ctrl+p opens the command palette", style="dim"), id="help-note")

    def _keys_table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        for key, description in self.keys:
            table.add_row(Text(key, style="bold"), Text(description))
        return table


class FilterBar(Input):
    """Find rooms as you type (a regular expression; `!` first inverts it); Enter keeps it, Escape clears it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "clear_filter", "Clear filter", id="filter.clear")]

    def __init__(self) -> None:
        super().__init__(placeholder="find a room, or a caller by name or number (regex; ! inverts)…", id="filter")

    def action_clear_filter(self) -> None:
        self.value = ""
        self.post_message(self.Submitted(self, ""))



class AnnounceScreen(ModalScreen[str | None]):
    """Ask for the URL to play (an MP3, a WAV, or TwiML that plays or says something)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="announce.cancel")]

    def __init__(self, target_name: str) -> None:
        super().__init__()
        self.target_name = target_name

    def compose(self) -> ComposeResult:
        with Vertical(id="announce-dialog"):
            yield Static(Text.assemble("Announce to ", (self.target_name, "bold"), ": URL to play"))
            yield Input(placeholder="https://example.com/announcement.mp3", id="announce-url")
            yield Static(Text("Enter plays it · Esc cancels", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        url = event.value.strip()
        if not url.startswith(("https://", "http://")):
            self.notify("the URL must start with http:// or https://", severity="warning", markup=False)
            return
        self.dismiss(url)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RoomDetailScreen(ModalScreen[None]):
    """Everything known about one room, and its recordings (fetched for the rooms on screen)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter,q", "dismiss", "Close", id="detail.close")]

    def __init__(
        self, fields: list[tuple[str, str]], recordings: list[tuple[str, ...]] | None, *, has_recordings: bool
    ) -> None:
        super().__init__()
        self.fields = fields
        self.recordings = recordings
        self.has_recordings = has_recordings

    def compose(self) -> ComposeResult:
        with Vertical(id="detail-dialog"):
            facts = Table.grid(padding=(0, 2))
            for name, value in self.fields:
                facts.add_row(Text(name, style="bold"), Text(value))
            yield Static(facts)
            yield Label("Recordings", id="detail-recordings-title")
            yield Static(self._recordings_table(), id="detail-recordings")
            yield Static(Text("Esc closes", style="dim"))

    def _recordings_table(self) -> Table | Text:
        if not self.has_recordings:
            return Text("this API has no recordings per room", style="dim")
        if self.recordings is None:
            return Text("not fetched yet (they are, for the rooms on screen, within a poll or two)", style="dim")
        if not self.recordings:
            return Text("none", style="dim")
        table = Table("Recording", "Status", "Duration", "Started", box=None, padding=(0, 2, 0, 0))
        for row in self.recordings:
            table.add_row(*(Text(cell) for cell in row))
        return table
