"""Merge: LWW registers, add-wins sets, notes side by side, delete wins; and the CRDT laws."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.bodies import (
    AddElement,
    ClearField,
    Content,
    NoteAdd,
    RecordDelete,
    RecordPut,
    RemoveElement,
    SetField,
    element_id,
)
from sync.changes import record_change
from sync.merge import MergeState
from sync.ops import Stamp

R1 = b"\x01" * 16
R2 = b"\x02" * 16
A = b"\xaa" * 32
B = b"\xbb" * 32


def stamp(wall: int, author: bytes = A, counter: int = 0) -> Stamp:
    return Stamp(wall, counter, author, bytes([wall % 256, counter % 256]) + author[:30])


def merged(*ops: tuple[Stamp, Content]) -> MergeState:
    state = MergeState()
    for s, content in ops:
        state.apply(s, content)
    return state


def test_lww_later_hlc_wins_whatever_the_order() -> None:
    early = (stamp(1), RecordPut(R1, "contact", (SetField("name", b"Ada"),)))
    late = (stamp(2), RecordPut(R1, "contact", (SetField("name", b"Bea"),)))
    for order in ([early, late], [late, early]):
        assert merged(*order).records[R1].scalars["name"].value == b"Bea"


def test_lww_ties_on_hlc_break_by_author() -> None:
    by_a = (stamp(5, A), RecordPut(R1, "contact", (SetField("name", b"from a"),)))
    by_b = (stamp(5, B), RecordPut(R1, "contact", (SetField("name", b"from b"),)))
    assert merged(by_a, by_b).records[R1].scalars["name"].value == b"from b"
    assert merged(by_b, by_a).records[R1].scalars["name"].value == b"from b"


def test_clear_is_a_write_that_takes_part_in_lww() -> None:
    state = merged(
        (stamp(1), RecordPut(R1, "contact", (SetField("org", b"Union"),))),
        (stamp(2), RecordPut(R1, "contact", (ClearField("org"),))),
    )
    assert record_change(R1, state.records[R1]).fields == {"org": None}


def test_add_wins_over_a_concurrent_remove() -> None:
    add1 = (stamp(1), RecordPut(R1, "contact", (AddElement("emails", b"a@x"),)))
    seen = element_id(add1[0].op_id, 0)
    remove = (stamp(3, A), RecordPut(R1, "contact", (RemoveElement("emails", seen),)))
    concurrent_add = (stamp(2, B), RecordPut(R1, "contact", (AddElement("emails", b"a@x"),)))
    for order in ([add1, remove, concurrent_add], [concurrent_add, remove, add1]):
        state = merged(*order)
        assert state.records[R1].sets["emails"].values() == (b"a@x",)


def test_remove_before_its_add_still_removes() -> None:
    add = (stamp(1), RecordPut(R1, "contact", (AddElement("tags", b"t"),)))
    remove = (
        stamp(2),
        RecordPut(R1, "contact", (RemoveElement("tags", element_id(add[0].op_id, 0)),)),
    )
    assert merged(remove, add).records[R1].sets["tags"].values() == ()


def test_same_value_added_twice_shows_once() -> None:
    state = merged(
        (stamp(1, A), RecordPut(R1, "contact", (AddElement("phones", b"+15551234"),))),
        (stamp(1, B), RecordPut(R1, "contact", (AddElement("phones", b"+15551234"),))),
    )
    assert state.records[R1].sets["phones"].values() == (b"+15551234",)
    assert len(state.records[R1].sets["phones"].elements()) == 2


def test_concurrent_notes_are_kept_side_by_side() -> None:
    first = (stamp(1), NoteAdd(R1, "contact", b"met at the vigil"))
    note_id = element_id(first[0].op_id, 0)
    edit_a = (stamp(2, A), NoteAdd(R1, "contact", b"met at the vigil, brought 3", (note_id,)))
    edit_b = (stamp(2, B), NoteAdd(R1, "contact", b"met at the vigil; call Tue", (note_id,)))
    state = merged(first, edit_b, edit_a)
    notes = record_change(R1, state.records[R1]).notes
    assert sorted(text for _, text in notes) == [
        b"met at the vigil, brought 3",
        b"met at the vigil; call Tue",
    ]


def test_delete_wins_over_earlier_and_later_edits_and_is_permanent() -> None:
    put_before = (stamp(1), RecordPut(R1, "contact", (SetField("name", b"Ada"),)))
    delete = (stamp(2, B), RecordDelete(R1))
    put_after = (stamp(3), RecordPut(R1, "contact", (SetField("name", b"Ada again"),)))
    note_after = (stamp(4), NoteAdd(R1, "contact", b"still here?"))
    for order in (
        [put_before, delete, put_after, note_after],
        [note_after, put_after, delete, put_before],
    ):
        state = merged(*order)
        change = record_change(R1, state.records[R1])
        assert change.deleted and change.fields == {} and change.record_type is None


def test_records_are_independent() -> None:
    state = merged(
        (stamp(1), RecordPut(R1, "contact", (SetField("name", b"Ada"),))),
        (stamp(2), RecordDelete(R2)),
    )
    assert state.records[R1].deleted is None and state.records[R2].deleted is not None


# -- the laws -------------------------------------------------------------------------------------

records = st.sampled_from([R1, R2])
names = st.sampled_from(["name", "org"])
values = st.sampled_from([b"x", b"y", b"z", b""])


@st.composite
def op_sets(draw: st.DrawFn) -> list[tuple[Stamp, Content]]:
    count = draw(st.integers(1, 12))
    out: list[tuple[Stamp, Content]] = []
    for i in range(count):
        s = Stamp(draw(st.integers(0, 4)), i, draw(st.sampled_from([A, B])), bytes([i]) * 32)
        earlier = [element_id(p.op_id, j) for p, _ in out for j in range(2)]
        change = draw(
            st.one_of(
                st.builds(SetField, names, values),
                st.builds(ClearField, names),
                st.builds(AddElement, st.just("emails"), values),
                st.builds(RemoveElement, st.just("emails"), st.sampled_from(earlier))
                if earlier
                else st.builds(ClearField, names),
            )
        )
        kind = draw(st.integers(0, 9))
        rid = draw(records)
        content: Content
        if kind == 0:
            content = RecordDelete(rid)
        elif kind <= 2:
            replaces = (
                tuple(draw(st.lists(st.sampled_from(earlier), max_size=2))) if earlier else ()
            )
            content = NoteAdd(rid, "contact", draw(values), replaces)
        else:
            content = RecordPut(
                rid,
                draw(st.sampled_from(["contact", "event"])),
                (change, change) if isinstance(change, AddElement) else (change,),
            )
        out.append((s, content))
    return out


@settings(max_examples=150, deadline=None)
@given(op_sets(), st.randoms(use_true_random=False))
def test_any_permutation_with_duplicates_gives_the_same_state(ops_, rnd) -> None:  # type: ignore[no-untyped-def]
    reference = merged(*ops_)
    shuffled = list(ops_) + [rnd.choice(ops_) for _ in range(rnd.randint(0, len(ops_)))]
    rnd.shuffle(shuffled)
    assert merged(*shuffled).records == reference.records


@settings(max_examples=100, deadline=None)
@given(op_sets(), st.integers(0, 12), st.integers(0, 12))
def test_batches_merge_in_any_grouping(ops_, cut1, cut2) -> None:  # type: ignore[no-untyped-def]
    """Replicas that saw different batches, then exchanged them, end alike (and re-sending
    a batch changes nothing)."""
    a, b = sorted((cut1, cut2))
    left, middle, right = ops_[:a], ops_[a:b], ops_[b:]
    reference = merged(*ops_).records
    assert merged(*right, *left, *middle).records == reference
    assert merged(*middle, *left, *right, *left, *middle).records == reference
