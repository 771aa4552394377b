"""The main screen: filter box, tag panel, contact list, status line.

Rules and reasons:
- The screen never waits for the whole vault. A worker thread decrypts contacts into the index
  (`Roster.fill`); the first batch is shown at once and the list grows every second until
  every contact is in, with a progress bar. `gc.freeze()` (after each of those refreshes and
  once at the end) moves the index out of the garbage collector's reach: a full collection
  walking 100,000 entries stalls the screen for 50-100 ms (bench/bench_tui_list.py), a frozen
  one is never walked. Locking unfreezes, so the memory can be reclaimed.
- Views (filter, tag, sort) of more than `SYNC_LIMIT` contacts are computed in a worker thread
  too, newest request wins; smaller ones on the spot. The list keeps the highlighted contact
  when the rows change, if it is still there.
- Everything shown is user text through `tui.safe_text` (the list and tag panel do it; the status
  line below builds `Text` from `safe()`).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Footer, Header, Input, ProgressBar, Static
from textual.worker import get_current_worker

from tui.safe_text import safe
from tui.screens.base import KithScreen
from tui.screens.deleting import Deleting
from tui.screens.freshness import Freshness, ReloadsOnChangesElsewhere
from tui.screens.marks import Marking
from tui.screens.roster import EntryRows, Roster, View
from tui.screens.search_language import is_structured, matching_ids
from tui.widgets import ContactFilter, ContactList
from tui.widgets.tag_panel import TagPanel
from vault.domain.model import Contact
from vault.domain.search import Entry
from vault.errors import KithError

__all__ = ["MainScreen"]


@dataclass(frozen=True)
class Snapshot:
    """One computed view, ready to show."""

    token: int
    rows: EntryRows
    tags: list[tuple[str, int]]
    cursor: int
    loaded: int
    total: int
    complete: bool


class MainScreen(Deleting, Marking, ReloadsOnChangesElsewhere, KithScreen[None]):
    """The contact list with its filter and tags."""

    SYNC_LIMIT: ClassVar[int] = 5_000
    """Views of up to this many contacts are computed without a worker thread."""
    PUBLISH_SECONDS: ClassVar[float] = 1.0
    """How often the growing list is refreshed while contacts are decrypted (each refresh
    sorts what is loaded and lays the screen out again, which costs the UI thread)."""
    PROGRESS_SECONDS: ClassVar[float] = 0.25
    """How often the progress bar moves in between."""

    AUTO_FOCUS = "#contacts"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter"),
        Binding("n", "new", "New"),
        Binding("e", "edit", "Edit"),
        Binding("d,delete", "delete", "Delete"),
        Binding("t", "focus_tags", "Tags"),
        Binding("s", "toggle_sort", "Sort", show=False),
        Binding("g", "segments", "Segments"),
        Binding("w", "who_may", "Who may", show=False),
        Binding("v", "events", "Events", show=False),
        Binding("o", "outreach", "Outreach", show=False),
        Binding("i", "import_file", "Import", show=False),
        Binding("space", "toggle_mark", "Mark", show=False),
        Binding("asterisk", "mark_all", "Mark all shown", show=False),
        Binding("u", "unmark_all", "Unmark all", show=False),
        Binding("escape", "reset_view", "Show all", show=False),
        Binding("down", "focus_list", "List", show=False),
    ]

    DEFAULT_CSS = """
    MainScreen #filter { margin: 0; }
    MainScreen #body { height: 1fr; }
    MainScreen #statusbar { height: 1; background: $panel; }
    MainScreen #status { width: 1fr; padding: 0 1; }
    MainScreen #progress { width: 30; display: none; }
    MainScreen.-loading #progress { display: block; }
    """

    class Ready(Message):
        """A view computed in a worker thread."""

        def __init__(self, snapshot: Snapshot) -> None:
            self.snapshot = snapshot
            super().__init__()

    class Progress(Message):
        """How many contacts are decrypted so far."""

        def __init__(self, loaded: int, total: int) -> None:
            self.loaded = loaded
            self.total = total
            super().__init__()

    class Expired(Message):
        """Retention rules shredded this many records or fields on unlock."""

        def __init__(self, count: int) -> None:
            self.count = count
            super().__init__()

    class Matched(Message):
        """A query in the search language was evaluated (ids), or refused (error)."""

        def __init__(self, query: str, ids: frozenset[str] | None, error: str = "") -> None:
            self.query = query
            self.ids = ids
            self.error = error
            super().__init__()

    def __init__(self, roster: Roster) -> None:
        super().__init__()
        self.roster = roster
        self.view = View()
        self.token = 0
        self.highlighted: str | None = None
        self.current = EntryRows([])
        self.highlighted_entry: Entry | None = None
        self.at_top = True
        """True while the first row is highlighted: new rows then keep the top in view."""
        self.shown_tags: list[tuple[str, int]] | None = None
        self.complete = False
        self.shown = 0
        self.busy = ""
        self.marked: set[str] = set()
        self.filter_note = ""
        """A line about the search-language filter (evaluating, or the vault's error)."""
        self.freshness = Freshness(roster.vault)

    def compose(self) -> ComposeResult:
        yield Header()
        yield ContactFilter(placeholder="Filter contacts  ( / )", id="filter")
        with Horizontal(id="body"):
            yield TagPanel(id="tags")
            yield ContactList(empty_message="Decrypting contacts...", id="contacts")
        with Horizontal(id="statusbar"):
            yield Static(Text("Checking retention dates..."), id="status")
            yield ProgressBar(total=1, show_eta=False, id="progress")
        yield Footer()

    def on_mount(self) -> None:
        """Start filling the index; watch for changes made by other processes."""
        self.add_class("-loading")
        self.fill()
        self.watch_for_changes_elsewhere()

    # -- filling and views -------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="fill")
    def fill(self) -> None:
        """Worker thread: apply retention, then decrypt every contact, posting the growing view
        now and then."""
        worker = get_current_worker()
        try:
            expired = self.roster.vault.expire_due()
        except Exception:
            if self.roster.closed:
                return  # locked meanwhile: the database was closed under the check
            raise
        if expired:
            self.post_message(self.Expired(expired))
        published = moved = float("-inf")
        shown_rows = 0

        def publish(loaded: int, total: int) -> None:
            nonlocal published, moved, shown_rows
            now = time.monotonic()
            # The first batch is shown at once (the count-only call before it must not use up
            # that slot: it delayed the first page by a whole PUBLISH_SECONDS), then every second.
            first_rows = loaded > 0 and shown_rows == 0
            if self.roster.complete or first_rows or now - published >= self.PUBLISH_SECONDS:
                shown_rows = loaded
                published = moved = now
                gc.freeze()  # see the module docstring; O(1), and keeps loading smooth too
                self.post_message(self.Ready(self.snapshot()))
            elif now - moved >= self.PROGRESS_SECONDS:
                moved = now
                self.post_message(self.Progress(loaded, total))

        self.roster.fill(publish, cancelled=lambda: worker.is_cancelled)

    def snapshot(self, token: int | None = None, keep: str | None = None) -> Snapshot:
        """Compute the current view (in whichever thread calls it), keeping the highlighted
        contact highlighted if it is in it: found by binary search, or by id after an edit."""
        token = self.token if token is None else token
        rows = self.roster.rows(self.view)
        keep = keep or self.reload_keep
        if keep:
            found = rows.index_of(keep)
        elif self.at_top:
            found = 0  # loading, or a new filter: a list the user has not moved stays at the top
        else:
            found = rows.locate(self.highlighted_entry)
        roster = self.roster
        return Snapshot(
            token, rows, roster.tags(), found or 0, roster.loaded, roster.total, roster.complete
        )

    def refresh_view(self, keep: str | None = None) -> None:
        """Recompute the rows for the current view; keep `keep` (or the highlight) if shown."""
        self.token += 1
        if self.roster.count() <= self.SYNC_LIMIT:
            self.show(self.snapshot(keep=keep))
        else:
            self.compute(self.token, keep)

    @work(thread=True, exclusive=True, group="view")
    def compute(self, token: int, keep: str | None) -> None:
        """Worker thread: a view of a large index."""
        self.post_message(self.Ready(self.snapshot(token, keep)))

    def on_main_screen_ready(self, message: Ready) -> None:
        """Show a view, unless a newer one was asked for since."""
        snap = message.snapshot
        if snap.token == self.token:
            self.show(snap)
        else:
            self.progress(snap.loaded, snap.total)
        if snap.complete and not self.complete:
            self.complete = True
            self.remove_class("-loading")
            if snap.token != self.token or self.reload_keep:
                self.refresh_view()
            self.reload_keep = None
            gc.freeze()  # see the module docstring (no gc.collect() first: 80 ms at 20,000)
            self.update_status()

    def on_main_screen_expired(self, message: Expired) -> None:
        """Say what the retention rules removed (counts only)."""
        self.notify(f"Retention: {message.count} expired record(s) or field(s) shredded.")

    def on_main_screen_progress(self, message: Progress) -> None:
        """Move the progress bar."""
        self.progress(message.loaded, message.total)

    def progress(self, loaded: int, total: int) -> None:
        """Show how far decryption has come."""
        self.query_one("#progress", ProgressBar).update(total=max(total, 1), progress=loaded)
        if not self.complete:
            self.update_status()

    def show(self, snap: Snapshot) -> None:
        """Put a computed view on screen."""
        contacts = self.query_one("#contacts", ContactList)
        self.current = snap.rows
        contacts.empty_message = self.empty_message(snap)
        contacts.set_rows(snap.rows, cursor=snap.cursor)
        self.shown = len(snap.rows)
        if snap.tags is not self.shown_tags:  # the same list until the index changes
            self.shown_tags = snap.tags
            tags = self.query_one("#tags", TagPanel)
            tags.show(snap.tags, snap.loaded if snap.complete else snap.total)
        self.progress(snap.loaded, snap.total)
        self.update_status()

    def empty_message(self, snap: Snapshot) -> str:
        """What an empty list says: still decrypting, nothing matches, or no contacts at all."""
        view = self.view
        if view.query or view.tag is not None:
            what = " ".join(
                part for part in (f'"{view.query}"' if view.query else "",
                                  f"with tag {view.tag}" if view.tag is not None else "") if part
            )  # fmt: skip
            loading = "" if snap.complete else " so far (still decrypting)"
            return f"No contacts match {what}{loading}."
        return "No contacts yet: press n to add one." if snap.complete else "Decrypting contacts..."

    def update_status(self) -> None:
        """One line: counts, sort order, tag; or decryption progress."""
        roster, view = self.roster, self.view
        if self.busy:
            line = Text(self.busy)
        elif self.filter_note:
            line = Text(self.filter_note, style="bold")
        elif not self.complete:
            line = Text(f"Decrypting contacts: {roster.loaded:,} of {roster.total:,}")
        else:
            total = roster.count()
            filtered = bool(view.query or view.tag)
            line = Text(f"{self.shown:,} of {total:,}" if filtered else f"{total:,}")
            line.append(" contact" if total == 1 else " contacts")
            line.append(" · by name" if view.sort == "name" else " · by last update")
            if view.tag is not None:
                line.append(" · tag: ")
                line.append(safe(view.tag, max_len=24))
            if self.marked:
                line.append(f" · {len(self.marked):,} marked", style="bold")
        self.query_one("#status", Static).update(line, layout=False)  # one line, fixed size

    # -- events ------------------------------------------------------------------------------

    def on_contact_filter_query_changed(self, message: ContactFilter.QueryChanged) -> None:
        """Filter as the user types (the box debounces); the search language is evaluated by
        the vault in a worker thread (tui/screens/search_language.py)."""
        query = message.query
        if is_structured(query):
            self.filter_note = "Filtering..."
            self.update_status()
            self.match(query)
            return
        self.filter_note = ""
        self.view = replace(self.view, query=query, ids=None)
        self.refresh_view()

    @work(thread=True, exclusive=True, group="match")
    def match(self, query: str) -> None:
        """Worker thread: the contacts a search-language query names."""
        try:
            ids = matching_ids(self.roster.vault, query)
        except KithError as error:
            self.post_message(self.Matched(query, None, error.message))
            return
        except Exception:
            if self.roster.closed:
                return
            raise
        self.post_message(self.Matched(query, ids))

    def on_main_screen_matched(self, message: Matched) -> None:
        """Show what a search-language query matched, or why it was refused."""
        if message.query != self.query_one("#filter", ContactFilter).current_query:
            return  # typed on since
        if message.ids is None:
            self.filter_note = f"Filter not applied: {message.error}"
            self.update_status()
            return
        self.filter_note = ""
        self.view = replace(self.view, query=message.query, ids=message.ids)
        self.refresh_view()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.action_focus_list()

    def on_tag_panel_tag_chosen(self, message: TagPanel.TagChosen) -> None:
        """Filter by the chosen tag."""
        self.view = replace(self.view, tag=message.tag)
        self.refresh_view()
        self.action_focus_list()

    def on_contact_list_highlighted(self, message: ContactList.Highlighted) -> None:
        """Remember the highlighted contact, to keep it when the rows change."""
        self.highlighted = message.row_id
        self.at_top = message.index == 0
        self.highlighted_entry = self.current.entry(message.index) if message.row_id else None

    def on_contact_list_selected(self, message: ContactList.Selected) -> None:
        """Open the chosen contact."""
        from tui.screens.detail import DetailScreen

        self.app.push_screen(DetailScreen(self.roster, message.row_id), self._after_detail)

    def _after_detail(self, result: tuple[str, str] | None) -> None:
        if result is None:
            return
        what, contact_id = result
        if what == "delete":
            self.delete(contact_id)
        else:
            self.refresh_view(keep=contact_id)

    def _after_edit(self, contact: Contact | None) -> None:
        if contact is not None:
            self.refresh_view(keep=contact.id)

    # -- actions -----------------------------------------------------------------------------

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """This screen's keys, and every saved search, as palette entries."""
        found: list[tuple[str, str, Callable[[], object]]] = [
            ("New contact", "Add a contact (n)", self.action_new),
            ("Filter", "Words, or the search language: tag: city: -contacted:30d ... (/)",
             self.action_focus_filter),
        ]  # fmt: skip
        try:
            saved = self.roster.vault.saved_searches.all()
        except KithError:
            saved = []
        found += self.marking_commands()
        for item in saved:
            found.append((f"Saved search: {safe(item.name, max_len=40)}",
                          safe(item.query, max_len=60),
                          partial(self.use_filter, f"saved:{item.name}")))  # fmt: skip
        return found

    def use_filter(self, query: str) -> None:
        """Put `query` in the filter box and apply it."""
        box = self.query_one("#filter", ContactFilter)
        box.value = query
        box.focus()

    def action_import_file(self) -> None:
        """Import contacts from a file: preset or column map, preview, dry run first."""
        from tui.screens.import_dialog import open_import

        open_import(self.kith)

    def action_focus_filter(self) -> None:
        """Put the cursor in the filter box."""
        self.query_one("#filter", ContactFilter).focus()

    def action_focus_list(self) -> None:
        """Put the focus on the list."""
        self.query_one("#contacts", ContactList).focus()

    def action_focus_tags(self) -> None:
        """Put the focus on the tag panel."""
        self.query_one("#tags", TagPanel).focus()

    def action_toggle_sort(self) -> None:
        """Sort by name, or by last update (newest first)."""
        self.view = replace(self.view, sort="updated" if self.view.sort == "name" else "name")
        self.refresh_view()

    def action_reset_view(self) -> None:
        """Clear the filter and the tag."""
        contact_filter = self.query_one("#filter", ContactFilter)
        if contact_filter.value:
            contact_filter.value = ""
        self.query_one("#tags", TagPanel).chosen = None
        if self.view.query or self.view.tag is not None:
            self.view = replace(self.view, query="", tag=None, ids=None)
            self.refresh_view()
        self.action_focus_list()

    def action_new(self) -> None:
        """Add a contact."""
        from tui.screens.edit import EditScreen

        self.app.push_screen(EditScreen(self.roster, None), self._after_edit)

    def action_edit(self) -> None:
        """Edit the highlighted contact."""
        from tui.screens.edit import EditScreen

        row = self.query_one("#contacts", ContactList).highlighted_row
        if row is not None:
            contact = self.roster.get(row.id)
            self.app.push_screen(EditScreen(self.roster, contact), self._after_edit)
