"""A DataTable that is told the rows it should show and applies only the difference.

Stock DataTable repaints and re-measures on every mutation, and `clear()` loses the cursor, so a
live table must never be cleared and refilled: rows are keyed, compared as plain tuples, and only
changed cells are written, inside one `batch_update`. The cursor stays on its row's key.

When the highlighted row itself goes away, DataTable would leave the cursor on whichever row slid
into its place. An operator pressing a key a moment later must not act on that row, so the table
then hides its cursor and has no selection until a cursor key or a click brings it back.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable


@dataclass(frozen=True, slots=True)
class Row:
    cells: tuple[str, ...]
    style: str = ""  # one style for the whole row: "dim" for the departed, "bold" for who is talking


class KeyedTable(DataTable):
    COLUMNS: tuple[tuple[str, str, int], ...] = ()  # every column a subclass knows: (key, label, width)

    def __init__(self, *, hidden: Collection[str] = (), **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        # Columns the backend has no data for are left out, not shown empty.
        self.columns_shown = tuple(column for column in self.COLUMNS if column[0] not in hidden)
        self._shown: dict[str, Row] = {}
        self._selection_lost = False

    def on_mount(self) -> None:
        for key, label, width in self.columns_shown:
            self.add_column(label, key=key, width=width)

    def row(self, values: dict[str, str], style: str = "") -> Row:
        """A row from every column's value; the hidden columns' values are dropped."""
        return Row(tuple(values[key] for key, _, _ in self.columns_shown), style)

    @property
    def highlighted_key(self) -> str | None:
        if self._selection_lost or not self._shown or not 0 <= self.cursor_row < self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def _reclaim_selection(self) -> bool:
        """After a lost selection, the first cursor key shows the cursor where it is, without moving."""
        if not self._selection_lost or not self.row_count:
            return False
        self._selection_lost = False
        self.show_cursor = True
        row_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        self.post_message(self.RowHighlighted(self, self.cursor_row, row_key))
        return True

    def action_cursor_up(self) -> None:
        if not self._reclaim_selection():
            super().action_cursor_up()

    def action_cursor_down(self) -> None:
        if not self._reclaim_selection():
            super().action_cursor_down()

    def action_page_up(self) -> None:
        if not self._reclaim_selection():
            super().action_page_up()

    def action_page_down(self) -> None:
        if not self._reclaim_selection():
            super().action_page_down()

    def action_scroll_top(self) -> None:
        if not self._reclaim_selection():
            super().action_scroll_top()

    def action_scroll_bottom(self) -> None:
        if not self._reclaim_selection():
            super().action_scroll_bottom()

    def on_click(self) -> None:
        self._reclaim_selection()

    def sync(self, rows: Mapping[str, Row]) -> bool:
        """Make the table show exactly `rows`, in their order for new keys; True if anything changed."""
        keep = self.highlighted_key
        shown = self._shown
        gone = [key for key in shown if key not in rows]
        changed = False
        with self.app.batch_update():
            for key in gone:
                self.remove_row(key)
                del shown[key]
                changed = True
            for key, row in rows.items():
                old = shown.get(key)
                if old == row:
                    continue
                changed = True
                if old is None:
                    self.add_row(*(Text(cell, style=row.style) for cell in row.cells), key=key)
                else:
                    for (column, _, _), cell, old_cell in zip(self.columns_shown, row.cells, old.cells):
                        if cell != old_cell or row.style != old.style:
                            self.update_cell(key, column, Text(cell, style=row.style))
                shown[key] = row
            if changed and keep is not None:
                if keep in shown:
                    index = self.get_row_index(keep)
                    if index != self.cursor_row:
                        self.move_cursor(row=index, scroll=False)
                else:
                    self._selection_lost = True
                    self.show_cursor = False
        return changed

    def reset(self) -> None:
        """Drop every row: only when the table starts showing something else (another room)."""
        self.clear()
        self._shown.clear()
        self._selection_lost = False
        self.show_cursor = True
