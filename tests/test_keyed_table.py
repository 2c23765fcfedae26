"""KeyedTable on its own: rows by key, a change repaints only its row, the cursor keeps to its key."""

from __future__ import annotations

from textual.app import App, ComposeResult

from confmon.ui.keyed_table import KeyedTable, Row, fit


class Table(KeyedTable):
    COLUMNS = (("name", "Name", 12), ("state", "State", 6))


class TableApp(App[None]):
    def __init__(self, rows: int = 30) -> None:
        super().__init__()
        self.rows = rows
        self.messages: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        self.table = Table()
        yield self.table

    def on_mount(self) -> None:
        self.table.sync(rows(self.rows))
        self.table.focus()

    def on_keyed_table_row_highlighted(self, message: KeyedTable.RowHighlighted) -> None:
        self.messages.append(("highlighted", message.key))

    def on_keyed_table_row_selected(self, message: KeyedTable.RowSelected) -> None:
        self.messages.append(("selected", message.key))


def rows(n: int, **changed: Row) -> dict[str, Row]:
    table = {f"r{i}": Row((f"room {i}", "live")) for i in range(n)}
    return table | changed


def line(table: KeyedTable, y: int) -> str:
    return table.render_line(y).text


async def test_a_changed_row_repaints_only_its_own_line() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        table = app.table
        drawn: list[int] = []
        render_line = table.render_line

        def counted(y: int):
            drawn.append(y)
            return render_line(y)

        table.render_line = counted
        await pilot.pause()
        drawn.clear()
        assert table.sync(rows(30, r3=Row(("room 3", "ended"), "dim")))
        await pilot.pause()
        assert drawn == [4]  # header, then r0: r3 is the fourth line under the header
        assert "ended" in line(table, 4)
        assert not table.sync(rows(30, r3=Row(("room 3", "ended"), "dim")))  # the same rows: nothing to do


async def test_the_header_stays_while_the_rows_scroll() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        await pilot.press("end")
        assert table.highlighted_key == "r29" and table.scroll_y > 0
        assert line(table, 0).startswith(" Name") and "room 29" in line(table, 11)
        await pilot.press("home")
        assert table.highlighted_key == "r0" and table.scroll_y == 0
        await pilot.press("pagedown")  # to the last row in view, less one line of overlap
        assert table.cursor_row == 10 and table.scroll_y == 0 and "room 10" in line(table, 11)
        await pilot.press("pagedown")
        assert table.cursor_row == 20 and "room 20" in line(table, 11)


async def test_the_cursor_keeps_to_its_key_when_rows_above_go() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        await pilot.press("down", "down", "down", "down", "down")
        assert table.highlighted_key == "r5"
        table.sync({k: v for k, v in rows(30).items() if k not in ("r0", "r1", "r2")})
        assert table.highlighted_key == "r5" and table.cursor_row == 2
        table.sync(rows(30) | {"new": Row(("newcomer", "live"))})  # back, and one more at the end
        assert table.highlighted_key == "r5" and table.row_count == 31
        assert table.get_row_index("new") == 30


async def test_the_highlighted_row_keeps_its_line_on_screen_when_rows_above_it_go() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        table.move_cursor(row=20)  # scrolled: r20 on the last line
        await pilot.pause()
        top = table.scroll_offset.y
        assert top > 0 and "room 20" in line(table, 11)
        table.sync({k: v for k, v in rows(30).items() if k not in {f"r{i}" for i in range(8)}})
        await pilot.pause()
        assert table.highlighted_key == "r20" and table.scroll_offset.y == top - 8
        assert "room 20" in line(table, 11)


async def test_a_click_after_a_fractional_scroll_lands_on_the_row_drawn_there() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        table.scroll_to(y=3.6, animate=False)  # as a scrollbar drag may leave it
        await pilot.pause()
        assert "room 4 " in line(table, 1)
        await pilot.click(table, offset=(3, 1))
        assert table.highlighted_key == "r4"


async def test_a_vanished_highlighted_row_leaves_no_selection_until_a_cursor_key() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        await pilot.press("down", "down")
        table.sync({k: v for k, v in rows(30).items() if k != "r2"})
        assert table.highlighted_key is None and table.cursor_row == 2
        assert "room 3" in line(table, 3)  # r3 slid into the cursor's place, but is not selected
        await pilot.press("down")  # shows the cursor where it is, without moving
        assert table.highlighted_key == "r3"
        await pilot.press("down")
        assert table.highlighted_key == "r4"
        assert app.messages[-2:] == [("highlighted", "r3"), ("highlighted", "r4")]


async def test_a_click_highlights_and_a_second_click_selects() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        await pilot.click(table, offset=(3, 0))  # the header
        await pilot.click(table, offset=(3, 4))
        await pilot.pause()
        assert table.highlighted_key == "r3" and app.messages == [("highlighted", "r3")]
        await pilot.click(table, offset=(3, 4))
        await pilot.press("enter")
        await pilot.pause()
        assert app.messages[1:] == [("selected", "r3"), ("selected", "r3")]


async def test_cells_are_plain_text_cut_with_an_ellipsis() -> None:
    app = TableApp(rows=0)
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        table.sync({"a": Row(("[@click=app.quit]boom", "[b]x")), "b": Row(("会議室会議室会議室", "live"))})
        await pilot.pause()
        assert line(table, 1).startswith(" [@click=app…  [b]x   ")
        assert line(table, 2).startswith(" 会議室会議 …  live")  # a wide character is never cut in half
        assert table.get_cell("a", "state").plain == "[b]x"
        assert app.is_running


async def test_a_patch_changes_only_the_rows_it_names() -> None:
    app = TableApp(rows=5)
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.table
        assert table.patch({"r1": None, "r3": Row(("room 3", "ended")), "new": Row(("newcomer", "live"))})
        await pilot.pause()
        assert [line(table, y).split()[:2] for y in range(1, 6)] == [
            ["room", "0"], ["room", "2"], ["room", "3"], ["room", "4"], ["newcomer", "live"]
        ]
        assert table.get_cell("r3", "state").plain == "ended" and table.row_count == 5
        assert not table.patch({"r1": None, "r0": Row(("room 0", "live"))})  # gone already, and the same


def test_fit_pads_and_cuts_by_cells() -> None:
    assert fit("abc", 5) == "abc  "
    assert fit("abcdef", 5) == "abcd…"
    assert fit("会議室", 5) == "会議…"
    assert fit("x", 0) == ""
