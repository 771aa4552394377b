"""ContactList: virtualized, keyboard-driven, and never shows user text as markup or escapes.

The tests drive the widget through `App.run_test()` pilots. They are plain functions that call
`asyncio.run`, so they need no async plugin. None of them measures time: "fast at 100,000" is
checked as "reads only the rows on screen" (see `CountingRows`); timings live in `bench/`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from rich.cells import cell_len
from textual.pilot import Pilot

from tests.tui.fakes import CountingRows, ListApp, make_rows
from tui.widgets.columns import column_widths, fit_cell, line_cells, line_text
from tui.widgets.contact_list import ContactList, ContactRow

SIZE = (80, 24)
PAGE = SIZE[1] - 1  # rows below the header


def drive(app: ListApp, script: Callable[[Pilot[None], ContactList], Awaitable[None]]) -> None:
    """Run `app` headless at 80x24 and hand the pilot and the list to `script`."""

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await script(pilot, app.query_one(ContactList))

    asyncio.run(main())


def row(
    row_id: str, name: str, org: str = "", locality: str = "", tags: tuple[str, ...] = ()
) -> ContactRow:
    return ContactRow(row_id, name, org, locality, tags, 0)


def screen_text(widget: ContactList) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.size.height)]


def highlighted_ids(app: ListApp) -> list[str | None]:
    return [m.row_id for m in app.messages if isinstance(m, ContactList.Highlighted)]


def selected_ids(app: ListApp) -> list[str]:
    return [m.row_id for m in app.messages if isinstance(m, ContactList.Selected)]


# -- virtualization -----------------------------------------------------------------------------


def test_mounting_100k_rows_reads_only_the_rows_on_screen(rows_100k: list[ContactRow]) -> None:
    source = CountingRows(rows_100k)
    app = ListApp(source)

    async def script(pilot: Pilot[None], widget: ContactList) -> None:
        assert widget.virtual_size.height == 100_001  # header + rows
        assert source.read <= set(range(PAGE))
        assert widget.render_line(1).text.startswith(" " + rows_100k[0].name)

    drive(app, script)


def test_keys_and_set_rows_touch_only_visible_rows(rows_100k: list[ContactRow]) -> None:
    app = ListApp(rows_100k)

    async def script(pilot: Pilot[None], widget: ContactList) -> None:
        source = CountingRows(rows_100k)
        widget.set_rows(source)
        await pilot.pause()
        await pilot.press("end", "pageup", "down")
        await pilot.pause()
        # The first page (shown by set_rows), then the last two pages (End, PageUp): never all.
        assert len(source.read) <= 4 * PAGE
        assert all(i < PAGE or i >= len(rows_100k) - 3 * PAGE for i in source.read)

    drive(app, script)


def test_line_cache_stays_bounded(rows_100k: list[ContactRow]) -> None:
    app = ListApp(rows_100k)

    async def script(pilot: Pilot[None], widget: ContactList) -> None:
        for _ in range(30):
            await pilot.press("pagedown")
        await pilot.pause()
        assert len(widget._line_cache) <= widget._line_cache.maxsize

    drive(app, script)


# -- cursor and messages ------------------------------------------------------------------------


def test_down_pagedown_end_move_the_cursor(rows_100k: list[ContactRow]) -> None:
    app = ListApp(rows_100k)

    async def script(pilot: Pilot[None], widget: ContactList) -> None:
        assert widget.cursor == 0
        await pilot.press("down", "down")
        assert widget.cursor == 2
        await pilot.press("pagedown")
        assert widget.cursor == 2 + PAGE
        assert widget.scroll_offset.y == PAGE  # the cursor keeps its place on screen
        await pilot.press("end")
        assert widget.cursor == 99_999
        last_line = widget.render_line(widget.size.height - 1).text
        assert last_line.startswith(" " + rows_100k[-1].name)
        await pilot.press("down", "pagedown")  # stays put at the bottom
        assert widget.cursor == 99_999
        await pilot.press("up", "pageup")
        assert widget.cursor == 99_998 - PAGE
        await pilot.press("home", "up")
        assert widget.cursor == 0
        assert widget.scroll_offset.y == 0

    drive(app, script)


def test_cursor_moves_post_highlighted_with_the_row_id() -> None:
    rows = make_rows(50)
    app = ListApp(rows)

    async def script(pilot: Pilot[None], widget: ContactList) -> None:
        await pilot.press("down", "end")
        await pilot.pause()
        assert highlighted_ids(app) == [rows[0].id, rows[1].id, rows[-1].id]

    drive(app, script)


def test_enter_posts_selected_with_the_right_id(rows_100k: list[ContactRow]) -> None:
    app = ListApp(rows_100k)

    async def script(pilot: Pilot[None], widget: ContactList) -> None:
        await pilot.press("down", "down", "down", "enter")
        await pilot.pause()
        assert selected_ids(app) == [rows_100k[3].id]
        assert app.messages[-1].control is widget

    drive(app, script)


def test_click_highlights_then_selects() -> None:
    rows = make_rows(10)
    app = ListApp(rows)

    async def script(pilot: Pilot[None], widget: ContactList) -> None:
        await pilot.click(ContactList, offset=(5, 4))  # screen line 4 = row 3
        assert widget.cursor == 3
        await pilot.click(ContactList, offset=(5, 4))
        await pilot.pause()
        assert selected_ids(app) == [rows[3].id]
        await pilot.click(ContactList, offset=(5, 0))  # the header is not a row
        assert widget.cursor == 3

    drive(app, script)


def test_set_rows_with_a_filter_resets_the_cursor(rows_100k: list[ContactRow]) -> None:
    app = ListApp(rows_100k)
    filtered = [r for r in rows_100k[:5000] if "press" in r.tags]

    async def script(pilot: Pilot[None], widget: ContactList) -> None:
        await pilot.press("end")
        widget.set_rows(filtered)
        await pilot.pause()
        assert widget.cursor == 0
        assert widget.scroll_offset.y == 0
        assert widget.virtual_size.height == len(filtered) + 1
        assert widget.highlighted_row == filtered[0]
        assert highlighted_ids(app)[-1] == filtered[0].id
        await pilot.press("enter")
        await pilot.pause()
        assert selected_ids(app) == [filtered[0].id]

        widget.set_rows(rows_100k, cursor=70_000)  # a caller can restore a position
        await pilot.pause()
        assert widget.cursor == 70_000
        assert widget.render_line(1 + 70_000 - widget.scroll_offset.y).text.startswith(
            " " + rows_100k[70_000].name
        )

    drive(app, script)


def test_empty_rows_show_a_message_and_select_nothing() -> None:
    app = ListApp(make_rows(3))

    async def script(pilot: Pilot[None], widget: ContactList) -> None:
        widget.set_rows([])
        await pilot.pause()
        assert widget.highlighted_row is None
        assert highlighted_ids(app)[-1] is None
        await pilot.press("down", "end", "enter")
        await pilot.pause()
        assert selected_ids(app) == []
        assert "No contacts." in widget.render_line(1).text

    drive(app, script)


# -- rendering: user text is text ---------------------------------------------------------------


def test_markup_in_a_name_renders_literally() -> None:
    rows = [row("a", "Plain Person"), row("m", "[bold red]x", "[@click=quit]org", "[i]")]
    app = ListApp(rows)

    async def script(pilot: Pilot[None], widget: ContactList) -> None:
        await pilot.press("end", "up")  # the cursor on row 0, the markup row drawn plainly
        strip = widget.render_line(2)
        assert "[bold red]x" in strip.text
        assert "[@click=quit]org" in strip.text
        assert "[i]" in strip.text
        plain_style = next(iter(widget.render_line(3))).style  # a blank line
        for segment in strip:
            assert segment.style == plain_style  # not bold, not red, no @click meta
            assert segment.style is None or not segment.style.meta

    drive(app, script)


def test_escape_sequences_reach_no_segment() -> None:
    hostile = "\x1b]0;owned\x07"
    rows = [
        row("e", f"Eve{hostile}", f"\x1b[2JOrg{hostile}", "\x9b31m\x7fCity", (hostile, "t\x00g")),
        row("b", "\u202eevil\u202c \u2066name\u2069", "multi\nline\r\norg", "tab\there"),
    ]
    app = ListApp(rows)

    async def script(pilot: Pilot[None], widget: ContactList) -> None:
        for focused in (True, False):  # both cursor styles
            if not focused:
                widget.blur()
                await pilot.pause()
            for y in range(widget.size.height):
                for segment in widget.render_line(y):
                    assert not any(ch in segment.text for ch in "\x1b\x07\x9b\x7f\x00\n\r\t")
                    assert not any("\u202a" <= ch <= "\u202e" for ch in segment.text)
                    assert not any("\u2066" <= ch <= "\u2069" for ch in segment.text)
        text = screen_text(widget)
        assert "Eve]0;owned" in text[1]
        assert "evil name" in text[2]
        assert "multi line  org" in text[2]

    drive(app, script)


def test_long_and_wide_text_is_cut_with_an_ellipsis_to_the_exact_width() -> None:
    rows = [
        row("l", "N" * 500, "O" * 10_000, "C" * 100, tuple("tag" for _ in range(100))),
        row("w", "山田太郎" * 20, "株式会社" * 20, "東京", ("👩\u200d👩\u200d👧",)),
    ]
    app = ListApp(rows)

    async def script(pilot: Pilot[None], widget: ContactList) -> None:
        width = widget.scrollable_content_region.width
        for y in range(3):
            strip = widget.render_line(y)
            assert strip.cell_length == width
            assert cell_len(strip.text) == width
        assert widget.render_line(1).text.count("…") == 4
        assert "…" in widget.render_line(2).text

    drive(app, script)


def test_fit_cell_pads_and_cuts_by_cells() -> None:
    assert fit_cell("abc", 5) == "abc  "
    assert fit_cell("abcdef", 5) == "abcd…"
    assert fit_cell("東京都", 5) == "東京…"
    assert fit_cell("東京都庁", 4) == "東 …"  # a wide character never straddles the edge
    assert fit_cell("anything", 0) == ""
    assert fit_cell("x\x1b[31m", 6) == "x[31m "


def test_cursor_row_is_styled_by_its_component_class() -> None:
    app = ListApp(make_rows(5))

    async def script(pilot: Pilot[None], widget: ContactList) -> None:
        cursor_style = next(iter(widget.render_line(1))).style
        other_style = next(iter(widget.render_line(2))).style
        assert cursor_style != other_style
        assert cursor_style == widget.get_component_rich_style("contact-list--cursor")
        widget.blur()
        await pilot.pause()
        assert next(iter(widget.render_line(1))).style not in (cursor_style, other_style)

    drive(app, script)


# -- snapshot -----------------------------------------------------------------------------------


def test_snapshot_thirty_contacts(snap_compare: Any) -> None:
    rows = make_rows(30, seed=30)
    rows[4] = row("m", "[bold red]Not Bold", "Org\x1b]0;owned\x07", "Ctrl\x07City", ("a", "b"))
    assert snap_compare(ListApp(rows), terminal_size=SIZE, press=["down", "down"])


def test_no_color_keeps_the_cursor_visible(monkeypatch: Any) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = ListApp(make_rows(5))

    async def script(pilot: Pilot[None], widget: ContactList) -> None:
        assert app.no_color
        assert next(iter(widget.render_line(1))).style.reverse  # type: ignore[union-attr]
        widget.blur()
        await pilot.pause()
        assert next(iter(widget.render_line(1))).style.reverse  # type: ignore[union-attr]
        assert not next(iter(widget.render_line(2))).style.reverse  # type: ignore[union-attr]

    drive(app, script)


def test_line_cells_matches_the_rendered_text() -> None:
    for width in (0, 1, 7, 8, 9, 40, 78, 80, 200):
        text = line_text(("Name", "山田太郎" * 9, "x" * 99, ""), column_widths(width))
        assert cell_len(text) == line_cells(width)


def test_resize_refits_columns_and_keeps_the_cursor_on_screen() -> None:
    rows = make_rows(100)
    app = ListApp(rows)

    async def script(pilot: Pilot[None], widget: ContactList) -> None:
        await pilot.press(*["down"] * 20)
        await pilot.resize_terminal(50, 8)
        await pilot.pause()
        width = widget.scrollable_content_region.width
        assert width < 50
        assert all(widget.render_line(y).cell_length == width for y in range(8))
        top = widget.scroll_offset.y
        assert top <= widget.cursor < top + widget.size.height - 1
        line = 1 + widget.cursor - top
        assert widget.render_line(line).text.startswith(" " + rows[20].name[:5])

    drive(app, script)
