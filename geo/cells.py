"""Cells: where counts are shown, and the k-anonymity rule that decides which are.

Two kinds of cell, each with a parent:
- ``h3:R`` (R = 0-9): the H3 hexagon of resolution R holding the point (``h3``, Apache 2.0).
  Its parent is the hexagon of resolution R-1 that contains it; a resolution-0 cell has none.
  Resolution 9 is already a few city blocks; the cap keeps a map from pointing at a street.
- ``city``: the gazetteer city the contact was placed in; its parent is the country; a
  country has none.

The rule (k-anonymity, k = 5 by default, at least 2): every count shown is the number of a
set of at least k people, and those sets never overlap. Cells are processed from the finest
level up: a cell with fewer than k people is not shown; its people are added to its parent,
which is then judged the same way; people left at a cell with no parent are hidden, and only
their total is reported. So a parent shown after a merge counts "the rest of this larger area",
never a subtraction of something shown from something else shown.

Nothing here stores anything: cells are computed in memory, per run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from geo.gazetteer import City, Gazetteer, Place
from vault.errors import InvalidInput

MAX_H3 = 9
DEFAULT_K = 5
MIN_K = 2


@dataclass(frozen=True)
class Grid:
    """How points become cells: ``h3`` at ``resolution``, or ``city``."""

    kind: str
    resolution: int = 0

    @classmethod
    def parse(cls, text: str) -> Grid:
        """``city`` or ``h3:R`` (R = 0 to 9)."""
        word = text.strip().lower()
        if word == "city":
            return cls("city")
        head, _, tail = word.partition(":")
        if head == "h3" and tail.isdigit() and 0 <= int(tail) <= MAX_H3:
            return cls("h3", int(tail))
        raise InvalidInput(f"(a grid is city or h3:0 to h3:{MAX_H3})")

    def __str__(self) -> str:
        return "city" if self.kind == "city" else f"h3:{self.resolution}"

    def cell(self, place: Place) -> str:
        """The cell holding ``place``."""
        if self.kind == "city":
            return f"city:{place.city.country}:{place.city.geonameid}"
        import h3

        return "h3:" + str(h3.latlng_to_cell(place.lat, place.lon, self.resolution))


def parent(cell: str) -> str | None:
    """The cell one level coarser, or None at the top."""
    kind, _, rest = cell.partition(":")
    if kind == "city":
        return "country:" + rest.partition(":")[0]
    if kind == "h3":
        import h3

        resolution = h3.get_resolution(rest)
        return None if resolution == 0 else "h3:" + str(h3.cell_to_parent(rest, resolution - 1))
    return None


def level(cell: str) -> int:
    """How fine a cell is (larger is finer): cities above countries, H3 by resolution."""
    kind, _, rest = cell.partition(":")
    if kind == "h3":
        import h3

        return int(h3.get_resolution(rest))
    return 1 if kind == "city" else 0


@dataclass(frozen=True)
class Shown:
    """One cell on the map: its count, a label, its centre and outline (lat, lon)."""

    cell: str
    count: int
    label: str
    center: tuple[float, float]
    outline: tuple[tuple[float, float], ...]
    merged: bool


@dataclass(frozen=True)
class Aggregate:
    """The cells shown, how many people are shown in a wider cell, and how many are hidden."""

    shown: tuple[Shown, ...]
    hidden: int
    merged: int


def k_anonymous(counts: dict[str, int], k: int) -> tuple[dict[str, int], set[str], int, int]:
    """(shown counts, cells that received merges, people shown in a wider cell, people hidden).

    ``counts`` holds the finest cells; people shown in their own cell, people shown in a wider
    one and people hidden add up to everyone counted.
    """
    if k < MIN_K:
        raise InvalidInput(f"(k is at least {MIN_K}: a cell of one person is that person)")
    pending = {c: n for c, n in counts.items() if n > 0}
    received: set[str] = set()
    shown: dict[str, int] = {}
    hidden = 0
    while pending:
        finest = max(level(c) for c in pending)
        for cell in [c for c in pending if level(c) == finest]:
            count = pending.pop(cell)
            if count >= k:
                shown[cell] = count
                continue
            up = parent(cell)
            if up is None:
                hidden += count
                continue
            received.add(up)
            pending[up] = pending.get(up, 0) + count
    direct = sum(n for c, n in shown.items() if c in counts)
    return shown, received & set(shown), sum(shown.values()) - direct, hidden


def _h3_shape(cell: str) -> tuple[tuple[float, float], tuple[tuple[float, float], ...]]:
    import h3

    lat, lon = h3.cell_to_latlng(cell)
    return (lat, lon), tuple((float(a), float(b)) for a, b in h3.cell_to_boundary(cell))


@lru_cache(maxsize=16)
def _largest_at(gazetteer: Gazetteer, resolution: int) -> dict[str, City]:
    """The most populous gazetteer city of every H3 cell at ``resolution`` that has one."""
    import h3

    found: dict[str, City] = {}
    for city in gazetteer.cities:
        cell = str(h3.latlng_to_cell(city.lat, city.lon, resolution))
        if cell not in found or found[cell].population < city.population:
            found[cell] = city
    return found


def _largest_in(gazetteer: Gazetteer, wanted: list[str]) -> dict[str, City]:
    """The most populous gazetteer city inside each wanted H3 cell (a label, not data)."""
    import h3

    found: dict[str, City] = {}
    for cell in wanted:
        city = _largest_at(gazetteer, int(h3.get_resolution(cell))).get(cell)
        if city is not None:
            found[cell] = city
    return found


def describe(cells: dict[str, int], received: set[str], gazetteer: Gazetteer,
             places: Iterable[Place]) -> tuple[Shown, ...]:
    """Labels, centres and outlines of shown cells, from the gazetteer only.

    A city cell is labelled with the city's name and drawn at the city's gazetteer point. A
    country cell is drawn at the country's largest gazetteer city, never at a mean of its
    people's places (that would hint where the merged few are). An H3 cell is labelled with
    the largest gazetteer city inside it, else the one nearest its centre.
    """
    by_id = {p.city.geonameid: p.city for p in places}
    largest = _largest_in(gazetteer, [c.partition(":")[2] for c in cells if c.startswith("h3:")])
    out: list[Shown] = []
    for cell, count in sorted(cells.items(), key=lambda item: (-item[1], item[0])):
        kind, _, rest = cell.partition(":")
        if kind == "h3":
            center, outline = _h3_shape(rest)
            near = largest.get(rest) or gazetteer.nearest(*center)
            label = f"around {near.name}, {near.country}" if near else rest
            label += " (wider area)" if cell in received else ""
        elif kind == "city":
            country, _, ident = rest.partition(":")
            city = by_id[int(ident)]
            center, outline, label = (city.lat, city.lon), (), f"{city.name}, {country}"
        else:
            biggest = max((c for c in gazetteer.cities if c.country == rest),
                          key=lambda c: c.population, default=None)
            center = (biggest.lat, biggest.lon) if biggest else (0.0, 0.0)
            others = any(c.startswith(f"city:{rest}:") for c in cells)
            outline, label = (), (f"rest of {rest}" if others else rest)
        out.append(Shown(cell, count, label, center, outline, cell in received))
    return tuple(out)
