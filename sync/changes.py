"""What the vault applies after a sync: the merged state of each touched record, in plaintext.

    for change in changes_for(segment_state, outcome.touched):
        if change.deleted: shred change.record_id
        else: write change.fields (None = remove the field), change.sets, change.notes

Rules and reasons:
- A change is the record's whole merged state, not a delta: applying it twice, or after a
  crash half-way, gives the same vault (idempotent), and the vault never re-implements merge.
- A deleted record comes out as ``deleted`` with no data at all: the vault shreds it (destroys
  its CDK), which is how a delete on one device reaches every copy.
- Multi-valued fields carry element ids next to values, and notes their note ids, so a later
  local edit can name exactly the elements it removes or the notes it replaces (add-wins).
- Values are the plaintext bytes the author wrote; their meaning (UTF-8 text, one email as a
  small JSON array, ...) belongs to the vault's record types, never to sync.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sync.merge import RecordState
from sync.state import SegmentState


@dataclass(frozen=True)
class RecordChange:
    """One record as it now stands in a shared segment."""

    record_id: bytes
    record_type: str | None
    deleted: bool
    fields: Mapping[str, bytes | None] = field(default_factory=dict)
    sets: Mapping[str, tuple[tuple[bytes, bytes], ...]] = field(default_factory=dict)
    notes: tuple[tuple[bytes, bytes], ...] = ()

    def values(self, name: str) -> tuple[bytes, ...]:
        """The values of multi-valued field ``name``, oldest first, each value once."""
        return tuple(dict.fromkeys(value for _, value in self.sets.get(name, ())))


def record_change(record_id: bytes, record: RecordState) -> RecordChange:
    """The change for one merged record."""
    if record.deleted is not None:
        return RecordChange(record_id, None, True)
    return RecordChange(
        record_id,
        record.type[1] if record.type else None,
        False,
        {name: register.value for name, register in sorted(record.scalars.items())},
        {
            name: tuple(items.elements())
            for name, items in sorted(record.sets.items())
            if items.adds
        },
        tuple(record.notes.elements()),
    )


def changes_for(state: SegmentState, record_ids: Iterable[bytes]) -> list[RecordChange]:
    """The changes for ``record_ids`` (typically ``ReceiveOutcome.touched``), in id order."""
    out: list[RecordChange] = []
    for record_id in sorted(set(record_ids)):
        record = state.merge.get(record_id)
        if record is not None:
            out.append(record_change(record_id, record))
    return out


def snapshot(state: SegmentState) -> dict[bytes, RecordChange]:
    """Every record of the segment as a change (for comparing replicas, and a first import)."""
    return {rid: record_change(rid, rec) for rid, rec in state.merge.records.items()}
