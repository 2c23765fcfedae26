"""A table that is told the rows it should show, applies only the difference, and repaints only the
rows that changed.

Stock DataTable re-renders every visible cell on any change (60-90 ms a frame at 200x50 here), and
under a stream of status callbacks that was most of the app's CPU. This one draws with Textual's
line API: each row is rendered once into a cached Strip, a changed row drops its own Strip and asks
for its own line to be repainted, and a frame costs what changed, not what is visible. Rows are
keyed and compared as plain tuples; the cursor stays on its row's key.

When the highlighted row itself goes away, the cursor would land on whichever row slid into its
place. An operator pressing a key a moment later must not act on that row, so the table then hides
its cursor and has no selection until a cursor key or a click brings it back.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

K = TypeVar("K", bound=Hashable)

PADDING = 1  # blank cells either side of a column's text, as DataTable draws them


@dataclass(frozen=True, slots=True)
class Row:
    cells: tuple[str, ...]
    style: str = ""  # one style for the whole row: "dim" for the departed, "bold" for who is talking


def fit(text: str, width: int) -> str:
    """`text` in exactly `width` cells: padded, or cut with an ellipsis so a cut is never silent."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…" if width > 0 else ""


class _RowMessage(Message):
    def __init__(self, table: KeyedTable[Any], key: Hashable) -> None:
        super().__init__()
        self.table = table
        self.key = key

    @property
    def control(self) -> KeyedTable[Any]:
        return self.table


class KeyedTable(ScrollView, Generic[K], can_focus=True):
    COLUMNS: ClassVar[tuple[tuple[str, str, int], ...]] = ()  # every column a subclass knows: (key, label, width)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"keyed-table--header", "keyed-table--cursor"}
    # DataTable's look, so the screens read the same.
    DEFAULT_CSS = """
    KeyedTable {
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .keyed-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .keyed-table--header {
                background-tint: $foreground 5%;
            }
        }
        & > .keyed-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .keyed-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .keyed-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    class RowHighlighted(_RowMessage):
        """The cursor is on a row (by key), after a cursor key, a click or a regained selection."""

    class RowSelected(_RowMessage):
        """Enter, or a click on the highlighted row."""

    def __init__(self, *, hidden: Collection[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._set_columns(tuple(column for column in self.COLUMNS if column[0] not in hidden))
        self._shown: dict[K, Row] = {}  # in display order
        self._keys: list[K] = []  # the same order, by position
        self._index: dict[K, int] = {}
        self._cursor = 0
        self._selection_lost = False  # the cursor is hidden until a cursor key or a click
        # Rendered rows, without the cursor, for the base style they were rendered with.
        self._strips: dict[K, Strip] = {}
        self._header: Strip | None = None
        self._header_style: Style | None = None
        self._strip_style: Style | None = None
        self._row_styles: dict[str, Style] = {}
        self._sorted_by: tuple[str, bool] | None = None  # (column, reversed), marked in the header
        self.virtual_size = Size(self._width, 1)

    def _set_columns(self, columns: tuple[tuple[str, str, int], ...]) -> None:
        # Columns the backend has no data for are left out, not shown empty.
        self.columns_shown = columns
        self._width = sum(width + 2 * PADDING for _, _, width in columns)
        self._column_meta = [Style.from_meta({"column": i}) for i in range(len(columns))]

    def hide(self, *names: str) -> None:
        """Leave these columns out from now on, rows and all: what the backend turned out not to report."""
        self._set_columns(tuple(column for column in self.columns_shown if column[0] not in names))
        self._header = None
        self.reset()

    # ---- reading ------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def highlighted_key(self) -> K | None:
        if self._selection_lost or not 0 <= self._cursor < len(self._keys):
            return None
        return self._keys[self._cursor]

    def get_row_index(self, key: K) -> int:
        return self._index[key]

    def get_cell(self, key: K, column: str) -> Text:
        """What a cell shows, styled as its row is."""
        row = self._shown[key]
        position = next(i for i, (name, _, _) in enumerate(self.columns_shown) if name == column)
        return Text(row.cells[position], style=row.style)

    def keys_shown(self) -> list[K]:
        """Every row's key, top to bottom."""
        return list(self._keys)

    def keys_from_top(self, count: int) -> list[K]:
        """The keys of the first `count` rows from the top of the view down."""
        first = self.scroll_offset.y  # what is drawn: scroll_y itself may be fractional mid-drag
        return self._keys[first : first + count]

    def row(self, values: dict[str, str], style: str = "") -> Row:
        """A row from every column's value; the hidden columns' values are dropped."""
        return Row(tuple(values[key] for key, _, _ in self.columns_shown), style)

    # ---- writing ------------------------------------------------------------------------------

    def sync(self, rows: Mapping[K, Row]) -> bool:
        """Make the table show exactly `rows`, in their order for new keys; True if anything changed."""
        changes: dict[K, Row | None] = {key: None for key in self._shown if key not in rows}
        changes.update(rows)
        return self.patch(changes)

    def patch(self, rows: Mapping[K, Row | None]) -> bool:
        """Change only these rows: a Row adds or updates one (new keys go last, in this order), None
        removes it; the other rows stay as they are. True if anything changed."""
        keep = self.highlighted_key
        shown, strips = self._shown, self._strips
        moved = False  # rows came or went: every line below the first change is another row now
        updated: list[K] = []
        for key, row in rows.items():
            old = shown.get(key)
            if row is None:
                if old is not None:
                    del shown[key]
                    strips.pop(key, None)
                    moved = True
                continue
            if old == row:
                continue
            if old is None:
                moved = True
            else:
                updated.append(key)
                strips.pop(key, None)
            shown[key] = row
        if not (moved or updated):
            return False
        if moved:
            self._keys = list(shown)
            self._index = {key: i for i, key in enumerate(self._keys)}
            self.virtual_size = Size(self._width, len(self._keys) + 1)
            self.refresh()
        else:
            for key in updated:
                self.refresh_line(self._index[key] + 1)
        if keep is not None:
            if keep in shown:
                shift = self._index[keep] - self._cursor
                self._set_cursor(self._index[keep])
                if shift:  # rows above it went: keep it on its line of the screen, not off it
                    self.scroll_to(y=max(0, self.scroll_offset.y + shift), animate=False)
            else:
                self._selection_lost = True
                self._refresh_cursor_line()
        self._cursor = max(0, min(self._cursor, len(self._keys) - 1))
        return True

    def put_in_order(self, order: Sequence[K]) -> bool:
        """Show the rows in `order` (every key shown, once); the cursor stays on its row. True if
        anything moved."""
        if list(order) == self._keys:
            return False
        keep = self.highlighted_key
        self._shown = {key: self._shown[key] for key in order}
        self._keys = list(order)
        self._index = {key: i for i, key in enumerate(self._keys)}
        if keep is not None:
            self._cursor = self._index[keep]
            self._scroll_cursor_into_view()
        self.refresh()
        return True

    def mark_sorted(self, column: str | None, reverse: bool = False) -> None:
        """Show in the header which column the rows are sorted by, and which way."""
        sorted_by = (column, reverse) if column is not None else None
        if sorted_by != self._sorted_by:
            self._sorted_by = sorted_by
            self._header = None
            self.refresh_line(0)

    def _header_strip(self, style: Style) -> Strip:
        """The labels, the sorted column's with an arrow after it: in the column if it fits, else in
        the blank that follows, so no width moves."""
        labels = [label for _, label, _ in self.columns_shown]
        after = [" " * PADDING] * len(labels)
        if self._sorted_by is not None:
            column, reverse = self._sorted_by
            arrow = "▼" if reverse else "▲"
            for i, (key, label, width) in enumerate(self.columns_shown):
                if key == column and cell_len(label) < width:
                    labels[i] = label + arrow
                elif key == column:
                    after[i] = arrow
        return self._strip(tuple(labels), style, after)

    def reset(self) -> None:
        """Drop every row: only when the table starts showing something else (another room)."""
        self._shown.clear()
        self._keys.clear()
        self._index.clear()
        self._strips.clear()
        self._cursor = 0
        self._selection_lost = False
        self.virtual_size = Size(self._width, 1)
        self.scroll_to(y=0, animate=False)
        self.refresh()

    # ---- the cursor ---------------------------------------------------------------------------

    def move_cursor(self, *, row: int, scroll: bool = True) -> None:
        if not self._keys:
            return
        row = max(0, min(row, len(self._keys) - 1))
        moved = row != self._cursor
        self._set_cursor(row)
        if scroll:
            self._scroll_cursor_into_view()
        if moved:
            self.post_message(self.RowHighlighted(self, self._keys[row]))

    def select_key(self, key: K) -> None:
        """Put the cursor on this row, and show it even if the selection was lost."""
        self._selection_lost = False
        self._set_cursor(self._index[key])
        self._refresh_cursor_line()
        self._scroll_cursor_into_view()
        self.post_message(self.RowHighlighted(self, key))

    def _set_cursor(self, row: int) -> None:
        if row != self._cursor:
            self._refresh_cursor_line()
            self._cursor = row
            self._refresh_cursor_line()

    def _refresh_cursor_line(self) -> None:
        self.refresh_line(self._cursor + 1)

    def _scroll_cursor_into_view(self) -> None:
        rows = max(1, self.scrollable_content_region.height - 1)  # lines under the header
        top = self.scroll_offset.y
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + rows:
            self.scroll_to(y=self._cursor - rows + 1, animate=False)

    def _reclaim_selection(self, *, tell: bool = True) -> bool:
        """After a lost selection, the first cursor key shows the cursor where it is, without moving."""
        if not self._selection_lost or not self._keys:
            return False
        self._selection_lost = False
        self._refresh_cursor_line()
        if tell:
            self.post_message(self.RowHighlighted(self, self._keys[self._cursor]))
        return True

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 2)

    def action_cursor_up(self) -> None:
        if not self._reclaim_selection():
            self.move_cursor(row=self._cursor - 1)

    def action_cursor_down(self) -> None:
        if not self._reclaim_selection():
            self.move_cursor(row=self._cursor + 1)

    def action_page_up(self) -> None:
        if not self._reclaim_selection():
            self.move_cursor(row=self._cursor - self._page())

    def action_page_down(self) -> None:
        if not self._reclaim_selection():
            self.move_cursor(row=self._cursor + self._page())

    def action_scroll_top(self) -> None:
        if not self._reclaim_selection():
            self.move_cursor(row=0)

    def action_scroll_bottom(self) -> None:
        if not self._reclaim_selection():
            self.move_cursor(row=len(self._keys) - 1)

    def action_select_cursor(self) -> None:
        key = self.highlighted_key
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    def on_click(self, event: events.Click) -> None:
        """A click highlights a row; a click on the highlighted row selects it, as Enter does."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:  # outside, or on the header
            return
        row = self.scroll_offset.y + offset.y - 1
        if not 0 <= row < len(self._keys):
            return
        event.stop()
        if row != self._cursor:
            self._reclaim_selection(tell=False)
            self.move_cursor(row=row)
        elif not self._reclaim_selection():
            self.action_select_cursor()

    # ---- drawing ------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        base = self.rich_style
        if base != self._strip_style:  # focus tints the background: every cached row is stale
            self._strips.clear()
            self._strip_style = base
        scroll_x, scroll_y = self.scroll_offset
        fill = base  # what the line is padded with beyond the last column
        if y == 0:  # the header stays put while the rows scroll under it
            fill = base + self.get_component_rich_style("keyed-table--header")
            if self._header is None or self._header_style != fill:
                self._header = self._header_strip(fill)
                self._header_style = fill
            strip = self._header
        else:
            index = scroll_y + y - 1
            if index >= len(self._keys):
                return Strip.blank(self.size.width, base)
            key = self._keys[index]
            cached = self._strips.get(key)
            if cached is None:
                row = self._shown[key]
                cached = self._strips[key] = self._strip(row.cells, base + self._row_style(row.style))
            strip = cached
            if index == self._cursor and not self._selection_lost:
                cursor = self.get_component_rich_style("keyed-table--cursor")
                strip = Strip(Segment.apply_style(strip, post_style=cursor), strip.cell_length)
                fill = base + cursor
        return strip.crop_extend(scroll_x, scroll_x + self.size.width, fill)

    def _strip(self, cells: tuple[str, ...], style: Style, after: Sequence[str] | None = None) -> Strip:
        pad = " " * PADDING
        after = after or [pad] * len(cells)
        # Each cell keeps a segment of its own (the column in its style's meta, as DataTable's
        # cells have), so an exported SVG places every column by its own x, whatever the font.
        segments = [
            Segment(pad + fit(cell, width) + tail, style + meta)
            for (_, _, width), cell, meta, tail in zip(self.columns_shown, cells, self._column_meta, after, strict=True)
        ]
        return Strip(segments, self._width)

    def _row_style(self, name: str) -> Style:
        style = self._row_styles.get(name)
        if style is None:
            style = self._row_styles[name] = Style.parse(name) if name else Style()
        return style
