"""Stored sync state: a strict round trip, refusal of damage, and derived state re-folded."""

from __future__ import annotations

import pytest

from sync.bodies import AddElement, SetField
from sync.changes import changes_for, snapshot
from sync.errors import BadSyncState
from sync.state import SegmentState, SyncState
from tests.sync.helpers import SEGMENT, craft, group, seal, sync_all

R1 = b"\x01" * 16


def populated():  # type: ignore[no-untyped-def]
    ana, ben, cai = group("ana", "ben", "cai")
    ana.writer.put(
        ana.seg(), R1, "contact", [SetField("name", b"Ada"), AddElement("emails", b"a@x")], ana.now
    )
    ben.writer.note(ben.seg(), R1, "contact", "met at the vigil", ben.now)
    sync_all([ana, ben, cai])
    return ana, ben, cai


def test_round_trip_keeps_everything_but_keys() -> None:
    ana, ben, _ = populated()
    later = [
        ben.writer.put(ben.seg(), R1, "contact", [SetField("n", bytes([i]))], ben.now + i)
        for i in range(1, 4)
    ]
    ana.receive(seal(ana, [later[2].wire]))  # leaves one op in the gap buffer
    data = ana.sync.to_bytes()
    loaded = SyncState.from_bytes(data, ana.seg().bundle_keys())
    seg = loaded.segments[SEGMENT]
    assert snapshot(seg) == snapshot(ana.seg())
    assert seg.vector() == ana.seg().vector()
    assert set(seg.buffer.ops) == set(ana.seg().buffer.ops)
    assert seg.membership.members() == ana.seg().membership.members()
    assert loaded.clock.last == ana.sync.clock.last
    assert loaded.to_bytes() == data
    assert SyncState.from_bytes(data).segments[SEGMENT].keys == {}


def test_forks_survive_a_round_trip() -> None:
    ana, ben, _ = populated()
    twin = craft(ben, SetFieldPut(), seq=ben.seg().chain(ben.pub).head)
    ana.receive(seal(ana, [twin.wire]))
    loaded = SegmentState.from_bytes(ana.seg().to_bytes())
    assert loaded.forks() == ana.seg().forks() != {}


def SetFieldPut():  # type: ignore[no-untyped-def]
    from sync.bodies import RecordPut

    return RecordPut(R1, "contact", (SetField("name", b"twin"),))


def test_every_truncation_and_many_flips_are_refused() -> None:
    ana, _, _ = populated()
    data = ana.seg().to_bytes()
    for cut in range(0, len(data), 97):
        with pytest.raises(BadSyncState):
            SegmentState.from_bytes(data[:cut])
    refused = 0
    for index in range(0, len(data), 13):
        flipped = data[:index] + bytes([data[index] ^ 0x80]) + data[index + 1 :]
        try:
            loaded = SegmentState.from_bytes(flipped)
        except BadSyncState:
            refused += 1
            continue
        # a flip inside a key, signature or value may still parse: the sealed record around
        # the state is what authenticates it. What loads is exactly what was given, re-folded.
        assert loaded.to_bytes() == flipped
    assert refused > 0
    with pytest.raises(BadSyncState):
        SyncState.from_bytes(b"junk")
    with pytest.raises(BadSyncState):
        SegmentState.from_bytes(data + b"\x00")


def test_rebuild_equals_incremental_state() -> None:
    ana, _, _ = populated()
    before = snapshot(ana.seg())
    assert ana.seg().rebuild() == set()
    assert snapshot(ana.seg()) == before


def test_changes_for_the_vault() -> None:
    ana, _, _ = populated()
    [change] = changes_for(ana.seg(), [R1, b"\x09" * 16])
    assert change.record_type == "contact" and not change.deleted
    assert change.fields == {"name": b"Ada"}
    assert change.values("emails") == (b"a@x",)
    assert [text for _, text in change.notes] == [b"met at the vigil"]
    ana.writer.delete(ana.seg(), R1, ana.now + 5)
    [gone] = changes_for(ana.seg(), [R1])
    assert gone.deleted and gone.fields == {} and gone.sets == {} and gone.notes == ()
