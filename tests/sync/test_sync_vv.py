"""Version vectors: what the other side lacks, and the strict encoding."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync import vv
from sync.bodies import SetField
from tests.sync.helpers import group

A, B, C = b"\x0a" * 32, b"\x0b" * 32, b"\x0c" * 32

vectors = st.dictionaries(st.sampled_from([A, B, C]), st.integers(1, 50))


def test_missing_ranges_and_dominance() -> None:
    mine, theirs = {A: 5, B: 2}, {A: 3, C: 4}
    assert vv.missing(mine, theirs) == {A: (4, 5), B: (1, 2)}
    assert vv.lacks(theirs, B, 1) and not vv.lacks(theirs, A, 3)
    assert not vv.dominates(mine, theirs) and vv.dominates(vv.merge(mine, theirs), theirs)


@given(vectors)
def test_encoding_round_trips(vector: dict[bytes, int]) -> None:
    assert vv.parse(vv.encode(vector)) == vector


@pytest.mark.parametrize(
    "raw",
    [
        vv.encode({A: 1}) + b"\x00",
        vv.encode({A: 1})[:-1],
        b"\x00\x00\x00\x02" + vv.encode({A: 1})[4:] * 2,  # same author twice
        b"\x00\x00\x00\x02" + vv.encode({B: 1})[4:] + vv.encode({A: 1})[4:],  # not ascending
        vv.encode({A: 1}).replace(b"\x00" * 7 + b"\x01", b"\x00" * 8),  # seq 0
    ],
)
def test_parse_is_strict(raw: bytes) -> None:
    with pytest.raises(ValueError):
        vv.parse(raw)


def test_a_replica_sends_exactly_what_the_other_lacks_in_acceptance_order() -> None:
    ana, ben = group("ana", "ben")
    sent = [
        ana.writer.put(ana.seg(), b"\x01" * 16, "contact", [SetField("n", bytes([i]))], ana.now + i)
        for i in range(3)
    ]
    theirs = ben.seg().vector()
    assert ana.seg().lacking(theirs) == sent
    assert ana.seg().lacking(ana.seg().vector()) == []
    assert ana.bundles_since(ana.seg().vector()) == []
    # a stale (smaller) vector only asks for more: duplicates, never gaps
    assert ana.seg().lacking({}) == [e.op for e in ana.seg().log]
