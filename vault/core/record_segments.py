"""Which segments a record belongs to: membership *is* a wrapped record key (issue 6).

A mixin of ``RecordStore`` (as ``RecordLinks`` and ``RecordQueries`` are): it needs the store,
the key tree, and the store's own ``_open_cdk``, ``_epoch`` and ``reseal``.

Rules and reasons:
- Adding a record to a segment wraps its CDK once more, under its bucket key with the segment's
  current epoch in the AD; the fields are not touched and their versions do not change.
- Removing the last wrap is refused (``LastSegment``): the record would be unreadable but not
  shredded, the worst of both. A record homed in the segment it leaves is re-sealed under a
  remaining one (the private segment first), so its fields never point at a segment it left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vault.core.keytree import KeyTree
from vault.core.store import Store
from vault.errors import LastSegment


class RecordSegments:
    """Segment membership of sealed records."""

    store: Store
    tree: KeyTree

    if TYPE_CHECKING:  # provided by RecordStore

        def _open_cdk(self, record_id: bytes) -> tuple[bytes, bytes]: ...
        def _epoch(self, segment_id: bytes) -> int: ...
        def reseal(
            self, record_id: bytes, *, home: bytes | None = None, fresh_key: bool = False
        ) -> None: ...

    def add_to_segment(self, record_id: bytes, segment_id: bytes) -> bool:
        """Wrap the record's CDK under ``segment_id``'s current key; False if already there.

        Membership *is* the wrapped CDK: whoever holds the segment key can open the record, and
        nobody else. The CDK is unwrapped through a row the record already has, so the fields
        are not touched and their versions do not change.
        """
        if self.store.one(
            "SELECT 1 FROM record_keys WHERE record_id = ? AND segment_id = ?",
            (record_id, segment_id),
        ):
            return False
        _, cdk = self._open_cdk(record_id)
        epoch = self._epoch(segment_id)
        with self.store.transaction():
            self.store.execute(
                "INSERT INTO record_keys (record_id, segment_id, epoch, wrapped_cdk) "
                "VALUES (?,?,?,?)",
                (record_id, segment_id, epoch, self.tree.wrap(record_id, segment_id, epoch, cdk)),
            )
        return True

    def remove_from_segment(self, record_id: bytes, segment_id: bytes) -> bool:
        """Delete the record's key row for ``segment_id``; False if it was not there.

        Refused (``LastSegment``) when that row is the record's only key: the record would be
        unreadable but not shredded, which is the worst of both. If the record was homed in that
        segment its fields are re-sealed under a remaining segment (the private one first).
        """
        rows = [
            bytes(r[0])
            for r in self.store.execute(
                "SELECT segment_id FROM record_keys WHERE record_id = ?", (record_id,)
            )
        ]
        if segment_id not in rows:
            return False
        if len(rows) == 1:
            raise LastSegment
        with self.store.transaction():
            home = self.store.one("SELECT home_segment FROM records WHERE id = ?", (record_id,))
            if home is not None and bytes(home[0]) == segment_id:
                private = self.store.one("SELECT id FROM segments WHERE kind = 'private'")
                others = [s for s in rows if s != segment_id]
                new_home = (
                    bytes(private[0]) if private and bytes(private[0]) in others else others[0]
                )
                self.reseal(record_id, home=new_home)
            self.store.execute(
                "DELETE FROM record_keys WHERE record_id = ? AND segment_id = ?",
                (record_id, segment_id),
            )
        return True

    def in_segment(self, segment_id: bytes, record_type: str | None = None) -> list[bytes]:
        """Ids of the records wrapped for ``segment_id`` (of one type if given)."""
        rows = self.store.execute(
            "SELECT k.record_id FROM record_keys k JOIN records r ON r.id = k.record_id "
            "WHERE k.segment_id = ? AND (? IS NULL OR r.type = ?) ORDER BY k.record_id",
            (segment_id, record_type, record_type),
        )
        return [bytes(r[0]) for r in rows]

    def segments_of(self, record_id: bytes) -> list[bytes]:
        """Ids of the segments a record is wrapped for."""
        return [
            bytes(r[0])
            for r in self.store.execute(
                "SELECT segment_id FROM record_keys WHERE record_id = ?", (record_id,)
            )
        ]
