"""ConfmonApp: the panes and the keys, over a session. No I/O and no state of its own.

Data flows one way: the session tells the app that something changed; at most once a frame the app
takes an update of frozen views and turns it into rows. Keys become intents sent to
the session (moderate, refresh, the rooms on screen).
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from confmon.find import Find, Sort, compile_find, sorted_rooms
from confmon.model import Action, OutcomeStatus, RoomKey, Target
from confmon.session import Session, Subscription
from confmon.ui import export
from confmon.ui.keyed_table import KeyedTable
from confmon.ui.panes import EventLog, Flash, ParticipantsTable, RoomsTable, room_detail
from confmon.ui.screens import AnnounceScreen, ConfirmScreen, FilterBar, HelpScreen, RoomDetailScreen
from confmon.ui.status import StatusBar
from confmon.views import FeedStatus, LogEntry, LogKind, MemberView, RoomView, Update

# Write actions: the binding's action name -> what it asks the moderator to do.
_PARTICIPANT_ACTIONS = {"mute": Action.MUTE, "unmute": Action.UNMUTE, "hold": Action.HOLD, "kick": Action.KICK}
_WRITE_ACTIONS = {*_PARTICIPANT_ACTIONS, "end", "announce", "mute_all_but_hosts"}
# Actions on marked participants sent at once, at most: 200 marks must not starve the poll of connections.
_BULK_AT_ONCE = 4
# Shift+letter sorts the focused table, k9s-style; again reverses. (key, column, name, help)
_SORT_KEYS = (
    ("N", "name", "name", "Sort by name (again: reverse)"),
    ("S", "status", "status", "Sort by status: live rooms first (again: reverse)"),
    ("P", "people", "participants", "Sort rooms by how many are in them (again: reverse)"),
    ("M", "muted", "muted", "Sort by muted (again: reverse)"),
    ("A", "age", "age", "Sort by age, or time in the room: oldest first (again: reverse)"),
    ("U", "updated", "last change", "Sort rooms by their last change, latest first (again: reverse)"),
)
# A participants table has no people or updated column; its age is the time in the room.
_PARTICIPANT_COLUMNS = {"name": "name", "status": "status", "muted": "muted", "age": "time"}
# Textual's palette commands that mean nothing here.
_NOT_OURS = frozenset({"Keys"})
# Rooms the session is told the operator looks at: the selected one and those on screen.
_PRIORITY_ROWS = 60
# Seconds: the most often an update is taken and drawn. Frames are the terminal's, so they are paced
# in real time, not on the session's clock (a frozen test clock must not freeze the screen). Pacing
# by paints instead (one flush per painted frame) painted half again as many frames under a flood
# of callbacks and accepted about a tenth fewer of them (benchmarks/callbacks.py, 1,000 rooms).
FRAME = 1 / 30


class ConfmonApp(App[None]):
    CSS_PATH = "confmon.tcss"
    TITLE = "confmon"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        # Quit and help first: the footer keeps what fits from the left, and these must stay at 80x24.
        Binding("q", "quit", "Quit", id="quit", tooltip="Quit confmon"),
        Binding("question_mark", "help", "Help", id="help", key_display="?", tooltip="Show every key"),
        Binding("m", "mute", "Mute", id="mute", tooltip="Mute the selected participant"),
        Binding("u", "unmute", "Unmute", id="unmute", tooltip="Unmute the selected participant"),
        Binding("h", "hold", "Hold", id="hold", tooltip="Put the selected participant on hold, or take them off it"),
        Binding("k", "kick", "Kick", id="kick", tooltip="Remove the selected participant (asks first)"),
        Binding("e", "end", "End room", id="end", tooltip="End the selected room for everyone (asks first)"),
        Binding(
            "a", "announce", "Announce", id="announce",
            tooltip="Play a URL to the selected participant (participants pane) or room (rooms pane)",
        ),
        Binding(
            "slash", "filter", "Find", id="filter", key_display="/",
            tooltip="Find rooms by name, SID or a caller's name, number or call SID (a regular expression; ! inverts)",
        ),
        Binding("r", "refresh", "Refresh", id="refresh", tooltip="Poll now"),
        Binding(
            "space", "mark", "Mark", id="mark", show=False,
            tooltip="Mark or unmark the selected participant: m, u, h and k then act on every marked one",
        ),
        Binding("ctrl+space,ctrl+@", "mark_range", "Mark range", id="mark.range", show=False, key_display="ctrl+space",
                tooltip="Mark every participant from the last one marked to the selected one"),
        Binding("ctrl+backslash", "clear_marks", "Clear marks", id="mark.clear", show=False,
                tooltip="Unmark every participant"),
        Binding("o", "mute_all_but_hosts", "Mute all but hosts", id="mute.others", show=False,
                tooltip="Mute everyone in the selected room but its hosts (asks first, listing them)"),
        Binding(
            "ctrl+s", "export", "Export", id="export", show=False,
            tooltip="Save the rooms on screen (found and sorted as shown) as CSV and JSON, and say where",
        ),
        Binding(
            "p", "pause", "Pause", id="pause",
            tooltip="Freeze the screen while the data keeps coming in; again shows it all at once",
        ),
        *(
            Binding(key, f"sort('{column}')", f"Sort by {what}", id=f"sort.{column}", show=False, tooltip=tip)
            for key, column, what, tip in _SORT_KEYS
        ),
        Binding("tab", "focus_next", "Pane", id="pane", tooltip="Move between rooms, participants and events"),
    ]

    # The keys of the participant actions, to explain them when pressed where they cannot act.
    _PARTICIPANT_KEYS: ClassVar[dict[str, str]] = {
        b.key: b.action for b in BINDINGS if isinstance(b, Binding) and b.action in _PARTICIPANT_ACTIONS
    }

    def __init__(self, session: Session, *, export_dir: Path | None = None) -> None:
        super().__init__()
        self.session = session
        self.export_dir = export_dir  # where ctrl+s saves the rooms on screen; None: it cannot
        self.clock = session.clock
        self.capabilities = session.capabilities
        self.read_only = session.read_only
        self.find = Find()
        self.room_sort = Sort()
        self.member_sort = Sort()
        # What the session last told this face: every room by key, as frozen views.
        self.rooms_seen: dict[RoomKey, RoomView] = {}
        self.status: FeedStatus = session.status()
        self._subscription: Subscription | None = None
        self._flush_scheduled = False
        self._last_flush = 0.0  # time.monotonic() of the last flush
        self._bindings_state: tuple[bool | None, ...] = ()
        self._titles: dict[Widget, str] = {}
        self._note = ""  # a failure of this face itself (a flush that raised)
        self._talk_decided = False
        # The next flush looks at every room, not only those that changed (the filter changed).
        self._redraw_all = True
        self.paused = False  # the screen is frozen; the session's changes wait in the subscription
        self.flash = Flash()  # the colours of news: set from the theme once mounted
        self._find_changed = False  # the next flush applies a new find: the selection follows it
        self._find_anchor: RoomKey | None = None  # the room selected when `/` was pressed
        self._find_kept = False  # Enter kept the find: a selection it moves is told
        # Marked participants, in the order marked: the targets of the next participant key.
        self.marks: dict[tuple[RoomKey, str], str] = {}
        self._last_marked: str | None = None  # where the next ctrl+space range starts

    # ---- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Kept by reference: App.query_one searches the active screen, which is a modal while a
        # dialog is open, and the panes must keep updating underneath it.
        self.rooms = RoomsTable(self.capabilities, id="rooms")
        self.participants = ParticipantsTable(self.capabilities, speaking=self.session.callbacks, id="participants")
        self.event_log = EventLog(id="events")
        self.status_bar = StatusBar(id="status")
        self.filter_bar = FilterBar()
        with Vertical(id="rooms-pane") as self.rooms_pane:
            yield self.filter_bar
            yield self.rooms
        with Horizontal(id="lower"):
            yield self.participants
            yield self.event_log
        yield self.status_bar
        yield Footer()

    def on_mount(self) -> None:
        theme = self.current_theme
        self.flash = Flash(new=theme.success or "green", changed=theme.warning or "yellow", ended=theme.error or "red")
        self.rooms_pane.border_title = "Rooms"
        self.participants.border_title = "Participants"
        self.event_log.border_title = "Events"
        self.filter_bar.display = False
        self.rooms.focus()
        self._render_status()
        self._subscription = self.session.subscribe(self._schedule_flush)
        self._run_session()

    # ---- the session --------------------------------------------------------------------------

    @work(group="session", exclusive=True, exit_on_error=False)
    async def _run_session(self) -> None:
        await self.session.run()

    async def on_unmount(self) -> None:
        if self._subscription is not None:
            self.session.unsubscribe(self._subscription)
        await self.session.aclose()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed worker becomes visible: on the status bar and in the log."""
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self._show_failure(f"{event.worker.group} failed: {type(error).__name__}: {error}")

    def _show_failure(self, note: str) -> None:
        self._note = note
        self._show_log([LogEntry(self.clock.now(), LogKind.ERROR, note)])
        self._render_status()

    # ---- changes -> screen --------------------------------------------------------------------

    def _schedule_flush(self) -> None:
        """At most one flush per frame: under a stream of callbacks, flushing per batch would keep
        the message queue busy, and Textual paints only when that queue is empty."""
        if self._flush_scheduled:
            return
        self._flush_scheduled = True
        wait = self._last_flush + FRAME - time.monotonic()
        if wait > 0:
            self.set_timer(wait, self._flush_changes, name="flush")
        else:
            self.call_later(self._flush_changes)

    def _flush_changes(self) -> None:
        # Runs from a timer or call_later: an exception here would end the app, so it is shown instead.
        self._flush_scheduled = False
        self._last_flush = time.monotonic()
        if not self.is_running or self._subscription is None:  # a flush scheduled just before exit
            return
        if self.paused:  # only the status bar moves (it says how much is waiting), and a new find or sort
            if self._redraw_all:
                self._redraw_all = False
                self._show_rooms(self.clock.now())
                self._render_participants()
                self._render_titles()
            self._render_status()
            return
        update = self._subscription.take()
        try:
            self._apply(update)
        except Exception as error:  # shown, not swallowed: raising here would end the app
            self._show_failure(f"display failed: {type(error).__name__}: {error}")

    def _apply(self, update: Update) -> None:
        self._show_log(update.log)
        self.status = update.status
        if update.status.health.last_error is None and update.status.health.last_success_at is not None:
            self._note = ""  # a good poll clears the last failure of this face too
        seen = self.rooms_seen
        if update.resync:
            seen.clear()
        seen.update(update.rooms)
        for key in update.removed:
            seen.pop(key, None)
        self._decide_talk()
        now = self.clock.now()
        changed = None  # every room; else only these, in the order the session gave them (new rows go last)
        if not (self._redraw_all or update.resync or update.ticked):
            changed = (*update.rooms, *update.removed)
        self._redraw_all = False
        if self.flash.since == math.inf and seen:  # the first load: what it brought is not news
            self.flash = dataclasses.replace(self.flash, since=now)
        if changed is None or changed:
            self._show_rooms(now, changed)
        self._prune_marks()
        self._render_participants(now)
        self._render_titles()
        self._refresh_bindings_if_changed()
        self._tell_what_is_looked_at()
        self._render_status()

    def _follow_find(self) -> None:
        """The find changed: keep the room selected when `/` was pressed, or, while the find hides
        it, select its nearest neighbour in the table's order; once the find is kept (Enter), say so,
        since a key pressed now acts on another room than the one the operator last looked at."""
        anchor, shown = self._find_anchor, self.rooms.keys_shown()
        if anchor is None or anchor not in self.rooms_seen or not shown:
            return
        target = anchor
        if anchor not in shown:
            target = _nearest(anchor, shown, sorted_rooms(self.rooms_seen.values(), self.room_sort))
        if target != self.rooms.highlighted_key:
            self.rooms.select_key(target)
        if target != anchor and self._find_kept:
            hidden, now_on = self.rooms_seen[anchor].name, self.rooms_seen[target].name
            self.notify(f"selection moved to {now_on}: the find hides {hidden}", timeout=4, markup=False)

    def _decide_talk(self) -> None:
        """Callbacks were asked for but the receiver could not listen: nothing can tell who is talking."""
        if self._talk_decided or not self.status.opened:
            return
        self._talk_decided = True
        if self.session.callbacks and not self.status.mode.callbacks:
            self.participants.hide("talk")

    def _refresh_bindings_if_changed(self) -> None:
        """The footer rebuilds every key on refresh_bindings: only when what the keys may do moved."""
        state = tuple(self.check_action(name, ()) for name in sorted(_WRITE_ACTIONS))
        if state != self._bindings_state:
            self._bindings_state = state
            self.refresh_bindings()

    def _show_log(self, entries: Iterable[LogEntry]) -> None:
        self.event_log.add(entries)

    def _render_participants(self, now: float | None = None) -> None:
        now = self.clock.now() if now is None else now
        room = self.selected_room
        marked = {call_sid for key, call_sid in self.marks if room is not None and key == room.key}
        self.participants.show(room, now, self.find, self.member_sort, marked, self.flash)

    def _render_titles(self) -> None:
        shown, total, find = self.rooms.row_count, len(self.rooms_seen), self.find
        counted = f"{shown}/{total}" if find else str(total)
        title = f"Rooms {counted}" + (" · PAUSED" if self.paused else "") + (f" · find: {find.text}" if find else "")
        title += f" ({find.note})" if find.note else ""
        room = self.selected_room
        self._retitle(self.rooms_pane, title)
        marked = f" · {len(self.marks)} marked" if self.marks else ""
        self._retitle(self.participants, (f"Participants · {room.name}" if room else "Participants") + marked)

    def _retitle(self, pane: Widget, title: str) -> None:
        """Set a border title only when it changed: each assignment repaints the pane."""
        if self._titles.get(pane) != title:
            self._titles[pane] = title
            pane.border_title = Text(title)  # Text: a room's name is never markup

    def _render_status(self) -> None:
        status = self.status
        if self._note:
            status = dataclasses.replace(status, note=self._note)
        paused = self._subscription.waiting if self.paused and self._subscription is not None else None
        self.status_bar.show(status, now=self.clock.now(), paused=paused)

    def _show_rooms(self, now: float, only: tuple[RoomKey, ...] | None = None) -> None:
        self.rooms.show(self.rooms_seen, now, self.find, self.room_sort, only, self.flash)
        if self._find_changed:
            self._find_changed = False
            self._follow_find()

    def _prune_marks(self) -> None:
        """A marked caller who left, or whose room went, is no longer a target."""
        kept = {mark: name for mark, name in self.marks.items() if self._present(*mark)}
        if len(kept) != len(self.marks):
            self.marks = kept
            self._render_titles()

    def _present(self, room: RoomKey, call_sid: str) -> bool:
        view = self.rooms_seen.get(room)
        member = view.members.get(call_sid) if view else None
        return member is not None and member.present

    def _tell_what_is_looked_at(self) -> None:
        table = self.rooms
        keys = table.keys_from_top(_PRIORITY_ROWS)
        selected = table.highlighted_key
        self.session.look_at([selected, *keys] if selected else keys)

    @on(KeyedTable.RowHighlighted, "#rooms")
    def _room_highlighted(self) -> None:
        # A handler that raises ends a Textual app: shown instead, as in the flush.
        try:
            self._render_participants()
            self._render_titles()
            self.refresh_bindings()
        except Exception as error:
            self._note = f"display failed: {type(error).__name__}: {error}"
            self._schedule_flush()

    @on(KeyedTable.RowSelected, "#rooms")
    def _room_selected(self) -> None:
        room = self.selected_room
        if room is not None:
            facts, recordings = room_detail(room)
            self.push_screen(RoomDetailScreen(facts, recordings, has_recordings=self.capabilities.has_recordings))

    @on(KeyedTable.RowHighlighted, "#participants")
    def _participant_highlighted(self) -> None:
        self.refresh_bindings()

    def on_key(self, event: events.Key) -> None:
        """A participant's key in the rooms pane is greyed out and does nothing: say why, once pressed."""
        binding = self._PARTICIPANT_KEYS.get(event.key)
        if binding is not None and self.focused is self.rooms and self.check_action(binding, ()) is None:
            self.notify("select a participant first: tab to the participants pane", timeout=3, markup=False)

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()  # participant keys work only with the participants pane focused

    # ---- selection and targets ----------------------------------------------------------------

    @property
    def selected_room(self) -> RoomView | None:
        key = self.rooms.highlighted_key
        return self.rooms_seen.get(key) if key else None

    def participant_target(self) -> Target | None:
        """The participant under the cursor, only while that pane has the focus: an operator in the
        rooms pane cannot see which participant row is current, so no key may act on it."""
        if self.focused is not self.participants:
            return None
        room = self.selected_room
        key = self.participants.highlighted_key
        member = room.members.get(key) if room and key else None
        if room is None or member is None or member.left_at is not None:
            return None
        return Target(room.key, member.call_sid, name=member.name)

    def room_target(self) -> Target | None:
        room = self.selected_room
        if room is None or room.ended_at is not None:
            return None
        return Target(room.key, None, name=room.name)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what can never be done here; grey out what needs a selection first."""
        if action not in _WRITE_ACTIONS:
            return True
        if action == "mute_all_but_hosts":
            ready = self.room_target() is not None and self.status.opened
            return self.session.may(Action.MUTE) and (True if ready else None)
        if action in _PARTICIPANT_ACTIONS and self.marks:  # on marks, hold holds: it cannot toggle many
            return self.session.may(_PARTICIPANT_ACTIONS[action]) and (True if self.status.opened else None)
        if not self.session.may(self._action_for(action)):
            return False
        return True if self._target_for(action) is not None and self.status.opened else None

    def _target_for(self, name: str) -> Target | None:
        if name == "end":
            return self.room_target()
        if name == "announce":  # to whoever the focused pane points at, if this backend can
            caps = self.capabilities
            target = self.participant_target() if caps.can_announce_participant else None
            if target is None and caps.can_announce_room and self.focused is not self.participants:
                target = self.room_target()
            return target
        return self.participant_target()

    def _action_for(self, name: str) -> Action:
        if name == "hold":
            target = self.participant_target()
            member = self._member(target)
            return Action.UNHOLD if member is not None and member.participant.hold else Action.HOLD
        if name == "announce":
            return Action.ANNOUNCE
        return Action.END if name == "end" else _PARTICIPANT_ACTIONS[name]

    def _member(self, target: Target | None) -> MemberView | None:
        room = self.selected_room
        if target is None or target.call_sid is None or room is None:
            return None
        return room.members.get(target.call_sid)

    # ---- actions ------------------------------------------------------------------------------

    def action_mute(self) -> None:
        self._request("mute")

    def action_unmute(self) -> None:
        self._request("unmute")

    def action_hold(self) -> None:
        self._request("hold")

    def action_kick(self) -> None:
        self._request("kick")

    def action_end(self) -> None:
        self._request("end")

    def action_announce(self) -> None:
        target = self._target_for("announce")
        if target is None or self.check_action("announce", ()) is not True:
            self.bell()
            return

        def answered(url: str | None) -> None:
            if url:
                self._perform(Action.ANNOUNCE, dataclasses.replace(target, url=url))

        self.push_screen(AnnounceScreen(target.name), answered)

    def _request(self, name: str) -> None:
        if name in _PARTICIPANT_ACTIONS and self.marks:
            self._request_for_marked(_PARTICIPANT_ACTIONS[name])
            return
        # The target is captured now, at the key press: the row under the cursor may change later.
        target = self._target_for(name)
        if target is None or self.check_action(name, ()) is not True:
            self.bell()
            return
        action = self._action_for(name)
        if not action.destructive:
            self._perform(action, target)
            return
        room = self.selected_room
        if room is None:
            self.bell()
            return
        if action is Action.KICK:
            question = Text.assemble("Kick ", (target.name, "bold"), " from ", (room.name, "bold"), "?")
            verb = "Kick"
        elif self.capabilities.can_end:
            count = room.participant_count
            everyone = "its only participant" if count == 1 else f"all {count} participants"
            question = Text.assemble("End ", (target.name, "bold"), f" for {everyone}?")
            verb = "End room"
        else:  # no call ends a room here: say what will really happen, and to whom
            present = {m.call_sid: m.name for m in room.present()}
            everyone = "its only participant" if len(present) == 1 else f"all {len(present)} participants"
            question = Text.assemble(
                f"{self.capabilities.name} cannot end a room. Kick {everyone} of ",
                (target.name, "bold"),
                "? The room ends when the last one leaves.\n",
                *(part for name in present.values() for part in ("\n  • ", (name, "bold"))),
            )
            verb = "Kick all"
            target = dataclasses.replace(target, call_sids=tuple(present))  # exactly those listed

        def answered(yes: bool | None) -> None:
            if yes:
                self._perform(action, target)

        self.push_screen(ConfirmScreen(question, verb), answered)

    @work(group="moderation", exit_on_error=False)
    async def _perform(self, action: Action, target: Target) -> None:
        await self._moderate(action, target)

    @work(group="moderation", exit_on_error=False)
    async def _perform_many(self, action: Action, targets: list[Target]) -> None:
        """One action each, _BULK_AT_ONCE at a time, each audited and told on its own."""
        gate = asyncio.Semaphore(_BULK_AT_ONCE)

        async def one(target: Target) -> None:
            async with gate:
                await self._moderate(action, target)

        await asyncio.gather(*(one(target) for target in targets))

    async def _moderate(self, action: Action, target: Target) -> None:
        outcome = await self.session.moderate(action, target)
        if outcome.status is OutcomeStatus.FAILED:
            self.notify(f"{action} {target.name}: {outcome.error}", severity="error", markup=False)
        audit_error = self.session.audit_error
        if audit_error:
            self.notify(f"audit log not written: {audit_error}", severity="error", markup=False, timeout=10)

    def action_pause(self) -> None:
        self.paused = not self.paused
        self._render_titles()
        self._schedule_flush()  # resumed: everything that waited, at once; paused: the status says so

    # ---- marks ------------------------------------------------------------------------------------

    def action_mark(self) -> None:
        target = self.participant_target()
        if target is None or target.call_sid is None:
            self.bell()
            self.notify("marks are for participants: tab to the participants pane", timeout=3, markup=False)
            return
        key = (target.room, target.call_sid)
        if self.marks.pop(key, None) is None:
            self.marks[key] = target.name or target.call_sid
        self._last_marked = target.call_sid
        self._marks_changed()

    def action_mark_range(self) -> None:
        """Every present participant from the last one marked (in this room) to the selected one."""
        target, room = self.participant_target(), self.selected_room
        if target is None or target.call_sid is None or room is None:
            self.bell()
            return
        rows = self.participants.keys_shown()
        start = rows.index(self._last_marked) if self._last_marked in rows else rows.index(target.call_sid)
        end = rows.index(target.call_sid)
        for call_sid in rows[min(start, end) : max(start, end) + 1]:
            member = room.members.get(call_sid)
            if member is not None and member.present:
                self.marks[(room.key, call_sid)] = member.name
        self._last_marked = target.call_sid
        self._marks_changed()

    def action_clear_marks(self) -> None:
        self.marks.clear()
        self._last_marked = None
        self._marks_changed()

    def _marks_changed(self) -> None:
        self._render_participants()
        self._render_titles()
        self.refresh_bindings()

    def _marked_targets(self) -> list[Target]:
        """The marked participants still present, in the order marked."""
        marks = self.marks.items()
        return [Target(key, call_sid, name=name) for (key, call_sid), name in marks if self._present(key, call_sid)]

    def _request_for_marked(self, action: Action) -> None:
        """Every marked participant, after a dialog that lists them: the dry run, then one action each."""
        self._confirm_many(action, self._marked_targets(), f"{action} every marked participant", clear_marks=True)

    def action_mute_all_but_hosts(self) -> None:
        room = self.selected_room
        if room is None or self.check_action("mute_all_but_hosts", ()) is not True:
            self.bell()
            return
        present = list(room.present())
        targets = [
            Target(room.key, m.call_sid, name=m.name)
            for m in present
            if not m.participant.muted and not m.hosts_among(present)
        ]
        self._confirm_many(Action.MUTE, targets, f"mute everyone in {room.name} but its hosts")

    def _confirm_many(self, action: Action, targets: list[Target], what: str, *, clear_marks: bool = False) -> None:
        if not targets:
            self.bell()
            self.notify(f"{what}: nobody to {action}", timeout=3, markup=False)
            return
        lines: list[str | tuple[str, str]] = []
        for t in targets:
            room = self.rooms_seen.get(t.room)
            lines += ["\n  • ", (t.name or "?", "bold"), f"  in {room.name if room else '?'}"]
        count = "1 participant" if len(targets) == 1 else f"{len(targets)} participants"
        question = Text.assemble(f"{action.value.capitalize()} {count}? ({what})\n", *lines)

        def answered(yes: bool | None) -> None:
            if yes:  # who is still there now, not when the key was pressed
                self._perform_many(action, [t for t in targets if t.call_sid and self._present(t.room, t.call_sid)])
                if clear_marks:
                    self.action_clear_marks()

        self.push_screen(ConfirmScreen(question, f"{action.value.capitalize()} {len(targets)}"), answered)

    def action_export(self) -> None:
        if self.export_dir is None:
            self.bell()
            return
        rooms = [self.rooms_seen[key] for key in self.rooms.keys_shown()]
        self._write_export(self.export_dir, rooms, datetime.fromtimestamp(self.clock.now(), UTC))

    @work(group="export", exit_on_error=False)
    async def _write_export(self, directory: Path, rooms: list[RoomView], at: datetime) -> None:
        """Off the event loop: a slow disk must not stall the screen."""
        try:
            paths = await asyncio.to_thread(export.write, directory, rooms, at)
        except OSError as error:
            self.notify(f"export failed: {error}", severity="error", markup=False, timeout=10)
            return
        self.notify(f"saved {len(rooms)} rooms: {paths[0]} and {paths[1].name}", markup=False, timeout=10)

    def action_refresh(self) -> None:
        self.session.refresh_now()

    def action_sort(self, column: str) -> None:
        """Sort the focused table by `column` (rooms, else participants); again reverses it."""
        if self.focused is self.participants:
            member_column = _PARTICIPANT_COLUMNS.get(column)
            if member_column is None:
                self.bell()
                return
            self.member_sort = self.member_sort.toggled(member_column)
            self._render_participants()
            return
        self.room_sort = self.room_sort.toggled(column)
        self._redraw_all = True
        self._schedule_flush()

    def action_filter(self) -> None:
        self._find_anchor = self.rooms.highlighted_key or self._find_anchor
        bar = self.filter_bar
        bar.display = True
        bar.focus()

    @on(FilterBar.Changed, "#filter")  # Input messages from other screens bubble here too
    def _filter_changed(self, event: FilterBar.Changed) -> None:
        self.find = compile_find(event.value)
        self._redraw_all = self._find_changed = True
        self._find_kept = False
        self._schedule_flush()

    @on(FilterBar.Submitted, "#filter")
    def _filter_done(self, event: FilterBar.Submitted) -> None:
        self.find = compile_find(event.value)
        bar = self.filter_bar
        bar.display = bool(self.find)
        self.rooms.focus()
        self._redraw_all = self._find_changed = self._find_kept = True
        self._schedule_flush()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self._key_help(), self.read_only))

    def _offered_bindings(self) -> Iterable[Binding]:
        """Our keys, less those this session can never use (read-only, or not in this backend)."""
        return (
            b
            for b in self.BINDINGS
            if isinstance(b, Binding) and not (b.action in _WRITE_ACTIONS and self.check_action(b.action, ()) is False)
        )

    def _describe(self, binding: Binding) -> str:
        """A key's help text, true to this backend."""
        if binding.action == "end" and not self.capabilities.can_end:
            return "Kick everyone in the selected room: this API cannot end one (lists them, asks first)"
        return binding.tooltip or binding.description

    def _key_help(self) -> list[tuple[str, str]]:
        keys = [(b.key_display or b.key, self._describe(b)) for b in self._offered_bindings()]
        return [*keys, ("enter", self._details_help()), ("ctrl+p", "Command palette")]

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        # Textual's own, but its key panel: `?` shows confmon's keys, true to this backend.
        yield from (command for command in super().get_system_commands(screen) if command.title not in _NOT_OURS)
        yield SystemCommand("Details", self._details_help(), self._room_selected)
        for binding in self._offered_bindings():
            if binding.action != "quit":
                yield SystemCommand(binding.description, self._describe(binding), partial(self._run, binding.action))

    def _details_help(self) -> str:
        recordings = " and recordings" if self.capabilities.has_recordings else ""
        return f"Details{recordings} of the selected room"

    def _run(self, action: str) -> None:
        self.call_later(self.run_action, action)


def _nearest(key: RoomKey, shown: list[RoomKey], order: list[RoomView]) -> RoomKey:
    """The shown room nearest to `key` in the table's `order` (of every room): next down, then up."""
    keys = [room.key for room in order]
    visible = set(shown)
    at = keys.index(key)
    for distance in range(1, len(keys)):
        for i in (at + distance, at - distance):
            if 0 <= i < len(keys) and keys[i] in visible:
                return keys[i]
    return shown[0]

