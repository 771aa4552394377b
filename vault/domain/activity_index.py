"""The in-memory activity index: what saved searches and ``may_contact`` ask, precomputed.

Built once per unlock (on first use) by decrypting every contact, the four index fields of
every interaction (``vault/domain/interactions.py``) and every preferences record; dropped on lock.
Never written anywhere. A query then costs set operations over plaintext in memory instead of
decrypting 500,000 interactions (``bench/bench_saved_search.py`` measures both).

What it keeps, and why each is enough:
- per contact: tags, cities, segments, languages, custom fields (inverted: value -> contacts),
  the folded organization, and whether it has an email, phone or address;
- per interaction kind: each contact's *latest* date of that kind. Every time filter is "at or
  after a moment" (``90d``, ``since:``), so the latest date decides it exactly;
- each contact's latest outbound message (the frequency limit) and latest contact made
  (``contacted:``); who signed which petition and who appears in which campaign, folded;
- every contact's preferences (opt-in rules, do-not-contact, frequency).

Freshness: writes through the interaction, preference and event repositories update the index
in place. The cache rebuilds it when the number of contacts, interactions or preferences in the
database differs from what it indexed (an import, a delete, another repository). An edit to a
contact's fields made through ``vault.domain.contacts`` in the same session is not seen until
``vault.activity_cache.clear()``; the CLI unlocks per command, so it is always fresh.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from vault.domain.filters import Query, Term
from vault.domain.interactions import InteractionFact, is_contact_made, is_outbound_message
from vault.domain.model import Contact
from vault.domain.preferences import MESSAGE_KINDS, Preferences, permitted
from vault.domain.saved_search import Members
from vault.domain.search import SearchIndex, fold

"""(event id prefix, "event" | "signup") -> full ids of the contacts attending / signed up."""

_NAME_MAPS = ("city", "tag", "segment", "lang")


@dataclass(frozen=True)
class Counts:
    """How many records of each indexed type the index reflects (its freshness check)."""

    contacts: int
    interactions: int
    preferences: int


class ActivityIndex:
    """Plaintext facts for filters, in memory only; thread-safe (one lock)."""

    def __init__(self, text: SearchIndex) -> None:
        self.text = text
        self.sort_key: dict[str, tuple[str, str]] = {}
        self._rank: dict[str, int] = {}
        self.names: dict[str, dict[str, set[str]]] = {m: {} for m in _NAME_MAPS}
        self.fields: dict[str, dict[str, set[str]]] = {}
        self.has: dict[str, set[str]] = {"email": set(), "phone": set(), "address": set()}
        self.org: dict[str, str] = {}
        self.last_kind: dict[str, dict[str, int]] = {}
        self.last_out: dict[str, int] = {}
        self.last_contacted: dict[str, int] = {}
        self.signed: dict[str, set[str]] = {}
        self.campaigns: dict[str, set[str]] = {}
        self.prefs: dict[str, Preferences] = {}
        self.counts = Counts(0, 0, 0)
        self.marker: tuple[int, int] | None = None
        self.owns_text = True
        self._lock = threading.RLock()

    # -- filling ---------------------------------------------------------------------------

    def add_contacts(self, contacts: Iterable[Contact], *, with_text: bool = True) -> None:
        """Index contacts (replacing earlier facts of the same ids)."""
        batch = list(contacts)
        with self._lock:
            for contact in batch:
                if contact.id in self.sort_key:
                    self._drop_contact(contact.id)
                self._add_contact(contact)
            self._rank = {}
        if with_text:
            self.text.add_many(batch)

    def _add_contact(self, contact: Contact) -> None:
        cid = contact.id
        self.sort_key[cid] = (fold(contact.display_name()), cid)
        values = {
            "city": {a.locality for a in contact.addresses if a.locality},
            "tag": set(contact.tags),
            "segment": set(contact.segments),
            "lang": set(contact.languages),
        }
        for name, items in values.items():
            for item in items:
                self.names[name].setdefault(fold(item), set()).add(cid)
        for key, value in contact.fields:
            self.fields.setdefault(fold(key), {}).setdefault(fold(value), set()).add(cid)
        for what, present in (("email", contact.emails), ("phone", contact.phones),
                              ("address", contact.addresses)):
            if present:
                self.has[what].add(cid)
        if contact.org:
            self.org[cid] = fold(contact.org)

    def _drop_contact(self, cid: str) -> None:
        for mapping in (*self.names.values(), *self.fields.values()):
            for members in mapping.values():
                members.discard(cid)
        for members in self.has.values():
            members.discard(cid)
        self.org.pop(cid, None)
        self.sort_key.pop(cid, None)

    def add_interaction(self, fact: InteractionFact) -> None:
        """Index one interaction (kept: latest dates, petition and campaign membership)."""
        with self._lock:
            self._add_interaction(fact)

    def _add_interaction(self, fact: InteractionFact) -> None:
        cid = fact.contact
        latest = self.last_kind.setdefault(fact.kind, {})
        if fact.at > latest.get(cid, fact.at - 1):
            latest[cid] = fact.at
        if is_outbound_message(fact.kind, fact.direction) and fact.at > self.last_out.get(
            cid, fact.at - 1
        ):
            self.last_out[cid] = fact.at
        if is_contact_made(fact.kind, fact.direction) and fact.at > self.last_contacted.get(
            cid, fact.at - 1
        ):
            self.last_contacted[cid] = fact.at
        if fact.campaign:
            name = fold(fact.campaign)
            self.campaigns.setdefault(name, set()).add(cid)
            if fact.kind == "petition-signed":
                self.signed.setdefault(name, set()).add(cid)

    def set_preferences(self, prefs: Preferences) -> None:
        """Index (or replace) one contact's preferences."""
        with self._lock:
            self.prefs[prefs.contact] = prefs

    # -- asking ----------------------------------------------------------------------------

    def rank(self) -> dict[str, int]:
        """Contact id -> position in name order (recomputed after contacts change)."""
        with self._lock:
            if len(self._rank) != len(self.sort_key):
                order = sorted(self.sort_key, key=self.sort_key.__getitem__)
                self._rank = {cid: i for i, cid in enumerate(order)}
            return self._rank

    def evaluate(self, query: Query, now: int, members: Members) -> list[str]:
        """Full ids of the contacts matching every term of ``query``, in name order."""
        with self._lock:
            rank = self.rank()
            positive: list[set[str]] = []
            negative: list[set[str]] = []
            for term in query.terms:
                (negative if term.negated else positive).append(self._match(term, now, members))
            positive.sort(key=len)
            result = set(positive[0]) if positive else set(rank)
            for matched in positive[1:]:
                result &= matched
            for matched in negative:
                result -= matched
            return sorted((c for c in result if c in rank), key=rank.__getitem__)

    def _since(self, latest: dict[str, int], term: Term, now: int) -> set[str]:
        threshold = term.window.threshold(now) if term.window else None
        if threshold is None:
            return set(latest)
        return {cid for cid, at in latest.items() if at >= threshold}

    def _match(self, term: Term, now: int, members: Members) -> set[str]:
        key, value = term.key, term.value
        if key == "text":
            return self.text.matching_ids(value)
        if key in self.names:
            return self.names[key].get(value, set())
        if key == "org":
            return {cid for cid, org in self.org.items() if value in org}
        if key == "field":
            by_value = self.fields.get(value, {})
            if term.extra is None:
                return set().union(*by_value.values())
            return by_value.get(term.extra, set())
        if key == "has":
            if value == "dnc":
                return {cid for cid, p in self.prefs.items() if p.do_not_contact}
            if value == "prefs":
                return set(self.prefs)
            return self.has[value]
        return self._match_activity(term, now, members)

    def _match_activity(self, term: Term, now: int, members: Members) -> set[str]:
        key, value = term.key, term.value
        if key == "contacted":
            return self._since(self.last_contacted, term, now)
        if key in ("attended", "donated", "logged"):
            kind = {"attended": "event-attended", "donated": "donation"}.get(key, term.extra)
            return self._since(self.last_kind.get(kind or "", {}), term, now)
        if key == "signed":
            return self.signed.get(value, set())
        if key == "campaign":
            return self.campaigns.get(value, set())
        if key in ("event", "signup"):
            return members(value, key)
        channel, _, kind = value.partition(":")
        kinds = (kind,) if kind else MESSAGE_KINDS
        return {cid for cid, p in self.prefs.items() if any(p.allows(channel, k) for k in kinds)}

    def may_contact(self, channel: str, kind: str, at: int) -> list[str]:
        """Contacts whose preferences allow ``kind`` on ``channel`` at ``at``, in name order."""
        with self._lock:
            rank = self.rank()
            allowed = [
                cid for cid, prefs in self.prefs.items()
                if cid in rank and permitted(prefs, self.last_out.get(cid), channel, kind, at)
            ]
            return sorted(allowed, key=rank.__getitem__)

    def clear(self) -> None:
        """Forget everything (lock)."""
        with self._lock:
            for mapping in (self.names, self.fields, self.last_kind, self.signed, self.campaigns):
                mapping.clear()
            for store in (self.sort_key, self._rank, self.has, self.org, self.last_out,
                          self.last_contacted, self.prefs):
                store.clear()
            if self.owns_text:
                self.text.clear()


def build(
    contacts: Iterable[Contact],
    interactions: Iterable[InteractionFact],
    preferences: Iterable[Preferences],
    counts: Counts,
    text: SearchIndex | None = None,
) -> ActivityIndex:
    """A full index. A complete ``text`` (the vault's search index) is shared, not refilled."""
    share = text is not None and text.complete
    index = ActivityIndex(text if share and text is not None else SearchIndex())
    index.owns_text = not share
    batch: list[Contact] = []
    for contact in contacts:
        batch.append(contact)
        if len(batch) >= 1000:
            index.add_contacts(batch, with_text=not share)
            batch = []
    index.add_contacts(batch, with_text=not share)
    index.text.complete = True
    with index._lock:
        for fact in interactions:
            index._add_interaction(fact)
        for prefs in preferences:
            index.prefs[prefs.contact] = prefs
        index.counts = counts
    return index


class ActivityCache:
    """Holds one vault's activity index: built on first use, rebuilt when stale, dropped on lock.

    ``build`` makes a full index. Freshness is checked on every ``get`` in two steps: ``marker``
    (the store's O(1) change marker) says whether anything changed at all since the last check;
    only then ``counts`` (three indexed ``count(*)`` queries, ~100 ms at 500,000 interactions)
    decides whether the index must be rebuilt. Nothing is decrypted to find out.
    """

    def __init__(
        self,
        build: Callable[[], ActivityIndex],
        counts: Callable[[], Counts],
        marker: Callable[[], tuple[int, int]] | None = None,
    ) -> None:
        self._build = build
        self._counts = counts
        self._marker = marker
        self._index: ActivityIndex | None = None
        self._lock = threading.Lock()

    def peek(self) -> ActivityIndex | None:
        """The index if built (writers update it in place), else None."""
        return self._index

    def get(self) -> ActivityIndex:
        """The index, built or rebuilt as needed."""
        with self._lock:
            marker = self._marker() if self._marker else None
            index = self._index
            if index is not None and marker is not None and index.marker == marker:
                return index
            if index is None or index.counts != self._counts():
                index = self._index = self._build()
            index.marker = marker
            return index

    def note(self, **changes: int) -> None:
        """Move the counts of a built index after a write the index already reflects."""
        index = self._index
        if index is not None:
            current = index.counts
            index.counts = Counts(
                current.contacts + changes.get("contacts", 0),
                current.interactions + changes.get("interactions", 0),
                current.preferences + changes.get("preferences", 0),
            )

    def interaction_logged(self, fact: InteractionFact) -> None:
        """Add one written interaction to a built index (``InteractionListener``)."""
        index = self._index
        if index is not None:
            index.add_interaction(fact)
            self.note(interactions=1)

    def contact_added(self, contact: Contact) -> None:
        """Add one written contact to a built index (``ContactListener``)."""
        index = self._index
        if index is not None:
            index.add_contacts([contact])
            self.note(contacts=1)

    def preferences_set(self, prefs: Preferences, *, created: bool) -> None:
        """Put one contact's written preferences into a built index (``PreferencesListener``)."""
        index = self._index
        if index is not None:
            index.set_preferences(prefs)
            if created:
                self.note(preferences=1)

    def may_contact(self, channel: str, kind: str, at: int) -> list[str]:
        """``ActivityIndex.may_contact`` on the fresh index."""
        return self.get().may_contact(channel, kind, at)

    def evaluate(self, query: Query, now: int, members: Members) -> list[str]:
        """``ActivityIndex.evaluate`` on the fresh index (``QueryEvaluator``)."""
        return self.get().evaluate(query, now, members)

    def clear(self) -> None:
        """Drop the index (lock, or after a delete it cannot follow)."""
        with self._lock:
            if self._index is not None:
                self._index.clear()
            self._index = None
