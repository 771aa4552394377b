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

from vault.api import Vault

__all__ = ["CHECK_SECONDS", "Freshness"]

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
