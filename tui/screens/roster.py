"""The unlocked vault's contacts as the screens see them: an in-memory index filled in the
background, and the views (filter, tag, sort) computed from it. No Textual here.

Rules and reasons:
- The index is filled by one background thread, a batch at a time, so the first screen never
  waits for 100,000 decryptions (about 17 s on a small laptop): the list shows the first batch
  after a fraction of a second and grows while the rest is decrypted. The TUI owns this index
  (a `vault.search.SearchIndex` fed from `vault.contacts.all()`) rather than calling
  `Vault.search_index()`, which only returns once everything is decrypted.
- Every read and write of the index goes through one lock, so a search never caches a result
  computed from a batch that was being added at the same moment.
- Views are lazy: `EntryRows` makes a `ContactRow` only when the list draws that row, so a view of
  100,000 contacts costs one list of references, not 100,000 new objects.
- `close()` forgets everything (lock). Python cannot wipe strings; dropping every reference is
  what it can do, and the garbage collector is unfrozen so the memory can be reused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import overload

from tui.widgets.contact_list import ContactRow
from vault.api import Vault
from vault.model import Contact, ContactDraft
from vault.search import Entry, SearchIndex

__all__ = ["EntryRows", "Roster", "View"]

FIRST_BATCH = 200
"""Contacts decrypted before the list is first shown: a screenful and some, quickly."""
BATCH = 1000
"""Contacts added to the index per lock hold afterwards."""

SORTS = ("name", "updated")


@dataclass(frozen=True)
class View:
    """What the list shows: a query, a tag, a sort order."""

    query: str = ""
    tag: str | None = None
    sort: str = "name"


class EntryRows(Sequence[ContactRow]):
    """Index entries seen as `ContactRow`s, made one at a time when the list draws them."""

    __slots__ = ("_entries",)

    def __init__(self, entries: Sequence[Entry]) -> None:
        self._entries = entries

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> ContactRow: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[ContactRow]: ...
    def __getitem__(self, index: int | slice) -> ContactRow | Sequence[ContactRow]:
        if isinstance(index, slice):
            return EntryRows(self._entries[index])
        e = self._entries[index]
        return ContactRow(e.id, e.name, e.org, e.locality, e.tags, e.updated)

    def index_of(self, contact_id: str | None) -> int | None:
        """Where the contact with this id is, or None (a linear scan: call it off the UI thread
        for large views)."""
        if contact_id is None:
            return None
        for i, entry in enumerate(self._entries):
            if entry.id == contact_id:
                return i
        return None


class Roster:
    """The index of one unlocked vault, and the views of it."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.index = SearchIndex()
        self._lock = threading.Lock()
        self.total = 0
        self.loaded = 0
        self.closed = False
        self._deleted: set[str] = set()

    # -- filling -----------------------------------------------------------------------------

    def fill(
        self,
        publish: Callable[[int, int], None],
        *,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> bool:
        """Decrypt every contact into the index, calling `publish(loaded, total)` after each batch.

        Runs in a worker thread. Returns False if cancelled or closed (locked) before the end:
        a lock closes the database under the loop, and the error that causes is expected.
        """
        try:
            self.total = self.vault.contacts.count()
            batch: list[Contact] = []
            size = FIRST_BATCH
            for contact in self.vault.contacts.all():
                batch.append(contact)
                if len(batch) >= size:
                    if not self._add(batch) or cancelled():
                        return False
                    publish(self.loaded, self.total)
                    batch, size = [], BATCH
            if not self._add(batch) or cancelled():
                return False
        except Exception:
            if self.closed:
                return False
            raise
        self.total = self.loaded
        self.index.complete = True
        publish(self.loaded, self.total)
        return True

    def _add(self, batch: list[Contact]) -> bool:
        with self._lock:
            if self.closed:
                return False
            if self._deleted:
                batch = [c for c in batch if c.id not in self._deleted]
            self.index.add_many(batch)
            self.loaded = len(self.index)
            return True

    @property
    def complete(self) -> bool:
        """True once every contact is in the index."""
        return self.index.complete

    # -- views -------------------------------------------------------------------------------

    def rows(self, view: View) -> EntryRows:
        """The entries to show for `view` (cost grows with the index: call it off the UI thread
        at large sizes)."""
        with self._lock:
            if view.query:
                found = self.index.search(view.query, tag=view.tag)
                if view.sort == "updated":
                    found = sorted(found, key=lambda e: (-e.updated, e.sort_key))
            else:
                found = self.index.entries(tag=view.tag, sort=view.sort)
        return EntryRows(found)

    def tags(self) -> list[tuple[str, int]]:
        """Every tag with how many contacts carry it, by name."""
        with self._lock:
            counts = self.index.tags()
        return sorted(counts.items(), key=lambda item: (item[0].casefold(), item[0]))

    def count(self) -> int:
        """Contacts in the index now."""
        return len(self.index)

    # -- changes -----------------------------------------------------------------------------

    def get(self, contact_id: str) -> Contact:
        """One contact, decrypted from the vault (not from the index)."""
        return self.vault.contacts.get(contact_id)

    def add(self, draft: ContactDraft) -> Contact:
        """Store a new (already normalized) contact and index it."""
        contact = self.vault.contacts.add(draft)
        self._put(contact)
        return contact

    def update(self, contact_id: str, draft: ContactDraft) -> Contact:
        """Store an edited (already normalized) contact and re-index it."""
        contact = self.vault.contacts.update(self.vault.contacts.resolve(contact_id), draft)
        self._put(contact)
        return contact

    def delete(self, contact_id: str) -> int:
        """Crypto-shred a contact (its key is destroyed) and forget it; returns records shredded."""
        shredded = self.vault.contacts.delete([self.vault.contacts.resolve(contact_id)])
        with self._lock:
            self._deleted.add(contact_id)
            self.index.remove(contact_id)
            self.loaded = len(self.index)
            self.total = max(0, self.total - 1)
        return shredded

    def _put(self, contact: Contact) -> None:
        with self._lock:
            before = len(self.index)
            self.index.add(contact)
            self.loaded = len(self.index)
            self.total += self.loaded - before

    def close(self) -> None:
        """Forget every entry (on lock)."""
        with self._lock:
            self.closed = True
            self.index.clear()
            self.loaded = self.total = 0
