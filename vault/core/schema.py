"""Named schema migrations, applied in order and recorded in the ``migrations`` table.

Rule: a migration is never edited once released; a change is a new migration appended to
``MIGRATIONS``. Each runs in one transaction with its record, so a vault is never half-migrated.

What is plaintext inside the (encrypted) database, and why: record ids, record types, segment
ids and epochs, field names and versions, created/updated/expiry times, and links between
records (``links``: this interaction is about that contact, this contact signed up for that
event). Links let history, sign-ups and cascading deletes run without decrypting every record;
they reveal the shape of the graph, never its content, and only to someone holding the key.
Every value a user typed is sealed per field (``vault/core/records.py``).

``fields`` and ``record_keys`` are rowid tables with a unique index rather than ``WITHOUT
ROWID`` tables: their ~100-byte sealed rows are keyed by random record ids, and appending rows
while only the small index takes random inserts is 2.5x faster at 100,000 contacts
(measured: bench/bench_vault.py). Since ``0011-packed-fields`` a record's sealed fields live in
its ``records`` row (``records.packed``, ``vault/core/packed.py``) and ``fields`` is gone: one row
per record instead of one per field (issue 12, speed and size).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from vault.core.repack import repack_fields
from vault.core.store import Store

# A migration is SQL statements (one string split at ";", or a tuple of statements when a
# trigger body holds semicolons), or a function run inside the migration's transaction.
Migration = str | tuple[str, ...] | Callable[[Store], None]

MIGRATIONS: tuple[tuple[str, Migration], ...] = (
    (
        "0001-sealed-records",
        """
        CREATE TABLE settings (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE segments (
            id            BLOB PRIMARY KEY,
            kind          TEXT NOT NULL CHECK (kind IN ('private', 'shared')),
            name_sealed   BLOB NOT NULL,
            current_epoch INTEGER NOT NULL,
            created       INTEGER NOT NULL
        );
        CREATE TABLE segment_keys (
            segment_id  BLOB NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
            epoch       INTEGER NOT NULL,
            wrapped_key BLOB NOT NULL,
            PRIMARY KEY (segment_id, epoch)
        );
        CREATE TABLE records (
            id           BLOB PRIMARY KEY,
            type         TEXT NOT NULL,
            home_segment BLOB NOT NULL REFERENCES segments(id),
            created      INTEGER NOT NULL,
            updated      INTEGER NOT NULL,
            expires      INTEGER
        );
        CREATE INDEX records_by_type ON records (type, id);
        CREATE TABLE record_keys (
            record_id   BLOB NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            segment_id  BLOB NOT NULL REFERENCES segments(id),
            epoch       INTEGER NOT NULL,
            wrapped_cdk BLOB NOT NULL,
            UNIQUE (record_id, segment_id)
        );
        CREATE INDEX record_keys_by_segment ON record_keys (segment_id, record_id);
        CREATE TABLE fields (
            record_id BLOB NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            name      TEXT NOT NULL,
            version   INTEGER NOT NULL,
            sealed    BLOB NOT NULL,
            UNIQUE (record_id, name)
        );
        """,
    ),
    (
        "0002-record-links",
        """
        CREATE TABLE links (
            record_id  BLOB NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            target_id  BLOB NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            role       TEXT NOT NULL,
            dependent  INTEGER NOT NULL CHECK (dependent IN (0, 1)),
            PRIMARY KEY (record_id, target_id, role)
        ) WITHOUT ROWID;
        CREATE INDEX links_by_target ON links (target_id, role);
        """,
    ),
    (
        # Retention (issue 6): when a whole segment expires, as epoch seconds (UTC), like
        # records.expires. Plaintext inside the encrypted database so `kith expire` can find
        # what is due without decrypting anything.
        "0003-segment-expiry",
        """
        ALTER TABLE segments ADD COLUMN expires INTEGER
        """,
    ),
    (
        # Backups (issue 4): this vault's one device identity (Ed25519 signing seed and X25519
        # secret, 64 bytes) sealed under the local-wrap key; see vault/core/identity.py. Number 0004
        # because 0003 was taken by the segment-expiry migration.
        "0004-device-identity",
        """
        CREATE TABLE identity (
            id           INTEGER PRIMARY KEY CHECK (id = 1),
            sealed_seeds BLOB NOT NULL,
            created      INTEGER NOT NULL
        )
        """,
    ),
    (
        # Import dedupe (issue 3): one row per contact holding keyed, truncated digests of its
        # normalized emails and phones (or of the whole contact when it has neither), and the
        # contact's fingerprint when indexed; see vault/interchange/blind_index.py. A local cache,
        # never
        # synced; rows go with their contact (ON DELETE CASCADE).
        "0005-blind-index",
        """
        CREATE TABLE blind_index (
            record_id   BLOB PRIMARY KEY REFERENCES records(id) ON DELETE CASCADE,
            fingerprint TEXT NOT NULL,
            digests     BLOB NOT NULL
        ) WITHOUT ROWID
        """,
    ),
    (
        # Sync (issue 7), see vault/domain/sync_state.py: sealed blobs (per-segment state heads, the
        # clock, peers, status), each segment's append-only op log one sealed row per op,
        # sync segment keys (several keys may share one epoch number after
        # concurrent rotations, hence ``idx``), and the field-version fingerprint of each
        # record as last written to or read from the op log (finds local edits without
        # decrypting anything).
        "0006-sync",
        """
        CREATE TABLE sync_blobs (
            name   TEXT PRIMARY KEY,
            sealed BLOB NOT NULL
        );
        CREATE TABLE sync_keys (
            segment_id BLOB NOT NULL,
            epoch      INTEGER NOT NULL,
            idx        INTEGER NOT NULL,
            wrapped    BLOB NOT NULL,
            PRIMARY KEY (segment_id, epoch, idx)
        );
        CREATE TABLE sync_log (
            segment_id BLOB NOT NULL,
            idx        INTEGER NOT NULL,
            sealed     BLOB NOT NULL,
            PRIMARY KEY (segment_id, idx)
        );
        CREATE TABLE sync_seen (
            segment_id  BLOB NOT NULL,
            record_id   BLOB NOT NULL,
            fingerprint TEXT NOT NULL,
            PRIMARY KEY (segment_id, record_id)
        ) WITHOUT ROWID
        """,
    ),
    (
        # Sync (issue 7): records by update time, so finding what changed since the last
        # capture of local edits (sync/local.py) does not scan every record of a segment.
        "0007-records-by-updated",
        """
        CREATE INDEX records_by_updated ON records (updated)
        """,
    ),
    (
        # Retention runs on every TUI unlock: finding what may expire must not scan 100,000
        # records and their fields. Partial indexes cost nothing for records without expiry.
        "0008-expiry-indexes",
        """
        CREATE INDEX records_expiring ON records (type, expires) WHERE expires IS NOT NULL;
        CREATE INDEX fields_with_expiry ON fields (record_id) WHERE name = 'expiry'
        """,
    ),
    (
        # Storage format 2 (issue 12), see vault/core/keytree.py and commit_guard.py: one row
        # holding the commit counter the header binds, the bucket-key table sealed under the
        # header's root, and the local-wrap key sealed under the VMK. The row is written by the
        # format conversion (format_migration.py) or at creation, never by this migration.
        "0009-keytree",
        """
        CREATE TABLE keytree (
            id      INTEGER PRIMARY KEY CHECK (id = 1),
            counter INTEGER NOT NULL,
            buckets BLOB NOT NULL,
            lwk     BLOB NOT NULL
        )
        """,
    ),
    (
        # The persisted search index (issue 12 §3), see vault/core/search_chunks.py: one row per
        # key bucket, its contacts' search entries sealed under a key derived from the bucket's
        # key (NULL while stale). The triggers make a chunk stale in the same transaction as any
        # change to a record of its bucket, whatever code path writes it. A tuple, because a
        # trigger body holds semicolons. The bucket (first 10 bits of the id) is computed from
        # hex(id), as SQL has no bit operations on blobs. A delete of any record type makes its
        # bucket's chunk stale, because a delete re-keys the bucket; an insert or update only
        # when a contact changes.
        "0010-search-chunks",
        (
            """
            CREATE TABLE search_chunks (
                bucket INTEGER PRIMARY KEY CHECK (bucket BETWEEN 0 AND 1023),
                gen    INTEGER NOT NULL,
                sealed BLOB
            )
            """,
            """
            WITH RECURSIVE b(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM b WHERE n < 1023)
            INSERT INTO search_chunks (bucket, gen, sealed) SELECT n, 0, NULL FROM b
            """,
            """
            CREATE TRIGGER search_chunks_insert AFTER INSERT ON records
            WHEN NEW.type = 'contact' BEGIN
                UPDATE search_chunks SET gen = gen + 1, sealed = NULL WHERE bucket =
                  (instr('0123456789ABCDEF', substr(hex(NEW.id), 1, 1)) - 1) * 64
                + (instr('0123456789ABCDEF', substr(hex(NEW.id), 2, 1)) - 1) * 4
                + (instr('0123456789ABCDEF', substr(hex(NEW.id), 3, 1)) - 1) / 4;
            END
            """,
            """
            CREATE TRIGGER search_chunks_update AFTER UPDATE ON records
            WHEN NEW.type = 'contact' OR OLD.type = 'contact' BEGIN
                UPDATE search_chunks SET gen = gen + 1, sealed = NULL WHERE bucket =
                  (instr('0123456789ABCDEF', substr(hex(OLD.id), 1, 1)) - 1) * 64
                + (instr('0123456789ABCDEF', substr(hex(OLD.id), 2, 1)) - 1) * 4
                + (instr('0123456789ABCDEF', substr(hex(OLD.id), 3, 1)) - 1) / 4;
                UPDATE search_chunks SET gen = gen + 1, sealed = NULL WHERE bucket =
                  (instr('0123456789ABCDEF', substr(hex(NEW.id), 1, 1)) - 1) * 64
                + (instr('0123456789ABCDEF', substr(hex(NEW.id), 2, 1)) - 1) * 4
                + (instr('0123456789ABCDEF', substr(hex(NEW.id), 3, 1)) - 1) / 4;
            END
            """,
            """
            CREATE TRIGGER search_chunks_delete AFTER DELETE ON records BEGIN
                UPDATE search_chunks SET gen = gen + 1, sealed = NULL WHERE bucket =
                  (instr('0123456789ABCDEF', substr(hex(OLD.id), 1, 1)) - 1) * 64
                + (instr('0123456789ABCDEF', substr(hex(OLD.id), 2, 1)) - 1) * 4
                + (instr('0123456789ABCDEF', substr(hex(OLD.id), 3, 1)) - 1) / 4;
            END
            """,
        ),
    ),
    # Speed (issue 12): a record's sealed fields packed into one value of its records row
    # (vault/core/packed.py, vault/core/repack.py); indexed_fields lists the records holding a
    # field that must be found without opening anything (the retention rules' "expiry").
    ("0011-packed-fields", repack_fields),
)


def applied(store: Store) -> list[str]:
    """Names of the migrations already applied, in order."""
    store.execute(
        "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at INTEGER)"
    )
    return [row[0] for row in store.execute("SELECT name FROM migrations ORDER BY rowid")]


def migrate(store: Store) -> list[str]:
    """Apply every pending migration; return the names applied now."""
    done = set(applied(store))
    now: list[str] = []
    for name, sql in MIGRATIONS:
        if name in done:
            continue
        with store.transaction():
            if callable(sql):
                sql(store)
            else:
                statements = sql if isinstance(sql, tuple) else tuple(sql.split(";"))
                for statement in (s.strip() for s in statements):
                    if statement:
                        store.execute(statement)
            store.execute(
                "INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, int(time.time()))
            )
        now.append(name)
    return now
