"""The in-memory search index, built after unlock and never written anywhere.

Rules and reasons:
- Plaintext exists only in this process's memory while unlocked; the index is dropped on lock.
  There is no on-disk index, so search cannot leak what a sealed field hides.
- Matching is accent- and case-insensitive: text is NFKD-decomposed, combining marks dropped,
  then casefolded, so "Zoe" finds "Zoë" and "STRASSE" finds "Straße".
- A query is split on spaces; every word must match (AND) somewhere in name, emails, org, city
  or tags. A query made only of digits and phone punctuation with at least 3 digits also matches
  phone numbers by digits, ignoring leading zeros (the trunk prefix), so "06 12 34 56 78" finds
  +33612345678 and "(555) 123-4567" finds +15551234567.
- Search as you type: a text query that extends the previous one filters the previous result
  instead of the whole index (never a phone query: its digit rule is not monotonic).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from vault.model import Contact

_PHONEISH = re.compile(r"^[\d\s+().\-/]+$")
_NON_DIGIT = re.compile(r"\D")


def fold(text: str) -> str:
    """Accent- and case-insensitive form of ``text``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class Entry:
    """What the index keeps of one contact: enough to list and filter it."""

    id: str
    name: str
    org: str
    locality: str
    tags: tuple[str, ...]
    updated: int
    haystack: str
    phone_digits: str
    sort_key: str


def entry_for(contact: Contact) -> Entry:
    """The index entry of one contact."""
    name = contact.display_name()
    localities = " ".join(a.locality for a in contact.addresses if a.locality)
    parts = [
        name,
        contact.given_name,
        contact.family_name,
        *(e.value for e in contact.emails),
        contact.org,
        localities,
        *contact.tags,
    ]
    digits = " ".join(_NON_DIGIT.sub("", p.value) for p in contact.phones)
    return Entry(
        id=contact.id,
        name=name,
        org=contact.org,
        locality=contact.addresses[0].locality if contact.addresses else "",
        tags=contact.tags,
        updated=contact.updated,
        haystack="\x00".join(fold(p) for p in parts if p),
        phone_digits=digits,
        sort_key=fold(name),
    )


class SearchIndex:
    """Entries of every contact, searchable; thread-safe for one writer and many readers."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()
        self._last: tuple[str, list[Entry]] | None = None
        self._by_name: list[Entry] | None = None
        self.complete = False

    def __len__(self) -> int:
        return len(self._entries)

    def add_many(self, contacts: Iterable[Contact]) -> None:
        """Add or replace entries."""
        fresh = [entry_for(c) for c in contacts]
        with self._lock:
            for entry in fresh:
                self._entries[entry.id] = entry
            self._last = None
            self._by_name = None

    def add(self, contact: Contact) -> None:
        """Add or replace one contact."""
        self.add_many([contact])

    def remove(self, contact_id: str) -> None:
        """Forget one contact."""
        with self._lock:
            self._entries.pop(contact_id, None)
            self._last = None
            self._by_name = None

    def clear(self) -> None:
        """Forget everything (lock)."""
        with self._lock:
            self._entries.clear()
            self._last = None
            self._by_name = None
            self.complete = False

    def entries(self, *, tag: str | None = None, sort: str = "name") -> list[Entry]:
        """All entries, optionally with one tag, sorted by name or by last update (newest first)."""
        with self._lock:
            if self._by_name is None:
                self._by_name = sorted(self._entries.values(), key=lambda e: (e.sort_key, e.id))
            rows = self._by_name
        if tag is not None:
            wanted = fold(tag)
            rows = [e for e in rows if any(fold(t) == wanted for t in e.tags)]
        if sort == "updated":
            return sorted(rows, key=lambda e: (-e.updated, e.sort_key))
        return list(rows)

    def search(self, query: str, *, tag: str | None = None) -> list[Entry]:
        """Entries matching every word of ``query``, sorted by name."""
        folded = fold(query).strip()
        if not folded:
            return self.entries(tag=tag)
        last = self._last
        reusable = tag is None and last is not None and not _PHONEISH.match(folded)
        if reusable and last is not None and folded.startswith(last[0]):
            pool = last[1]
        else:
            pool = self.entries(tag=tag)
        matches = [e for e in pool if _matches(e, folded)]
        if tag is None:
            self._last = (folded, matches)
        return matches

    def matching_ids(self, query: str) -> set[str]:
        """Ids of the entries matching every word of ``query``: the ``search`` rule, unsorted.

        For saved-search filters (issue 6), which rank their own result: skipping the sort
        saves most of a cold query at 100,000 contacts, and the search-as-you-type memory of
        ``search`` is left alone for the person typing.
        """
        folded = fold(query).strip()
        with self._lock:
            rows = list(self._entries.values())
        if not folded:
            return {e.id for e in rows}
        return {e.id for e in rows if _matches(e, folded)}

    def tags(self) -> Counter[str]:
        """How many contacts carry each tag."""
        counts: Counter[str] = Counter()
        with self._lock:
            for entry in self._entries.values():
                counts.update(entry.tags)
        return counts


def _matches(entry: Entry, folded_query: str) -> bool:
    if _PHONEISH.match(folded_query):
        digits = _NON_DIGIT.sub("", folded_query).lstrip("0")
        if len(digits) >= 3 and digits in entry.phone_digits:
            return True
    return all(word in entry.haystack for word in folded_query.split())
