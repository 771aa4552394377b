"""A contact list that stays smooth at 100,000 contacts.

The rule: the list's cost follows the screen, not the vault. It is a Line API widget
(`ScrollView` + `render_line`): it creates no widget per contact, keeps a reference to the row
sequence it is given rather than copying it, and renders only the rows on screen, each at most once
per (row, width, cursor state) while it stays in a small LRU cache. Pressing Down re-renders two
lines; scrolling a page re-renders one screenful. Nothing walks the whole sequence.

The reason: the alternatives (a `DataTable`, or one `ListItem` per contact) build objects per row,
so mounting time and memory grow with the vault, and a filter that changes the row set would pay
that again on every keystroke. `bench/bench_tui_list.py` checks 100,000 rows against 200.

Every cell goes through `tui.safe_text.safe` and is drawn as a `Segment`, which never parses markup,
so a contact named ``[bold red]x`` shows literally and one holding an escape sequence shows inert.

Layout: a fixed header line (Name | Organization | City | Tags), then one line per contact. The
columns (see `tui.widgets.columns`) share the width by fixed proportions and cut long text with an
ellipsis, so four columns fit an 80-column terminal. There is no horizontal scrolling.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.safe_text import safe
from tui.widgets.columns import HEADERS, column_widths, line_cells, line_text

__all__ = ["ContactList", "ContactRow"]


@dataclass(frozen=True, slots=True)
class ContactRow:
    """What the list needs to draw one contact: already decrypted, never yet sanitized.

    The fields hold raw user data; the widget sanitizes them when it draws them, so callers must
    not pre-escape them (escaping would show up literally).
    """

    id: str
    name: str
    org: str
    locality: str
    tags: tuple[str, ...]
    updated: int


_CACHE_SIZE = 256
MARK = "✓"
"""Drawn before the name of a marked contact (one cell; reads without colour)."""
"""Rendered lines kept: several screens of a tall terminal, a few tens of kilobytes."""
_HEADER = -1
"""Cache key index of the header line."""


class ContactList(ScrollView, can_focus=True):
    """A virtualized, keyboard-driven list of contacts.

    Give it rows with `set_rows()`; it posts `ContactList.Highlighted` when the cursor lands on a
    row and `ContactList.Selected` on Enter (or a click on the highlighted row).
    """

    ALLOW_SELECT = False
    """Mouse clicks move the cursor; they do not start a text selection."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "contact-list--header",
        "contact-list--cursor",
        "contact-list--empty",
    }

    DEFAULT_CSS = """
    ContactList {
        width: 1fr;
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        background: $surface;
        color: $foreground;
        & > .contact-list--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .contact-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .contact-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .contact-list--empty {
            color: $text-muted;
            text-style: italic;
        }
        /* NO_COLOR: the cursor must stay visible without colour. */
        &:nocolor > .contact-list--cursor {
            text-style: reverse;
        }
        &:nocolor:focus > .contact-list--cursor {
            text-style: reverse bold;
        }
    }
    """

    class Highlighted(Message):
        """The cursor moved to a row, or the rows changed; `row_id` is None if there are none."""

        def __init__(self, contact_list: ContactList, row_id: str | None, index: int) -> None:
            self.contact_list = contact_list
            self.row_id = row_id
            self.index = index
            super().__init__()

        @property
        def control(self) -> ContactList:
            """The list that posted this message."""
            return self.contact_list

    class Selected(Message):
        """The user chose the highlighted row (Enter)."""

        def __init__(self, contact_list: ContactList, row_id: str, index: int) -> None:
            self.contact_list = contact_list
            self.row_id = row_id
            self.index = index
            super().__init__()

        @property
        def control(self) -> ContactList:
            """The list that posted this message."""
            return self.contact_list

    def __init__(
        self,
        rows: Sequence[ContactRow] = (),
        *,
        empty_message: str = "No contacts.",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Create the list.

        Args:
            rows: The initial rows (kept by reference, not copied).
            empty_message: Shown when there are no rows.
            name: Textual widget name.
            id: Textual widget id.
            classes: Textual CSS classes.
            disabled: Start disabled.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._rows: Sequence[ContactRow] = rows
        self._cursor = 0
        self._empty_message = empty_message
        self._marked: AbstractSet[str] = frozenset()
        self._line_cache: LRUCache[tuple[int, int, int], Strip] = LRUCache(_CACHE_SIZE)
        self._style_cache: dict[tuple[str | None, bool], Style] = {}
        self.virtual_size = Size(0, len(rows) + 1)

    # -- public API ---------------------------------------------------------------------------

    @property
    def rows(self) -> Sequence[ContactRow]:
        """The row sequence currently shown (the caller's own object)."""
        return self._rows

    @property
    def cursor(self) -> int:
        """Index of the highlighted row (0 when the list is empty)."""
        return self._cursor

    @cursor.setter
    def cursor(self, index: int) -> None:
        self.move_cursor(index)

    @property
    def marked(self) -> AbstractSet[str]:
        """Ids of the marked contacts (drawn with MARK before the name)."""
        return self._marked

    def set_marked(self, marked: AbstractSet[str]) -> None:
        """Draw the contacts whose ids are in `marked` as marked (kept by reference)."""
        self._marked = marked
        self._line_cache.clear()
        self.refresh()

    @property
    def empty_message(self) -> str:
        """What the list says when it has no rows."""
        return self._empty_message

    @empty_message.setter
    def empty_message(self, message: str) -> None:
        if message != self._empty_message:
            self._empty_message = message
            if not self._rows:
                self.refresh()

    @property
    def highlighted_row(self) -> ContactRow | None:
        """The row under the cursor, or None if there are no rows."""
        return self._rows[self._cursor] if self._rows else None

    def set_rows(self, rows: Sequence[ContactRow], *, cursor: int = 0) -> None:
        """Show `rows` instead of the current rows, e.g. the result of a filter.

        O(1) apart from `len(rows)`: the sequence is kept by reference, and nothing is rendered
        until it scrolls into view. Do not mutate it afterwards; pass a new sequence instead.

        The cursor goes to `cursor` (clamped; default the first row) and the view scrolls to show
        it. Keeping the previous contact highlighted would need a search through the new rows,
        which is the caller's business if it wants it; it can pass the index it found.

        Args:
            rows: The rows to show.
            cursor: Index of the row to highlight.
        """
        self._rows = rows
        self._line_cache.clear()
        self.virtual_size = Size(0, len(rows) + 1)
        self._cursor = self._clamp(cursor)
        if not self.is_mounted:
            return  # on_mount scrolls and announces the highlight
        self.scroll_to(y=0, animate=False, force=True)
        self._scroll_cursor_into_view()
        self.refresh()
        self._post_highlighted()

    def move_cursor(self, index: int) -> None:
        """Highlight row `index` (clamped to the rows), scrolling it into view.

        Args:
            index: Row index.
        """
        new = self._clamp(index)
        old = self._cursor
        if new == old:
            return
        self._cursor = new
        self._scroll_cursor_into_view()
        self._refresh_row(old)
        self._refresh_row(new)
        self._post_highlighted()

    # -- actions ------------------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        """Move the cursor one row up."""
        self.move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        """Move the cursor one row down."""
        self.move_cursor(self._cursor + 1)

    def action_page_down(self) -> None:
        """Scroll one page down, keeping the cursor at the same place on screen."""
        page = self._page_height()
        self.scroll_to(y=self.scroll_offset.y + page, animate=False, force=True)
        self.move_cursor(self._cursor + page)

    def action_page_up(self) -> None:
        """Scroll one page up, keeping the cursor at the same place on screen."""
        page = self._page_height()
        self.scroll_to(y=max(0, self.scroll_offset.y - page), animate=False, force=True)
        self.move_cursor(self._cursor - page)

    def action_first(self) -> None:
        """Move the cursor to the first row."""
        self.move_cursor(0)

    def action_last(self) -> None:
        """Move the cursor to the last row."""
        self.move_cursor(len(self._rows) - 1)

    def action_select(self) -> None:
        """Post `Selected` for the highlighted row, if any."""
        row = self.highlighted_row
        if row is not None:
            self.post_message(self.Selected(self, row.id, self._cursor))

    # -- events -------------------------------------------------------------------------------

    def on_mount(self) -> None:
        """Show the cursor and announce the initial highlight, so a detail pane can show it."""
        self._scroll_cursor_into_view()
        self._post_highlighted()

    def on_resize(self, _event: events.Resize) -> None:
        """Keep the cursor on screen when the height shrinks."""
        self._scroll_cursor_into_view()

    def on_click(self, event: events.Click) -> None:
        """Highlight the clicked row; a click on the highlighted row selects it."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        index = self.scroll_offset.y + offset.y - 1
        if not 0 <= index < len(self._rows):
            return
        event.stop()
        if index == self._cursor:
            self.action_select()
        else:
            self.move_cursor(index)

    def notify_style_update(self) -> None:
        """Drop rendered lines when the CSS or theme changes, as their styles are baked in."""
        super().notify_style_update()
        self._line_cache.clear()
        self._style_cache.clear()

    # -- rendering ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        """Render screen line `y`: the header at 0, then the rows from the scroll position.

        Args:
            y: Line on screen, relative to the top of the content area.

        Returns:
            The line, exactly as wide as the scrollable content area.
        """
        width = self.scrollable_content_region.width
        if y == 0:
            return self._header_strip(width)
        index = self.scroll_offset.y + y - 1
        if 0 <= index < len(self._rows):
            return self._row_strip(index, width)
        if not self._rows and y == 1:
            style = self._style("contact-list--empty")
            return self._make_strip(" " + safe(self._empty_message), width, style)
        return Strip.blank(width, self._style(None))

    def _header_strip(self, width: int) -> Strip:
        key = (_HEADER, width, 0)
        strip = self._line_cache.get(key)
        if strip is None:
            style = self._style("contact-list--header")
            text = line_text(HEADERS, column_widths(width))
            strip = self._make_strip(text, width, style, line_cells(width))
            self._line_cache.set(key, strip)
        return strip

    def _row_strip(self, index: int, width: int) -> Strip:
        # 0: plain row; 1: cursor, focused; 2: cursor, blurred (the CSS differs).
        # +3: the same, marked (MARK replaces the blank before the name).
        state = 0 if index != self._cursor else 1 if self.has_focus else 2
        marked = bool(self._marked) and self._rows[index].id in self._marked  # no marks: no row
        key = (index, width, state + 3 * marked)
        strip = self._line_cache.get(key)
        if strip is None:
            row = self._rows[index]
            cells = (row.name, row.org, row.locality, ", ".join(row.tags))
            style = self._style("contact-list--cursor" if state else None)
            text = line_text(cells, column_widths(width))
            if marked and text:
                text = MARK + text[1:]
            strip = self._make_strip(text, width, style, line_cells(width))
            self._line_cache.set(key, strip)
        return strip

    @staticmethod
    def _make_strip(text: str, width: int, style: Style, cells: int | None = None) -> Strip:
        """One-segment strip of exactly `width` cells; `cells` is the text's width if known.

        Passing `cells` spares measuring the whole line, which would also push every rendered
        line through Rich's global cell-length cache.
        """
        strip = Strip([Segment(text, style)], cells)
        if strip.cell_length != width:
            strip = strip.adjust_cell_length(width, style)
        return strip

    def _style(self, component: str | None) -> Style:
        """The Rich style of a component class, or of the widget itself for None.

        Cached (until the next style update) because `Widget.rich_style` walks the ancestors
        each time, which costs more than rendering the row.
        """
        key = (component, self.has_focus)
        style = self._style_cache.get(key)
        if style is None:
            style = (
                self.rich_style if component is None else self.get_component_rich_style(component)
            )
            self._style_cache[key] = style
        return style

    # -- helpers ------------------------------------------------------------------------------

    def _clamp(self, index: int) -> int:
        return max(0, min(index, len(self._rows) - 1))

    def _page_height(self) -> int:
        """Rows visible below the header (at least one, even before the first layout)."""
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_cursor_into_view(self) -> None:
        page = self._page_height()
        top = self.scroll_offset.y
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, force=True)
        elif self._cursor >= top + page:
            self.scroll_to(y=self._cursor - page + 1, animate=False, force=True)

    def _refresh_row(self, index: int) -> None:
        y = index - self.scroll_offset.y + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _post_highlighted(self) -> None:
        row = self.highlighted_row
        self.post_message(self.Highlighted(self, None if row is None else row.id, self._cursor))
