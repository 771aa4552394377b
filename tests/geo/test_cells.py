"""The k-anonymity merge: every shown count is at least k, nobody is lost or counted twice."""

from __future__ import annotations

import h3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.cells import Grid, k_anonymous, parent
from vault.errors import InvalidInput

LYON, PARIS = (45.75, 4.85), (48.85, 2.35)


def test_city_cells_merge_into_their_country_or_hide() -> None:
    counts = {"city:FR:1": 6, "city:FR:2": 2, "city:FR:3": 1, "city:PT:4": 5, "city:JP:5": 4}
    shown, received, merged, hidden = k_anonymous(counts, 5)
    assert shown == {"city:FR:1": 6, "city:PT:4": 5}
    assert (received, merged, hidden) == (set(), 0, 7)
    shown, received, merged, hidden = k_anonymous(counts, 3)
    assert shown == {"city:FR:1": 6, "city:PT:4": 5, "city:JP:5": 4, "country:FR": 3}
    assert (received, merged, hidden) == ({"country:FR"}, 3, 0)


def test_small_hexagons_merge_into_their_parent() -> None:
    a = h3.latlng_to_cell(*LYON, 7)
    siblings = [c for c in h3.cell_to_children(h3.cell_to_parent(a, 6), 7) if c != a][:2]
    counts = {"h3:" + a: 5, "h3:" + siblings[0]: 2, "h3:" + siblings[1]: 3}
    shown, received, merged, hidden = k_anonymous(counts, 5)
    assert shown == {"h3:" + a: 5, "h3:" + h3.cell_to_parent(a, 6): 5}
    assert (merged, hidden) == (5, 0) and received == {"h3:" + h3.cell_to_parent(a, 6)}


def test_one_person_can_never_be_a_cell() -> None:
    with pytest.raises(InvalidInput):
        k_anonymous({"city:FR:1": 1}, 1)
    for text in ("h3:10", "h3:-1", "h3", "street", "h3:x"):
        with pytest.raises(InvalidInput):
            Grid.parse(text)
    assert str(Grid.parse(" H3:4 ")) == "h3:4" and str(Grid.parse("city")) == "city"


def test_parents_reach_the_top() -> None:
    cell = "h3:" + h3.latlng_to_cell(*PARIS, 2)
    chain = [cell]
    while (up := parent(chain[-1])) is not None:
        chain.append(up)
    assert len(chain) == 3 and parent("city:FR:1") == "country:FR"
    assert parent("country:FR") is None


points = st.lists(st.tuples(st.floats(-60, 70), st.floats(-179, 179)), max_size=60)


@settings(max_examples=40, deadline=None)
@given(points, st.integers(2, 8), st.integers(0, 6))
def test_every_shown_count_is_at_least_k_and_everyone_is_accounted(
    spots: list[tuple[float, float]], k: int, resolution: int
) -> None:
    counts: dict[str, int] = {}
    for lat, lon in spots:
        cell = "h3:" + h3.latlng_to_cell(lat, lon, resolution)
        counts[cell] = counts.get(cell, 0) + 1
    shown, received, merged, hidden = k_anonymous(counts, k)
    assert all(n >= k for n in shown.values())
    assert sum(shown.values()) + hidden == len(spots)
    direct = sum(n for c, n in shown.items() if c in counts)
    assert direct + merged == sum(shown.values())
    for cell in shown:  # a shown cell is an original cell of k or more, or a parent
        assert counts.get(cell, 0) >= k or cell in received
