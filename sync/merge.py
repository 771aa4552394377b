"""The merged content of one segment: a state-based CRDT fed with content ops.

Per record::

    type        last-writer-wins register, ordered by Stamp (hlc, author, op id)
    scalars     field name -> LWW register (a value, or "cleared")
    sets        field name -> add-wins observed-remove set of (element id -> value)
    notes       add-wins set of (note id -> text): concurrent notes are kept side by side
    deleted     the largest Stamp of any delete, or None

Rules and reasons:
- LWW by ``Stamp``: a total order every replica computes alike, so the winner does not depend on
  delivery order. The HLC makes "later" mean later in real time, within the skew bound.
- Add-wins sets: a ``remove`` names the element ids its author had seen; an element added
  concurrently has a new id and survives. Two people adding the same phone number is two
  elements with one value, shown once (the earliest). Removes are remembered (as ids only), so
  a remove that arrives before its add still wins over that add.
- Notes are free text that people write at the same time: a note names the notes it replaces
  (``NoteAdd.replaces``), so two concurrent edits of one note both survive, side by side, and a
  person merges them; last-writer-wins would silently throw one away.
- Delete wins, permanently: once any delete of a record id is applied, the record keeps nothing
  but its tombstone, and every put or note for that id, earlier or later, concurrent or not, is
  discarded. A record id is never re-created; "undelete" is a new record. Reason: this is the
  only delete rule that is a pure function of the set of ops (no causality tracking needed),
  and it errs on the side of forgetting, which is what a delete in a contact vault is for.
- ``apply`` is commutative, associative and idempotent (property-tested): the state after any
  permutation of a set of ops, with any duplicates, is identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

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
from sync.ops import Stamp


class Register(NamedTuple):
    """One LWW value: ``value`` None means the field was cleared."""

    stamp: Stamp
    value: bytes | None


@dataclass
class OrSet:
    """An add-wins observed-remove set: element id -> (stamp of its add, value)."""

    adds: dict[bytes, tuple[Stamp, bytes]] = field(default_factory=dict)
    removed: set[bytes] = field(default_factory=set)

    def add(self, element: bytes, stamp: Stamp, value: bytes) -> None:
        """Add one element, unless a remove of it was already seen."""
        if element not in self.removed:
            self.adds[element] = (stamp, value)

    def remove(self, element: bytes) -> None:
        """Remove one element by id (remembered, so a late add of it stays removed)."""
        self.removed.add(element)
        self.adds.pop(element, None)

    def elements(self) -> list[tuple[bytes, bytes]]:
        """Live ``(element id, value)`` pairs, oldest add first."""
        ordered = sorted(self.adds.items(), key=lambda item: (item[1][0], item[0]))
        return [(element, value) for element, (_, value) in ordered]

    def values(self) -> tuple[bytes, ...]:
        """Live values, oldest first, each value once."""
        return tuple(dict.fromkeys(value for _, value in self.elements()))


@dataclass
class RecordState:
    """One record's merged state."""

    type: tuple[Stamp, str] | None = None
    scalars: dict[str, Register] = field(default_factory=dict)
    sets: dict[str, OrSet] = field(default_factory=dict)
    notes: OrSet = field(default_factory=OrSet)
    deleted: Stamp | None = None


def _lww(current: Register | None, new: Register) -> Register:
    return new if current is None or new.stamp > current.stamp else current


@dataclass
class MergeState:
    """Every record of one segment, merged."""

    records: dict[bytes, RecordState] = field(default_factory=dict)

    def apply(self, stamp: Stamp, content: Content) -> bytes:
        """Merge one content op (its ``stamp`` carries its op id); returns the record id."""
        record = self.records.setdefault(content.record_id, RecordState())
        if isinstance(content, RecordDelete):
            if record.deleted is None or stamp > record.deleted:
                self.records[content.record_id] = RecordState(deleted=stamp)
            return content.record_id
        if record.deleted is not None:
            return content.record_id
        if record.type is None or stamp > record.type[0]:
            record.type = (stamp, content.record_type)
        if isinstance(content, NoteAdd):
            record.notes.add(element_id(stamp.op_id, 0), stamp, content.text)
            for note in content.replaces:
                record.notes.remove(note)
            return content.record_id
        self._put(record, stamp, content)
        return content.record_id

    @staticmethod
    def _put(record: RecordState, stamp: Stamp, put: RecordPut) -> None:
        index = 0
        for change in put.changes:
            match change:
                case SetField(name, value):
                    record.scalars[name] = _lww(record.scalars.get(name), Register(stamp, value))
                case ClearField(name):
                    record.scalars[name] = _lww(record.scalars.get(name), Register(stamp, None))
                case AddElement(name, value):
                    record.sets.setdefault(name, OrSet()).add(
                        element_id(stamp.op_id, index), stamp, value
                    )
                    index += 1
                case RemoveElement(name, element):
                    record.sets.setdefault(name, OrSet()).remove(element)

    def get(self, record_id: bytes) -> RecordState | None:
        """The merged state of one record (a tombstone if deleted), or None if never seen."""
        return self.records.get(record_id)
