"""Questions answered from the plaintext columns of ``records``, without decrypting anything.

Ids, types, creation and expiry times are plaintext inside the encrypted database (see
``vault/core/schema.py``) precisely so these answers need no record key. This is a mixin of
``RecordStore``: it needs only ``self.store``.
"""

from __future__ import annotations

import re

from vault import ids
from vault.core import packed
from vault.core.store import Store
from vault.errors import AmbiguousId, NotFound

ID_BYTES = 16
# Field names findable without opening anything (``indexed_fields``, kept by RecordStore's
# writes). Adding a name needs a new migration that fills ``indexed_fields`` for it.
INDEXED_NAMES = frozenset({"expiry"})
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


class RecordQueries:
    """Id, count, type, field-name and time queries on ``self.store``."""

    store: Store

    def resolve(self, record_type: str, prefix: str, what: str) -> bytes:
        """The id of the one ``record_type`` record whose hex id starts with ``prefix``.

        The one prefix rule for every command that takes an id: none is ``NotFound`` ("no
        ``what`` with that id"), two or more is ``AmbiguousId`` (never a guess).
        """
        raw, bits = ids.parse_prefix(prefix)
        found = self.ids_with_prefix(record_type, raw, bits)
        if not found:
            raise NotFound(f"(no {what} with that id)")
        if len(found) > 1:
            raise AmbiguousId
        return found[0]

    def ids_with_prefix(self, record_type: str, prefix: bytes, prefix_bits: int) -> list[bytes]:
        """Ids of ``record_type`` whose first ``prefix_bits`` bits equal ``prefix`` (at most 2)."""
        low = prefix + b"\x00" * (ID_BYTES - len(prefix))
        high_bytes = bytearray(prefix + b"\xff" * (ID_BYTES - len(prefix)))
        spare = len(prefix) * 8 - prefix_bits
        if spare:
            high_bytes[len(prefix) - 1] |= (1 << spare) - 1
        rows = self.store.execute(
            "SELECT id FROM records WHERE type = ? AND id >= ? AND id <= ? ORDER BY id LIMIT 2",
            (record_type, low, bytes(high_bytes)),
        )
        return [bytes(r[0]) for r in rows]

    def count(self, record_type: str) -> int:
        """How many records of one type exist."""
        row = self.store.one("SELECT count(*) FROM records WHERE type = ?", (record_type,))
        return int(row[0]) if row else 0

    def set_expiry(self, record_id: bytes, expires: int | None) -> None:
        """Set or clear when a record expires (plaintext epoch seconds; see schema.py)."""
        self.store.execute("UPDATE records SET expires = ? WHERE id = ?", (expires, record_id))

    def expiring(self, record_type: str) -> list[tuple[bytes, int]]:
        """(id, expires) of every record of ``record_type`` that has an expiry, soonest first."""
        rows = self.store.execute(
            "SELECT id, expires FROM records WHERE type = ? AND expires IS NOT NULL "
            "ORDER BY expires, id",
            (record_type,),
        )
        return [(bytes(r[0]), int(r[1])) for r in rows]

    def ids_with_field(self, record_type: str, name: str) -> list[bytes]:
        """Ids of records of ``record_type`` that have a field called ``name`` (names are plain).

        A name in ``INDEXED_NAMES`` (the retention rules' ``expiry``) is answered from
        ``indexed_fields`` without reading any record; any other name reads the packed values'
        names (every record of the type; no key, nothing decrypted).
        """
        if not _FIELD_NAME.fullmatch(name):
            raise ValueError("field names are lowercase identifiers")
        if name in INDEXED_NAMES:
            rows = self.store.execute(
                "SELECT i.record_id FROM indexed_fields i JOIN records r ON r.id = i.record_id "
                "WHERE i.name = ? AND r.type = ? ORDER BY i.record_id",
                (name, record_type),
            )
            return [bytes(r[0]) for r in rows]
        return [
            bytes(rid)
            for rid, blob in self.store.iterate(
                "SELECT id, packed FROM records WHERE type = ? ORDER BY id", (record_type,)
            )
            if any(e.name == name for e in packed.parse(bytes(blob)).entries)
        ]

    def field_versions(self, record_id: bytes) -> list[tuple[str, int]]:
        """``(name, version)`` of every field of one record (no key needed); [] if none."""
        row = self.store.one("SELECT packed FROM records WHERE id = ?", (record_id,))
        return packed.versions_of(bytes(row[0])) if row is not None else []

    def created_times(
        self, record_type: str, segment_id: bytes | None = None
    ) -> list[tuple[bytes, int]]:
        """(id, created) of every record of a type (in one segment if given); no decryption."""
        if segment_id is None:
            rows = self.store.execute(
                "SELECT id, created FROM records WHERE type = ? ORDER BY id", (record_type,)
            )
        else:
            rows = self.store.execute(
                "SELECT r.id, r.created FROM records r JOIN record_keys k ON k.record_id = r.id "
                "WHERE r.type = ? AND k.segment_id = ? ORDER BY r.id",
                (record_type, segment_id),
            )
        return [(bytes(r[0]), int(r[1])) for r in rows]

    def type_of(self, record_id: bytes) -> str | None:
        """The type of a record, or None if it does not exist."""
        row = self.store.one("SELECT type FROM records WHERE id = ?", (record_id,))
        return str(row[0]) if row else None
