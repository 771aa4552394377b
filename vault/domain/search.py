"""The in-memory search index, built after unlock from the sealed chunks of the persisted index.

Rules and reasons:
- Plaintext exists only in this process's memory while unlocked; the index is dropped on lock.
  On disk the entries exist only sealed, one chunk per key bucket under a key derived from the
  bucket key (``vault/core/search_chunks.py``, ``search_store.py``), so a delete erases a
  contact's entry as it erases its record.
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

import operator
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable
from itertools import compress
from typing import NamedTuple

from vault.domain.model import Contact

_NAME_ORDER = operator.attrgetter("sort_key", "id")  # the order of every listing
_HAYSTACK, _PHONES = operator.attrgetter("haystack"), operator.attrgetter("phone_digits")
_ID = operator.attrgetter("id")
_PHONEISH = re.compile(r"^[\d\s+().\-/]+$")
_NON_DIGIT = re.compile(r"\D")


def fold(text: str) -> str:
    """Accent- and case-insensitive form of ``text``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class Entry(NamedTuple):
    """What the index keeps of one contact: enough to list and filter it.

    A named tuple (immutable, compared by value): 100,000 of them are made at every unlock from
    the persisted chunks, and ``Entry._make`` over columns costs a fifth of a frozen dataclass.
    """

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
        self._haystacks: list[str] = []
        self._phones: list[str] = []
        self.complete = False

    def __len__(self) -> int:
        return len(self._entries)

    def add_many(self, contacts: Iterable[Contact]) -> None:
        """Add or replace entries."""
        self.add_entries([entry_for(c) for c in contacts])

    def add_entries(self, fresh: Iterable[Entry]) -> None:
        """Add or replace entries already made (loaded from the persisted index)."""
        rows = list(fresh)
        with self._lock:
            self._entries.update(zip(map(_ID, rows), rows, strict=True))
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

    def _sorted(self) -> tuple[list[Entry], list[str], list[str]]:
        """Entries by name with their haystacks and phone digits as parallel plain lists.

        Scanning a list of strings is 4x faster than reading ``entry.haystack`` from 100,000
        objects scattered in memory, and this is the loop every keystroke runs.
        """
        with self._lock:
            if self._by_name is None:
                self._by_name = sorted(self._entries.values(), key=_NAME_ORDER)
                self._haystacks = [e.haystack for e in self._by_name]
                self._phones = [e.phone_digits for e in self._by_name]
            return self._by_name, self._haystacks, self._phones

    def entries(self, *, tag: str | None = None, sort: str = "name") -> list[Entry]:
        """All entries, optionally with one tag, sorted by name or by last update (newest first)."""
        rows = self._sorted()[0]
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
        # Reuse the previous result only when it is small: scanning entry objects costs 4x
        # scanning the parallel string lists, so a large previous result is slower to refilter.
        reusable = (
            tag is None
            and last is not None
            and not _PHONEISH.match(folded)
            and len(last[1]) * 4 < len(self._entries)
        )
        if reusable and last is not None and folded.startswith(last[0]):
            matches = _Query(folded).filter(last[1])
        elif tag is None and self._by_name is None:
            # Not sorted yet (a one-shot ``kith search``, or the first keystroke): filter the
            # entries, then sort only the matches, instead of sorting 100,000 entries first.
            with self._lock:
                rows = list(self._entries.values())
            hay, phones = list(map(_HAYSTACK, rows)), list(map(_PHONES, rows))
            matches = sorted(_Query(folded).filter_sorted(rows, hay, phones), key=_NAME_ORDER)
        elif tag is None:
            matches = _Query(folded).filter_sorted(*self._sorted())
        else:
            matches = _Query(folded).filter(self.entries(tag=tag))
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
        return {e.id for e in _Query(folded).filter(rows)}

    def tags(self) -> Counter[str]:
        """How many contacts carry each tag."""
        counts: Counter[str] = Counter()
        with self._lock:
            for entry in self._entries.values():
                counts.update(entry.tags)
        return counts


class _Query:
    """One folded query, analysed once: its words and, if it looks like a phone, its digits.

    The analysis is hoisted out of the per-entry loop: at 100,000 contacts the loop body is all
    there is time for.
    """

    def __init__(self, folded: str) -> None:
        self.words = folded.split()
        digits = _NON_DIGIT.sub("", folded).lstrip("0") if _PHONEISH.match(folded) else ""
        self.digits = digits if len(digits) >= 3 else ""

    def filter_sorted(
        self, entries: list[Entry], haystacks: list[str], phones: list[str]
    ) -> list[Entry]:
        """``filter`` over the whole index, scanning its parallel string lists (in any order:
        the result keeps the order of ``entries``)."""
        words, digits = self.words, self.digits
        word_hits = [words[0] in h for h in haystacks]
        if digits:  # an entry found by its phone need not contain the words
            phone_hits = [digits in p for p in phones]
            either = compress(range(len(entries)), map(operator.or_, phone_hits, word_hits))
            return [
                entries[i]
                for i in either
                if phone_hits[i] or all(w in haystacks[i] for w in words[1:])
            ]
        if len(words) == 1:
            return list(compress(entries, word_hits))
        kept = list(compress(range(len(entries)), word_hits))
        for word in words[1:]:  # one plain scan per further word, over what is left
            kept = [i for i in kept if word in haystacks[i]]
        return [entries[i] for i in kept]

    def filter(self, pool: Iterable[Entry]) -> list[Entry]:
        """The entries of ``pool`` that match, in pool order."""
        words, digits = self.words, self.digits
        if len(words) == 1 and not digits:
            word = words[0]
            return [e for e in pool if word in e.haystack]
        return [
            e
            for e in pool
            if (digits and digits in e.phone_digits) or all(w in e.haystack for w in words)
        ]
