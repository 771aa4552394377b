"""Marking contacts on the main screen, for work on many at once (segments).

    space   mark or unmark the highlighted contact, and move down
    *       mark every contact the list shows now (the current filter and tag)
    u       unmark all
    g       segments: add or remove the marked contacts (or the highlighted one), manage them
    v       events: sign up or check in the marked (or highlighted) contacts; door mode
    w       who of the marked (else of those shown) may be contacted, and why not
    o       outreach: the marked are an audience (tui/screens/outreach.py)

Rules and reasons:
- Marks are ids, kept across filters, so "filter, mark, filter again, mark more" works; the
  status line always says how many are marked, including those the filter hides.
- Marks are forgotten on lock with the screen (they name contacts).
- Mark-all takes the ids of the rows shown: at 100,000 contacts one set of strings, made once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui.widgets import ContactList

if TYPE_CHECKING:
    from tui.screens.roster import EntryRows, Roster

__all__ = ["Marking"]


class Marking:
    """The main screen's marks. Mixed into `MainScreen`, whose attributes it names below."""

    marked: set[str]
    roster: Roster
    current: EntryRows
    app: Any

    if TYPE_CHECKING:  # provided by MainScreen and Textual; declared for the type checker only

        def update_status(self) -> None: ...
        def use_filter(self, query: str) -> None: ...

    def _list(self) -> ContactList:
        screen: Any = self  # a MainScreen: Textual's query_one
        found: ContactList = screen.query_one("#contacts", ContactList)
        return found

    def _show_marks(self) -> None:
        self._list().set_marked(self.marked)
        self.update_status()

    def action_toggle_mark(self) -> None:
        """Mark or unmark the highlighted contact, then move down."""
        contacts = self._list()
        row = contacts.highlighted_row
        if row is None:
            return
        if row.id in self.marked:
            self.marked.discard(row.id)
        else:
            self.marked.add(row.id)
        self._show_marks()
        contacts.move_cursor(contacts.cursor + 1)

    def action_mark_all(self) -> None:
        """Mark every contact the list shows."""
        self.marked.update(row.id for row in self.current)
        self._show_marks()

    def action_unmark_all(self) -> None:
        """Forget every mark."""
        self.marked.clear()
        self._show_marks()

    def chosen_ids(self) -> list[str]:
        """The marked contacts, or the highlighted one if none is marked."""
        if self.marked:
            return sorted(self.marked)
        row = self._list().highlighted_row
        return [row.id] if row is not None else []

    def action_segments(self) -> None:
        """Open the segments panel for the marked (or highlighted) contacts."""
        from tui.screens.segments import SegmentsScreen

        self.app.push_screen(SegmentsScreen(self.roster.vault, self.chosen_ids()),
                             self._after_segments)  # fmt: skip

    def _after_segments(self, query: str | None) -> None:
        if query:
            self.use_filter(query)

    def action_events(self) -> None:
        """Events: sign up or check in the marked (or highlighted) contacts; door mode."""
        from tui.screens.events import EventsScreen

        self.app.push_screen(EventsScreen(self.roster.vault, self.chosen_ids()))

    def action_who_may(self) -> None:
        """Who of the marked contacts (else of those shown) may be contacted, and why not."""
        from tui.screens.may_contact import WhoMayScreen

        if self.marked:
            ids, what = sorted(self.marked), f"the {len(self.marked):,} marked"
        else:
            ids = [row.id for row in self.current]
            what = f"the {len(ids):,} shown"
        self.app.push_screen(WhoMayScreen(self.roster.vault, ids, what))

    def action_outreach(self) -> None:
        """Outreach: compose (the marked are an audience), preview, send, report."""
        from tui.screens.outreach import open_outreach

        open_outreach(self.app)

    def marking_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """Palette entries for marks and segments."""
        return [
            ("Segments", "Add the marked contacts to a segment; create, rename, delete (g)",
             self.action_segments),
            ("Events", "Events: sign up or check in the marked; door mode for live sign-ups (v)",
             self.action_events),
            ("Who may I contact", "Who of the marked (or shown) may be contacted, and why not (w)",
             self.action_who_may),
            ("Mark all shown", "Mark every contact the list shows (*)", self.action_mark_all),
            ("Unmark all", "Forget every mark (u)", self.action_unmark_all),
        ]  # fmt: skip
