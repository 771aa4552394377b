"""The generic store of sealed records: contacts, interactions, events, relationships, notes.

A record has an id (16 random bytes), a type, a home segment, a record data key (CDK) and
fields. Each field value is sealed on its own under the CDK (``aead.seal``: padded to 32 bytes)::

    AD = enc("kith/field/1", home segment id, record id, field name, field version)

The CDK is stored only wrapped, once per segment the record belongs to, under the key of its
bucket in the key tree (format 2, ``vault/core/keytree.py``)::

    wrapped_cdk = aead.seal_exact(BK[bucket of record id], CDK,
                               enc("kith/cdk/2", segment id, epoch, record id))

Rules and reasons:
- The AD binds a ciphertext to its record, field and version: moved to another row, field or an
  older version, it fails to open (``IntegrityError``), so a database editor cannot swap values.
- Writing a field bumps its version, so an old ciphertext replayed into the row fails too.
- Deleting is crypto-shredding: the wrapped CDKs and sealed fields are deleted (zeroed by
  ``secure_delete``) and the record's bucket is re-keyed (``KeyTree.rekey``), so the root that
  opened the old wraps is gone from the header at commit: a copy of any sealed field or wrapped
  CDK left elsewhere (old journal, free block, snapshot) can no longer be opened. No VACUUM is
  needed for that (it costs seconds at 100,000 contacts); ``vacuum=True`` still compacts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from vault.core.keyring import Keyring
from vault.core.keytree import KeyTree
from vault.core.record_links import RecordLinks
from vault.core.record_queries import ID_BYTES, RecordQueries
from vault.core.record_segments import RecordSegments
from vault.core.store import Store
from vault.crypto import aead
from vault.encoding import enc
from vault.errors import IntegrityError, InvalidInput, NotFound

MAX_FIELD_BYTES = 1 << 20  # 1 MiB: larger values belong in attachments, not fields


@dataclass(frozen=True)
class Record:
    """One opened record: every field decrypted and verified."""

    id: bytes
    type: str
    home_segment: bytes
    created: int
    updated: int
    fields: Mapping[str, bytes]
    segments: tuple[bytes, ...] = ()
    expires: int | None = None


_FIELD_AD_HEAD = enc("kith/field/1", b"", b"", "", 0)[:17]  # count byte + the label part
_LEN16 = (16).to_bytes(4, "big")
_LEN8 = (8).to_bytes(4, "big")


def field_ad(home_segment: bytes, record_id: bytes, name: str, version: int) -> bytes:
    """The associated data of one sealed field: ``enc("kith/field/1", home, id, name, version)``.

    Built from precomputed pieces for 16-byte ids (it runs once per field on every read and
    write); the result is byte-identical to ``enc`` (pinned by the golden vectors).
    """
    if len(home_segment) != 16 or len(record_id) != 16 or not 0 <= version < 1 << 64:
        return enc("kith/field/1", home_segment, record_id, name, version)
    raw_name = name.encode("utf-8")
    return b"".join(
        (
            _FIELD_AD_HEAD,
            _LEN16,
            home_segment,
            _LEN16,
            record_id,
            len(raw_name).to_bytes(4, "big"),
            raw_name,
            _LEN8,
            version.to_bytes(8, "big"),
        )
    )


def cdk_ad(segment_id: bytes, epoch: int, record_id: bytes) -> bytes:
    """The associated data of one CDK wrapped under a segment key (format 1; migration only)."""
    return enc("kith/cdk/1", segment_id, epoch, record_id)


class RecordStore(RecordLinks, RecordQueries, RecordSegments):
    """Create, open, change and shred sealed records in one ``Store``."""

    def __init__(
        self,
        store: Store,
        keyring: Keyring,
        tree: KeyTree,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.keyring = keyring
        self.tree = tree
        self._now = clock

    # -- segment keys --------------------------------------------------------------------------

    def _epoch(self, segment_id: bytes) -> int:
        row = self.store.one("SELECT current_epoch FROM segments WHERE id = ?", (segment_id,))
        if row is None:
            raise NotFound("(segment)")
        return int(row[0])

    # -- writing -------------------------------------------------------------------------------

    def create(
        self,
        record_type: str,
        values: Mapping[str, bytes],
        segment_id: bytes,
        *,
        record_id: bytes | None = None,
        created: int | None = None,
    ) -> bytes:
        """Store a new record with a fresh CDK in ``segment_id``; returns its id."""
        return self.create_many(
            record_type, [values], segment_id, ids=[record_id], created=created
        )[0]

    def create_many(
        self,
        record_type: str,
        batch: Iterable[Mapping[str, bytes]],
        segment_id: bytes,
        *,
        ids: Iterable[bytes | None] | None = None,
        created: int | None = None,
    ) -> list[bytes]:
        """Store many records in one transaction (import, benchmarks)."""
        epoch = self._epoch(segment_id)
        now = int(self._now()) if created is None else created
        record_rows: list[tuple[bytes, str, bytes, int, int]] = []
        cdks: list[tuple[bytes, bytes]] = []
        field_rows: list[tuple[bytes, str, int, bytes]] = []
        made: list[bytes] = []
        id_iter = iter(ids) if ids is not None else None
        for values in batch:
            given = next(id_iter, None) if id_iter is not None else None
            record_id = given or os.urandom(ID_BYTES)
            cdk = aead.random_key()
            record_rows.append((record_id, record_type, segment_id, now, now))
            cdks.append((record_id, cdk))
            for name, value in values.items():
                _check_size(value)
                field_rows.append(
                    (
                        record_id,
                        name,
                        1,
                        aead.seal(cdk, value, field_ad(segment_id, record_id, name, 1)),
                    )
                )
            made.append(record_id)
        # Rows in id order: the unique indexes then take their random ids as one ordered run
        # per batch, which keeps index pages hot in the page cache.
        record_rows.sort()
        cdks.sort()
        field_rows.sort()
        with self.store.transaction():
            # Wrapped inside the transaction: the bucket keys are current while the lock is held.
            key_rows = [
                (rid, segment_id, epoch, self.tree.wrap(rid, segment_id, epoch, cdk))
                for rid, cdk in cdks
            ]
            self.store.executemany(
                "INSERT INTO records (id, type, home_segment, created, updated) VALUES (?,?,?,?,?)",
                record_rows,
            )
            self.store.executemany(
                "INSERT INTO record_keys (record_id, segment_id, epoch, wrapped_cdk) "
                "VALUES (?,?,?,?)",
                key_rows,
            )
            self.store.executemany(
                "INSERT INTO fields (record_id, name, version, sealed) VALUES (?,?,?,?)", field_rows
            )
        return made

    def update(self, record_id: bytes, changes: Mapping[str, bytes | None]) -> None:
        """Set (or with ``None`` remove) fields; each written field's version goes up by one."""
        home, cdk = self._open_cdk(record_id)
        versions: dict[str, int] = dict(
            self.store.execute("SELECT name, version FROM fields WHERE record_id = ?", (record_id,))
        )
        with self.store.transaction():
            for name, value in changes.items():
                if value is None:
                    self.store.execute(
                        "DELETE FROM fields WHERE record_id = ? AND name = ?", (record_id, name)
                    )
                    continue
                _check_size(value)
                version = int(versions.get(name, 0)) + 1
                sealed = aead.seal(cdk, value, field_ad(home, record_id, name, version))
                self.store.execute(
                    "INSERT INTO fields (record_id, name, version, sealed) VALUES (?,?,?,?) "
                    "ON CONFLICT (record_id, name) DO UPDATE SET version = excluded.version, "
                    "sealed = excluded.sealed",
                    (record_id, name, version, sealed),
                )
            self.store.execute(
                "UPDATE records SET updated = ? WHERE id = ?", (int(self._now()), record_id)
            )

    def shred(self, record_ids: Iterable[bytes], *, vacuum: bool = False) -> int:
        """Crypto-shred records and their dependents: keys and fields deleted, buckets re-keyed.

        Every shred path (delete, expire, merge, segment delete, outreach delete) comes here.
        Returns how many records were shredded (dependents included).
        """
        ids = sorted(self.dependents(record_ids))
        with self.store.transaction():
            for record_id in ids:
                self.store.execute("DELETE FROM record_keys WHERE record_id = ?", (record_id,))
                self.store.execute("DELETE FROM fields WHERE record_id = ?", (record_id,))
                self.store.execute(
                    "DELETE FROM links WHERE record_id = ? OR target_id = ?", (record_id, record_id)
                )
                self.store.execute("DELETE FROM records WHERE id = ?", (record_id,))
            if ids:
                self.tree.rekey(ids)
        if vacuum and ids:
            self.store.vacuum()
        return len(ids)

    # -- reading -------------------------------------------------------------------------------

    def _open_cdk(self, record_id: bytes) -> tuple[bytes, bytes]:
        row = self.store.one("SELECT home_segment FROM records WHERE id = ?", (record_id,))
        if row is None:
            raise NotFound("(no record with that id)")
        home = bytes(row[0])
        for segment_id, epoch, wrapped in self.store.execute(
            "SELECT segment_id, epoch, wrapped_cdk FROM record_keys WHERE record_id = ?",
            (record_id,),
        ):
            return home, self.tree.unwrap(record_id, bytes(segment_id), int(epoch), bytes(wrapped))
        raise IntegrityError("(a record's key is missing)")

    def get(self, record_id: bytes) -> Record:
        """Open one record; every field is verified before it is returned."""
        row = self.store.one(
            "SELECT type, home_segment, created, updated, expires FROM records WHERE id = ?",
            (record_id,),
        )
        if row is None:
            raise NotFound("(no record with that id)")
        home, cdk = self._open_cdk(record_id)
        values = {
            name: aead.open_sealed(cdk, sealed, field_ad(home, record_id, name, int(version)))
            for name, version, sealed in self.store.execute(
                "SELECT name, version, sealed FROM fields WHERE record_id = ?", (record_id,)
            )
        }
        segments = tuple(
            bytes(r[0])
            for r in self.store.execute(
                "SELECT segment_id FROM record_keys WHERE record_id = ?", (record_id,)
            )
        )
        return Record(record_id, row[0], home, int(row[2]), int(row[3]), values, segments, row[4])

    def iter_type(self, record_type: str) -> Iterator[Record]:
        """Open every record of one type, streaming (used to build the search index).

        Two cursors, both in record-id order, are merged as they go (keys and fields), so the
        first record is opened after reading one record's rows, not after scanning every key:
        the first screen of the TUI does not wait for the whole vault.
        """
        key_rows = self.store.iterate(
            "SELECT k.record_id, k.segment_id, k.epoch, k.wrapped_cdk FROM record_keys k "
            "JOIN records r ON r.id = k.record_id WHERE r.type = ? ORDER BY r.id",
            (record_type,),
        )
        pending: tuple[bytes, bytes, int, bytes] | None = None

        def keys_of(rid: bytes) -> list[tuple[bytes, int, bytes]]:
            nonlocal pending
            found: list[tuple[bytes, int, bytes]] = []
            while True:
                if pending is None:
                    row = next(key_rows, None)
                    if row is None:
                        return found
                    pending = (bytes(row[0]), bytes(row[1]), int(row[2]), bytes(row[3]))
                if pending[0] < rid:  # a key row whose record vanished mid-scan: skip it
                    pending = None
                    continue
                if pending[0] > rid:
                    return found
                found.append(pending[1:])
                pending = None

        current: list[tuple[str, int, bytes]] = []
        head: tuple[bytes, bytes, int, int, int | None] | None = None
        for record_id, home, created, updated, expires, name, version, sealed in self.store.iterate(
            "SELECT r.id, r.home_segment, r.created, r.updated, r.expires, f.name, f.version, "
            "f.sealed FROM records r LEFT JOIN fields f ON f.record_id = r.id "
            "WHERE r.type = ? ORDER BY r.id",
            (record_type,),
        ):
            rid = bytes(record_id)
            if head is not None and head[0] != rid:
                yield self._assemble(head, current, keys_of(head[0]), record_type)
                current = []
            head = (rid, bytes(home), int(created), int(updated), expires)
            if name is not None:
                current.append((name, int(version), bytes(sealed)))
        if head is not None:
            yield self._assemble(head, current, keys_of(head[0]), record_type)

    def _assemble(
        self,
        head: tuple[bytes, bytes, int, int, int | None],
        sealed_fields: list[tuple[str, int, bytes]],
        keys: list[tuple[bytes, int, bytes]],
        record_type: str,
    ) -> Record:
        record_id, home, created, updated, expires = head
        if not keys:
            raise IntegrityError("(a record's key is missing)")
        segment_id, epoch, wrapped = keys[0]
        cdk = self.tree.unwrap(record_id, segment_id, epoch, wrapped)
        values = {
            name: aead.open_sealed(cdk, sealed, field_ad(home, record_id, name, version))
            for name, version, sealed in sealed_fields
        }
        segments = tuple(k[0] for k in keys)
        return Record(record_id, record_type, home, created, updated, values, segments, expires)

    # -- re-sealing (issue 6; segment membership is RecordSegments) ---------------------------

    def reseal(
        self, record_id: bytes, *, home: bytes | None = None, fresh_key: bool = False
    ) -> None:
        """Re-seal every field (version + 1) under a new home segment and/or a fresh CDK.

        ``fresh_key`` makes every earlier ciphertext of this record undecryptable wherever a copy
        survives (journal, backup, peer): it is how one field is crypto-shredded while the rest
        of the record lives on. The new CDK is wrapped for every segment the record is in.
        """
        old_home, cdk = self._open_cdk(record_id)
        new_home = home or old_home
        new_cdk = aead.random_key() if fresh_key else cdk
        opened = [
            (
                name,
                int(version) + 1,
                aead.open_sealed(cdk, sealed, field_ad(old_home, record_id, name, int(version))),
            )
            for name, version, sealed in self.store.execute(
                "SELECT name, version, sealed FROM fields WHERE record_id = ?", (record_id,)
            )
        ]
        with self.store.transaction():
            for name, version, value in opened:
                self.store.execute(
                    "UPDATE fields SET version = ?, sealed = ? WHERE record_id = ? AND name = ?",
                    (
                        version,
                        aead.seal(new_cdk, value, field_ad(new_home, record_id, name, version)),
                        record_id,
                        name,
                    ),
                )
            if fresh_key:
                for (segment_id,) in self.store.execute(
                    "SELECT segment_id FROM record_keys WHERE record_id = ?", (record_id,)
                ):
                    sid = bytes(segment_id)
                    epoch = self._epoch(sid)
                    self.store.execute(
                        "UPDATE record_keys SET epoch = ?, wrapped_cdk = ? "
                        "WHERE record_id = ? AND segment_id = ?",
                        (epoch, self.tree.wrap(record_id, sid, epoch, new_cdk), record_id, sid),
                    )
                # The old CDK survives in older pages wrapped under the bucket key: re-key it.
                self.tree.rekey([record_id])
            self.store.execute(
                "UPDATE records SET home_segment = ?, updated = ? WHERE id = ?",
                (new_home, int(self._now()), record_id),
            )

    # -- partial opening for in-memory indexes (issue 6: interactions, preferences) -----------

    def iter_fields(
        self, record_type: str, names: Iterable[str]
    ) -> Iterator[tuple[bytes, dict[str, bytes]]]:
        """(id, {name: value}) of every record of one type, opening only the named fields.

        For in-memory indexes that need 4 fields of a 9-field record: each opened field is
        verified against its AD exactly as in ``get``; the others are never decrypted. One
        streaming query (no per-record lookups); records with none of the fields are skipped.
        """
        wanted = tuple(dict.fromkeys(names))
        if not wanted:
            return
        marks = ",".join("?" * len(wanted))
        current: bytes | None = None
        cdk = b""
        home = b""
        values: dict[str, bytes] = {}
        sql = (  # only "?" placeholders are formatted in; names are bound parameters
            "SELECT r.id, r.home_segment, k.segment_id, k.epoch, k.wrapped_cdk, f.name, "  # noqa: S608
            "f.version, f.sealed FROM records r JOIN record_keys k ON k.record_id = r.id "
            f"JOIN fields f ON f.record_id = r.id AND f.name IN ({marks}) "
            "WHERE r.type = ? ORDER BY r.id"
        )
        rows = self.store.iterate(sql, (*wanted, record_type))
        for record_id, home_segment, segment_id, epoch, wrapped, name, version, sealed in rows:
            rid = bytes(record_id)
            if rid != current:
                if current is not None:
                    yield current, values
                current, values, home = rid, {}, bytes(home_segment)
                cdk = self.tree.unwrap(rid, bytes(segment_id), int(epoch), bytes(wrapped))
            if name in values:  # the same field again through another segment's key row
                continue
            values[name] = aead.open_sealed(
                cdk, bytes(sealed), field_ad(home, rid, name, int(version))
            )
        if current is not None:
            yield current, values


def _check_size(value: bytes) -> None:
    if len(value) > MAX_FIELD_BYTES:
        raise InvalidInput("(a field is larger than 1 MiB)")
