"""The supporter map: who to count, where each one is, and the cells that may be shown.

    select(vault, Selection)   full ids of the contacts the filters keep (the vault's filter
                               language: segment, tag, saved search, consent, any query)
    build(vault, ids, grid, k) placements (in memory) -> Map of k-anonymous cells

Rules and reasons:
- Filters are ANDed and evaluated by the vault's own query engine
  (``vault.domain.filters`` through ``saved_searches.evaluate``), so ``--tag volunteers``
  here means exactly what ``tag:volunteers`` means in a saved search. ``--accepts
  email:events`` ("people who accept event invitations by email") is ``allows:email:events``:
  consent only, no frequency limit, because nobody is being messaged.
- A contact's first address that names a city or postcode is used (one person, one point).
- No position is ever stored: placements live in this process's memory for one run and are
  dropped with it; the vault is not written to at all. The result holds counts per cell and
  counts of reasons, never an id, a name or a point of one person.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from geo.cells import DEFAULT_K, Aggregate, Grid, describe, k_anonymous
from geo.gazetteer import REASONS, Gazetteer, Place
from vault.domain.filters import Query, Term, parse
from vault.domain.preferences import parse_rule
from vault.domain.search import fold

if TYPE_CHECKING:
    from vault import Vault
    from vault.domain.model import Address, Contact


@dataclass(frozen=True)
class Selection:
    """Which contacts to count; every part given must hold (AND). Empty: everyone."""

    segments: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    saved: tuple[str, ...] = ()
    accepts: tuple[str, ...] = ()
    where: str = ""

    def is_everyone(self) -> bool:
        """True when no filter was given."""
        return not (self.segments or self.tags or self.saved or self.accepts or self.where)


@dataclass(frozen=True)
class Map:
    """What ``kith map`` shows: counts per cell and why people were not placed."""

    grid: Grid
    k: int
    selected: int
    placed: int
    unplaced: dict[str, int]
    aggregate: Aggregate
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape of ``kith map``."""
        return {
            "grid": str(self.grid), "k": self.k, "selected": self.selected,
            "placed": self.placed, "unplaced": dict(self.unplaced),
            "hidden": self.aggregate.hidden, "merged": self.aggregate.merged,
            "cells": [{"cell": s.cell, "label": s.label, "count": s.count,
                       "merged": s.merged,
                       "center": [round(s.center[0], 4), round(s.center[1], 4)]}
                      for s in self.aggregate.shown],
        }


def select(vault: Vault, selection: Selection, *, now: int | None = None) -> list[str]:
    """Full ids of the contacts ``selection`` keeps (module rules)."""
    moment = int(time.time()) if now is None else now
    if selection.is_everyone():
        return [c.id for c in vault.contacts.all()]
    terms = [Term("segment", fold(s)) for s in selection.segments]
    terms += [Term("tag", fold(t)) for t in selection.tags]
    terms += [Term("allows", parse_rule(rule)) for rule in selection.accepts]
    if selection.where.strip():
        terms += list(parse(selection.where).terms)
    found: set[str] | None = None
    if terms:
        found = set(vault.saved_searches.evaluate(Query("", tuple(terms)), now=moment))
    for name in selection.saved:
        hits = set(vault.saved_searches.run(name, now=moment))
        found = hits if found is None else found & hits
    return sorted(found or ())


def first_place(contact: Contact) -> Address | None:
    """The address used for a contact: the first naming a city or postcode, else the first."""
    for item in contact.addresses:
        if item.locality.strip() or item.postal_code.strip():
            return item
    return contact.addresses[0] if contact.addresses else None


def build(vault: Vault, wanted: list[str], gazetteer: Gazetteer, grid: Grid,
          k: int = DEFAULT_K) -> Map:
    """Place every wanted contact, aggregate into ``grid`` cells, apply k-anonymity."""
    keep = set(wanted)
    region = vault.region
    unplaced = dict.fromkeys(REASONS, 0)
    counts: dict[str, int] = {}
    places: list[Place] = []
    for contact in vault.contacts.all():
        if contact.id not in keep:
            continue
        found = gazetteer.place(first_place(contact), region)
        if isinstance(found, str):
            unplaced[found] += 1
            continue
        places.append(found)
        cell = grid.cell(found)
        counts[cell] = counts.get(cell, 0) + 1
    shown, received, merged, hidden = k_anonymous(counts, k)
    aggregate = Aggregate(describe(shown, received, gazetteer, places), hidden, merged)
    return Map(grid, k, len(keep), len(places), {r: n for r, n in unplaced.items() if n},
               aggregate)
