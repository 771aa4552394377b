"""Migration ``0011-packed-fields``: one ``fields`` row per sealed field becomes one packed value
per record (issue 12, speed; ``vault/core/packed.py``).

Rules and reasons:
- No key is needed and none is used: each sealed field is moved byte for byte into its record's
  packed value (layout 1), so its AD, nonce and tag are exactly those it had; the first write to
  a record seals it again in layout 2. A repacked field that was tampered with fails to open
  exactly as it did before.
- One transaction with the rest of the migration (``schema.migrate``): killed at any point
  (``KITH_TEST_CRASH_AT=repack-before-commit`` kills it after every row is written, before
  COMMIT), SQLite's rollback journal brings back the per-field rows and the next unlock repacks
  again. The old rows are deleted in that same transaction, zeroed by ``secure_delete``.
- Field names the code looks up without opening anything (``INDEXED_NAMES``) are copied into
  ``indexed_fields`` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator

from vault.core import packed
from vault.core.faults import crash_point
from vault.core.store import Store

CRASH_POINT = "repack-before-commit"
_BATCH = 1000


def _grouped(store: Store) -> Iterator[tuple[bytes, list[tuple[str, int, bytes]]]]:
    """(record id, its (name, version, sealed) rows), streaming in record-id order."""
    current: bytes | None = None
    rows: list[tuple[str, int, bytes]] = []
    for record_id, name, version, sealed in store.iterate(
        "SELECT record_id, name, version, sealed FROM fields ORDER BY record_id, name"
    ):
        rid = bytes(record_id)
        if rid != current:
            if current is not None:
                yield current, rows
            current, rows = rid, []
        rows.append((str(name), int(version), bytes(sealed)))
    if current is not None:
        yield current, rows


def repack_fields(store: Store) -> None:
    """Run inside the migration's transaction: add ``records.packed`` and fill it, add
    ``indexed_fields``, drop ``fields``."""
    store.execute("ALTER TABLE records ADD COLUMN packed BLOB NOT NULL DEFAULT x''")
    store.execute(
        "CREATE TABLE indexed_fields ("
        " record_id BLOB NOT NULL REFERENCES records(id) ON DELETE CASCADE,"
        " name TEXT NOT NULL,"
        " PRIMARY KEY (record_id, name)) WITHOUT ROWID"
    )
    store.execute("CREATE INDEX indexed_fields_by_name ON indexed_fields (name, record_id)")
    store.execute(
        "INSERT INTO indexed_fields (record_id, name) SELECT f.record_id, f.name FROM fields f "
        "JOIN records r ON r.id = f.record_id WHERE f.name = 'expiry'"
    )
    batch: list[tuple[bytes, bytes]] = []
    for record_id, rows in _grouped(store):
        batch.append((packed.pack_verbatim(rows), record_id))
        if len(batch) >= _BATCH:
            store.executemany("UPDATE records SET packed = ? WHERE id = ?", batch)
            batch = []
    if batch:
        store.executemany("UPDATE records SET packed = ? WHERE id = ?", batch)
    store.execute("UPDATE records SET packed = ? WHERE packed = x''", (packed.pack_verbatim([]),))
    store.execute("DROP INDEX fields_with_expiry")
    store.execute("DROP TABLE fields")
    crash_point(CRASH_POINT)
