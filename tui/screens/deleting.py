"""Deleting the highlighted contact from the main screen: confirm, shred in a worker, report.

A mixin of ``MainScreen`` (one job per module): the shred runs in a worker thread because it
re-keys a bucket of the key tree and writes the header in place (fsyncs), which must not block
the UI; its result comes back as a ``Deleted`` message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.message import Message

from tui.widgets import ContactList
from vault.errors import KithError

if TYPE_CHECKING:
    from tui.screens.roster import Roster

__all__ = ["Deleting"]


class Deleting:
    """Delete, with confirmation, in a worker; ``MainScreen`` provides the rest."""

    class Deleted(Message):
        """A contact was shredded by the delete worker."""

        def __init__(self, contact_id: str, ok: bool, message: str = "") -> None:
            self.contact_id = contact_id
            self.ok = ok
            self.message = message
            super().__init__()

    roster: Roster
    busy: str

    if TYPE_CHECKING:  # provided by MainScreen and Textual; declared for the type checker only
        app: Any

        def query_one(self, *args: Any, **kwargs: Any) -> Any: ...
        def update_status(self) -> None: ...
        def refresh_view(self, keep: str | None = None) -> None: ...
        def notify(self, *args: Any, **kwargs: Any) -> None: ...
        def post_message(self, message: Message) -> bool: ...

    def action_delete(self) -> None:
        """Delete the highlighted contact, after confirmation."""
        from tui.screens.confirm import DeleteScreen

        row = self.query_one("#contacts", ContactList).highlighted_row
        if row is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes and row is not None:
                self.delete(row.id)

        self.app.push_screen(DeleteScreen(row.name), confirmed)

    def delete(self, contact_id: str) -> None:
        """Shred a contact in a worker thread (its key is destroyed and its bucket re-keyed)."""
        self.busy = "Deleting: destroying the contact's key..."
        self.update_status()
        self._delete(contact_id)

    @work(thread=True, group="delete")
    def _delete(self, contact_id: str) -> None:
        try:
            self.roster.delete(contact_id)
        except KithError as error:
            if not self.roster.closed:
                self.post_message(self.Deleted(contact_id, False, error.message))
            return
        self.post_message(self.Deleted(contact_id, True))

    def on_deleting_deleted(self, message: Deleting.Deleted) -> None:
        """Show the list without the deleted contact."""
        self.busy = ""
        if message.ok:
            self.refresh_view()
            self.notify("Contact deleted: its key is destroyed.")
            if self.roster.sync_warning:
                self.notify(self.roster.sync_warning, severity="warning")
        else:
            self.update_status()
            self.notify(message.message, severity="error")
