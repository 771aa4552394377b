"""Saved searches ("smart segments"): a named filter query, evaluated locally on each run.

A saved search is a sealed record of type ``saved_search`` with two sealed fields, ``name``
and ``query`` (the text of a ``vault/domain/filters.py`` query). It stores the *definition*, never
its result: who matches changes as people are contacted, attend and sign, and a stored list
would be one more copy of who-is-who to protect.

Rules and reasons:
- The query is parsed before it is saved, so a saved search can always run (a later grammar
  change that refuses an old query is a bug in the change).
- Names are 1 to 64 characters, unique after case-folding; saving under an existing name
  replaces that definition (the same record, new field versions).
- Evaluation goes through the in-memory activity index (``vault/domain/activity_index.py``): the
  first run after unlock builds it, later runs cost set operations only. Times such as
  ``90d`` are relative to ``now`` at each run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from vault import ids
from vault.core.records import Record, RecordStore
from vault.domain.filters import Query, parse
from vault.domain.search import fold
from vault.domain.values import clean_name
from vault.errors import IntegrityError, InvalidInput, NoSuchSavedSearch

RECORD_TYPE = "saved_search"
Members = Callable[[str, str], set[str]]
"""(kind, name) -> full ids of the contacts in that segment or event: how queries see groups."""


class QueryEvaluator(Protocol):
    """What evaluates a parsed query (``ActivityCache`` is one)."""

    def evaluate(self, query: Query, now: int, members: Members) -> list[str]:
        """Full ids of the contacts matching ``query`` at ``now``, in name order."""
        ...

MAX_NAME = 64


@dataclass(frozen=True)
class SavedSearch:
    """One stored definition."""

    id: str
    name: str
    query: str
    created: int
    updated: int

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape of ``kith saved list``."""
        return {"id": self.id, "name": self.name, "query": self.query,
                "created": self.created, "updated": self.updated}


def check_search_name(name: str) -> str:
    """A saved-search name: 1 to 64 characters, no control characters."""
    return clean_name(name, "the saved-search name", MAX_NAME)


class SavedSearchRepository:
    """Saved searches as sealed records, and the evaluation of any query."""

    def __init__(
        self,
        records: RecordStore,
        home_segment: bytes,
        cache: QueryEvaluator | None = None,
        members: Members | None = None,
    ) -> None:
        self.records = records
        self.home_segment = home_segment
        self.cache = cache
        self.members = members

    def _saved(self, record: Record) -> SavedSearch:
        try:
            return SavedSearch(ids.full(record.id), record.fields["name"].decode("utf-8"),
                               record.fields["query"].decode("utf-8"), record.created,
                               record.updated)
        except (KeyError, UnicodeDecodeError):
            raise IntegrityError("(a saved search is malformed)") from None

    def all(self) -> list[SavedSearch]:
        """Every saved search, by name."""
        found = [self._saved(r) for r in self.records.iter_type(RECORD_TYPE)]
        return sorted(found, key=lambda s: (fold(s.name), s.id))

    def find(self, name: str) -> SavedSearch | None:
        """The saved search called ``name`` (case-insensitive), or None."""
        wanted = fold(check_search_name(name))
        return next((s for s in self.all() if fold(s.name) == wanted), None)

    def get(self, name: str) -> SavedSearch:
        """The saved search called ``name``, or ``NoSuchSavedSearch`` (exit 4)."""
        found = self.find(name)
        if found is None:
            raise NoSuchSavedSearch
        return found

    def save(self, name: str, query: str) -> SavedSearch:
        """Save (or replace) a definition; the query must parse."""
        clean = check_search_name(name)
        parse(query)
        values = {"name": clean.encode(), "query": query.encode()}
        existing = self.find(clean)
        if existing is None:
            record_id = self.records.create(RECORD_TYPE, values, self.home_segment)
        else:
            record_id = bytes.fromhex(existing.id)
            self.records.update(record_id, values)
        return self._saved(self.records.get(record_id))

    def delete(self, name: str) -> None:
        """Crypto-shred one saved search."""
        self.records.shred([bytes.fromhex(self.get(name).id)])

    def evaluate(self, query: str | Query, *, now: int | None = None) -> list[str]:
        """Full ids of the contacts matching ``query``, in name order."""
        if self.cache is None or self.members is None:
            raise InvalidInput("(evaluating a search needs the vault's activity index)")
        parsed = parse(query) if isinstance(query, str) else query
        moment = int(time.time()) if now is None else now
        return self.cache.evaluate(parsed, moment, self.members)

    def run(self, name: str, *, now: int | None = None) -> list[str]:
        """Evaluate the saved search called ``name``."""
        return self.evaluate(self.get(name).query, now=now)
