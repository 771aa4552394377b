"""The unlocked vault's contacts as the screens see them: an in-memory index filled in the
background, and the views (filter, tag, sort) computed from it. No Textual here.

Rules and reasons:
- The index is filled by one background thread, a batch at a time, from the vault's persisted
  search index (`Vault.search_entries()`: 1024 sealed chunks, only stale ones rebuilt from the
  records), so the list shows the first batch after a fraction of a second and every contact is
  searchable soon after. The TUI owns this index (a `vault.domain.search.SearchIndex`) rather
  than calling `Vault.search_index()`, which only returns once everything is loaded.
- Every read and write of the index goes through one lock, so a search never caches a result
  computed from a batch that was being added at the same moment.
- Views are lazy: `EntryRows` makes a `ContactRow` only when the list draws that row, so a view of
  100,000 contacts costs one list of references, not 100,000 new objects.
- `close()` forgets everything (lock). Python cannot wipe strings; dropping every reference is
  what it can do, and the garbage collector is unfrozen so the memory can be reused.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, overload

from tui.sync_work import capture_unless_syncing
from tui.widgets.contact_list import ContactRow
from vault import Vault
from vault.domain.model import Contact, ContactDraft
from vault.domain.search import Entry, SearchIndex

__all__ = ["EntryRows", "Roster", "View"]

FIRST_BATCH = 200
"""Contacts decrypted before the list is first shown: a screenful and some, quickly."""
BATCH = 1000
"""Contacts added to the index per lock hold afterwards."""

SORT_KEYS: dict[str, Callable[[Entry], Any]] = {
    "name": lambda e: (e.sort_key, e.id),  # the order of SearchIndex.entries()
    "updated": lambda e: (-e.updated, e.sort_key),  # entries(sort="updated"), newest first
}


@dataclass(frozen=True)
class View:
    """What the list shows: a query, a tag, a sort order.

    `ids` is set for a query in the search language (tui/screens/search_language.py): the
    contacts the vault found for it; `query` then only names the filter, it is not searched.
    """

    query: str = ""
    tag: str | None = None
    sort: str = "name"
    ids: frozenset[str] | None = None


class EntryRows(Sequence[ContactRow]):
    """Index entries seen as `ContactRow`s, made one at a time when the list draws them."""

    __slots__ = ("_entries", "sort")

    def __init__(self, entries: Sequence[Entry], sort: str = "name") -> None:
        self._entries = entries
        self.sort = sort

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> ContactRow: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[ContactRow]: ...
    def __getitem__(self, index: int | slice) -> ContactRow | Sequence[ContactRow]:
        if isinstance(index, slice):
            return EntryRows(self._entries[index], self.sort)
        e = self._entries[index]
        return ContactRow(e.id, e.name, e.org, e.locality, e.tags, e.updated)

    def entry(self, index: int) -> Entry | None:
        """The index entry shown at `index`, if any."""
        return self._entries[index] if 0 <= index < len(self._entries) else None

    def locate(self, entry: Entry | None) -> int | None:
        """Where `entry` is, found by binary search in the sort order (O(log n)), or None."""
        if entry is None:
            return None
        key = SORT_KEYS[self.sort]
        wanted = key(entry)
        i = bisect_left(self._entries, wanted, key=key)
        while i < len(self._entries) and key(self._entries[i]) == wanted:
            if self._entries[i].id == entry.id:
                return i
            i += 1
        return None

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
        self.sync_warning = ""  # set when a write could not be queued for sync (``_capture``)
        self.total = 0
        self.loaded = 0
        self.closed = False
        self._deleted: set[str] = set()
        self._version = 0  # moves on every change of the index; views cached per version
        self._cache: dict[Hashable, Any] = {}
        self._cache_version = -1

    # -- filling -----------------------------------------------------------------------------

    def fill(
        self,
        publish: Callable[[int, int], None],
        *,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> bool:
        """Load every contact into the index, calling `publish(loaded, total)` after each batch.

        Runs in a worker thread. Returns False if cancelled or closed (locked) before the end:
        a lock closes the database under the loop, and the error that causes is expected.
        """
        try:
            self.total = self.vault.contacts.count()
            publish(0, self.total)  # the count is known: say so before the first batch
            batch: list[Entry] = []
            size = FIRST_BATCH
            for loaded in self.vault.search_entries().batches():
                for entry in loaded:
                    batch.append(entry)
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

    def _add(self, batch: list[Entry]) -> bool:
        with self._lock:
            if self.closed:
                return False
            if self._deleted:
                batch = [c for c in batch if c.id not in self._deleted]
            self.index.add_entries(batch)
            self.loaded = len(self.index)
            self._version += 1
            return True

    @property
    def complete(self) -> bool:
        """True once every contact is in the index."""
        return self.index.complete

    # -- views -------------------------------------------------------------------------------

    def rows(self, view: View) -> EntryRows:
        """The entries to show for `view`.

        Costs grow with the index (a first keystroke searches every entry), so call this off the
        UI thread for large vaults. The search itself is `SearchIndex.search` without a tag, so
        its search-as-you-type shortcut (a longer query filters the previous result) also works
        inside a tag; tag lists, sorts and tag counts are cached until the index changes.
        """
        with self._lock:
            if view.ids is not None:
                wanted = view.ids
                found = [e for e in self.index.entries(tag=view.tag, sort=view.sort)
                         if e.id in wanted]  # fmt: skip
            elif view.query:
                found = self.index.search(view.query)
                if view.tag is not None:
                    tagged = self._cached(("ids", view.tag), lambda: self._tag_ids(view.tag))
                    found = [e for e in found if e.id in tagged]
                if view.sort != "name":
                    found = sorted(found, key=SORT_KEYS[view.sort])
            elif view.tag is None and view.sort == "name":
                found = self.index.entries()  # the index keeps this order cached
            else:
                found = self._cached(
                    ("rows", view.tag, view.sort),
                    lambda: self.index.entries(tag=view.tag, sort=view.sort),
                )
        return EntryRows(found, view.sort)

    def tags(self) -> list[tuple[str, int]]:
        """Every tag with how many contacts carry it, by name (the same list object until the
        index changes)."""
        with self._lock:
            result: list[tuple[str, int]] = self._cached(
                ("tags",),
                lambda: sorted(
                    self.index.tags().items(), key=lambda item: (item[0].casefold(), item[0])
                ),
            )
            return result

    def _tag_ids(self, tag: str | None) -> set[str]:
        return {e.id for e in self.index.entries(tag=tag)}

    def _cached(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """A value computed at most once per version of the index (call with the lock held)."""
        if self._cache_version != self._version:
            self._cache.clear()
            self._cache_version = self._version
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

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
        self._capture()
        return contact

    def update(
        self, contact_id: str, draft: ContactDraft, base: ContactDraft | None = None
    ) -> Contact:
        """Store an edited (already normalized) contact and re-index it; ``base`` is the
        contact as the form opened it, so only the fields the form changed are written."""
        record_id = self.vault.contacts.resolve(contact_id)
        contact = self.vault.contacts.update(record_id, draft, base=base)
        self._put(contact)
        self._capture()
        return contact

    def delete(self, contact_id: str) -> int:
        """Crypto-shred a contact (its key is destroyed) and forget it; returns records shredded."""
        shredded = self.vault.contacts.delete([self.vault.contacts.resolve(contact_id)])
        with self._lock:
            self._deleted.add(contact_id)
            self.index.remove(contact_id)
            self._version += 1
            self.loaded = len(self.index)
            self.total = max(0, self.total - 1)
        self._capture()
        return shredded

    def _capture(self) -> None:
        """Shared records become signed ops now, by the CLI's policy (``sync.capture``). The
        write is already saved: a failure only leaves ``sync_warning`` for the screen to show,
        and the next sync command captures the change."""
        why_not = capture_unless_syncing(self.vault)  # not while a sync runs here (issue 13)
        self.sync_warning = f"Saved, but not yet queued for sync: {why_not}" if why_not else ""

    def _put(self, contact: Contact) -> None:
        with self._lock:
            before = len(self.index)
            self.index.add(contact)
            self._version += 1
            self.loaded = len(self.index)
            self.total += self.loaded - before

    def close(self) -> None:
        """Forget every entry (on lock)."""
        with self._lock:
            self.closed = True
            self.index.clear()
            self._cache.clear()
            self.loaded = self.total = 0
