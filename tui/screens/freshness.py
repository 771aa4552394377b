"""Noticing that another process (the `kith` CLI, a sync run) changed the vault while the TUI
is open, so its changes appear without a lock and unlock.

The rule: SQLite's `PRAGMA data_version` (`Store.change_marker`) moves when *another*
connection commits, and never for this connection's own writes, so the TUI's own edits do not
trigger a reload. It is O(1) and reads no contact data. The main screen asks every
`CHECK_SECONDS` and whenever the terminal regains focus; when it moved, the index is rebuilt in
the background (the view, filter and highlighted contact are kept). While another screen (a
contact, a dialog) is on top, the reload waits until the list is shown again, so nothing
changes under the user's cursor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work

from tui.screens.roster import Roster
from vault.api import Vault

if TYPE_CHECKING:
    from tui.screens.host import KithHost

__all__ = ["CHECK_SECONDS", "Freshness", "ReloadsOnChangesElsewhere"]

CHECK_SECONDS = 2.0
"""How often the main screen asks whether another process changed the vault."""


class Freshness:
    """Remembers the vault's change marker and says when another connection moved it."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.seen = self._marker()

    def _marker(self) -> int:
        return self.vault.live_store.change_marker()[0]

    def changed(self) -> bool:
        """True once after another process committed a change (call from a worker thread: the
        store's lock may be held by a long write)."""
        now = self._marker()
        if now == self.seen:
            return False
        self.seen = now
        return True


class ReloadsOnChangesElsewhere:
    """The main screen's part: check on a timer and on focus, reload when the list is shown.

    Mixed into `MainScreen` (before `KithScreen`), whose attributes it names below.
    """

    roster: Roster
    freshness: Freshness
    complete: bool
    shown_tags: Any
    busy: str
    reload_pending: bool = False
    reload_keep: str | None = None
    highlighted: str | None
    app: Any
    kith: KithHost

    if TYPE_CHECKING:  # provided by MainScreen and Textual; declared for the type checker only

        def fill(self) -> Any: ...
        def add_class(self, *names: str, update: bool = True) -> Any: ...
        def set_interval(self, *args: Any, **kwargs: Any) -> Any: ...
        def watch(self, *args: Any, **kwargs: Any) -> Any: ...

    def watch_for_changes_elsewhere(self) -> None:
        """Start checking (call once, on mount)."""
        self.set_interval(CHECK_SECONDS, self.check_freshness, name="freshness")
        self.watch(self.app, "app_focus", self._focus_changed, init=False)

    def _focus_changed(self, focused: bool) -> None:
        if focused:
            self.check_freshness()

    @work(thread=True, exclusive=True, group="freshness")
    def check_freshness(self) -> None:
        """Worker thread: ask the vault whether another process changed it."""
        if self.roster.closed:
            return
        try:
            changed = self.freshness.changed()
        except Exception:
            if self.roster.closed:
                return  # locked meanwhile
            raise
        if changed:
            self.app.call_from_thread(self.changed_elsewhere)

    def changed_elsewhere(self) -> None:
        """Rebuild the index now if the list is on screen, else when it is shown again."""
        self.reload_pending = True
        self.reload_if_shown()

    def on_screen_resume(self) -> None:
        """Back from a contact or a dialog: apply a reload that waited."""
        self.reload_if_shown()

    def reload_if_shown(self) -> None:
        """Re-read every contact into a new index, keeping the view and the highlight."""
        if not self.reload_pending or self.app.screen is not self or self.busy:
            return
        self.reload_pending = False
        # The highlight is kept by id while the new index fills: the partial views shown
        # meanwhile move the cursor, and would otherwise take the highlight with them.
        self.reload_keep = self.highlighted
        old, new = self.roster, Roster(self.roster.vault)
        self.kith.roster = self.roster = new
        old.close()
        self.complete = False
        self.shown_tags = None
        self.add_class("-loading")
        self.fill()
