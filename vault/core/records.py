"""The generic store of sealed records: contacts, interactions, events, relationships, notes.

A record has an id (16 random bytes), a type, a home segment, a record data key (CDK) and
fields. Each field value is sealed on its own under the CDK (padded to 32 bytes)::

    AD = enc("kith/field/1", home segment id, record id, field name, field version)

and a record's sealed fields are packed into one value of its ``records`` row (``packed``:
``vault/core/packed.py``), so a contact costs one record row and one key row instead of a row
per field (issue 12: import time and size). Field names that code must find without opening
anything (``INDEXED_NAMES``: the retention rules' ``expiry``) are also listed in
``indexed_fields``. Every write changes the ``records`` row, so a trigger on it sees them all.

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

from vault.core import packed
from vault.core.keyring import Keyring
from vault.core.keytree import KeyTree
from vault.core.packed import MAX_FIELD_BYTES, field_ad
from vault.core.record_links import RecordLinks
from vault.core.record_queries import ID_BYTES, INDEXED_NAMES, RecordQueries
from vault.core.record_segments import RecordSegments
from vault.core.store import Store
from vault.crypto import aead
from vault.encoding import enc
from vault.errors import IntegrityError, InvalidInput, NotFound

__all__ = ["MAX_FIELD_BYTES", "Record", "RecordStore", "cdk_ad", "field_ad"]


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
        record_rows: list[tuple[bytes, str, bytes, int, int, bytes]] = []
        cdks: list[tuple[bytes, bytes]] = []
        marks: list[tuple[bytes, str]] = []
        made: list[bytes] = []
        id_iter = iter(ids) if ids is not None else None
        for values in batch:
            given = next(id_iter, None) if id_iter is not None else None
            record_id = given or os.urandom(ID_BYTES)
            cdk = aead.random_key()
            fields = {name: (1, value) for name, value in values.items()}
            blob = packed.seal_fields(cdk, segment_id, record_id, fields)
            record_rows.append((record_id, record_type, segment_id, now, now, blob))
            cdks.append((record_id, cdk))
            marks += ((record_id, name) for name in INDEXED_NAMES.intersection(values))
            made.append(record_id)
        # Rows in id order: the unique indexes then take their random ids as one ordered run
        # per batch, which keeps index pages hot in the page cache.
        record_rows.sort()
        cdks.sort()
        with self.store.transaction():
            # Wrapped inside the transaction: the bucket keys are current while the lock is held.
            key_rows = [
                (rid, segment_id, epoch, self.tree.wrap(rid, segment_id, epoch, cdk))
                for rid, cdk in cdks
            ]
            self.store.executemany(
                "INSERT INTO records (id, type, home_segment, created, updated, packed) "
                "VALUES (?,?,?,?,?,?)",
                record_rows,
            )
            self.store.executemany(
                "INSERT INTO record_keys (record_id, segment_id, epoch, wrapped_cdk) "
                "VALUES (?,?,?,?)",
                key_rows,
            )
            if marks:
                self.store.executemany(
                    "INSERT INTO indexed_fields (record_id, name) VALUES (?,?)", marks
                )
        return made

    def update(self, record_id: bytes, changes: Mapping[str, bytes | None]) -> None:
        """Set (or with ``None`` remove) fields; each written field's version goes up by one.

        The record's other fields are sealed again under a fresh seed with their versions
        unchanged (``vault/core/packed.py``): same values, same versions, new ciphertexts.
        """
        with self.store.transaction():
            home, cdk, current = self._open_all(record_id)
            fields = {name: (version, current[1][name]) for name, version in current[0].items()}
            for name, value in changes.items():
                if value is None:
                    fields.pop(name, None)
                    continue
                _check_size(value)
                fields[name] = (current[0].get(name, 0) + 1, value)
            self._write_fields(record_id, home, cdk, fields, set(current[0]))

    def _write_fields(
        self,
        record_id: bytes,
        home: bytes,
        cdk: bytes,
        fields: Mapping[str, tuple[int, bytes]],
        before: set[str],
    ) -> None:
        """Seal ``fields`` as the record's packed value; the row's ``updated`` time moves."""
        self.store.execute(
            "UPDATE records SET home_segment = ?, updated = ?, packed = ? WHERE id = ?",
            (home, int(self._now()), packed.seal_fields(cdk, home, record_id, fields), record_id),
        )
        for name in INDEXED_NAMES.intersection(before) - set(fields):
            self.store.execute(
                "DELETE FROM indexed_fields WHERE record_id = ? AND name = ?", (record_id, name)
            )
        for name in INDEXED_NAMES.intersection(fields) - before:
            self.store.execute(
                "INSERT OR IGNORE INTO indexed_fields (record_id, name) VALUES (?,?)",
                (record_id, name),
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
                self.store.execute(
                    "DELETE FROM links WHERE record_id = ? OR target_id = ?", (record_id, record_id)
                )
                # The packed fields go with the row (zeroed by secure_delete); indexed_fields
                # rows cascade.
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

    def _open_all(
        self, record_id: bytes
    ) -> tuple[bytes, bytes, tuple[dict[str, int], dict[str, bytes]]]:
        """(home, CDK, ({name: version}, {name: value})) of one record, every field verified."""
        home, cdk = self._open_cdk(record_id)
        row = self.store.one("SELECT packed FROM records WHERE id = ?", (record_id,))
        if row is None:
            raise NotFound("(no record with that id)")
        fields = packed.parse(bytes(row[0]))
        return home, cdk, (fields.versions(), packed.open_fields(cdk, home, record_id, fields))

    def get(self, record_id: bytes) -> Record:
        """Open one record; every field is verified before it is returned."""
        row = self.store.one(
            "SELECT type, home_segment, created, updated, expires, packed FROM records "
            "WHERE id = ?",
            (record_id,),
        )
        if row is None:
            raise NotFound("(no record with that id)")
        home, cdk = self._open_cdk(record_id)
        values = packed.open_fields(cdk, home, record_id, packed.parse(bytes(row[5])))
        segments = tuple(
            bytes(r[0])
            for r in self.store.execute(
                "SELECT segment_id FROM record_keys WHERE record_id = ?", (record_id,)
            )
        )
        return Record(record_id, row[0], home, int(row[2]), int(row[3]), values, segments, row[4])

    def iter_type(self, record_type: str) -> Iterator[Record]:
        """Open every record of one type, streaming (used to build the search index).

        Two cursors, both in record-id order, are merged as they go (keys and records), so the
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

        for record_id, home, created, updated, expires, blob in self.store.iterate(
            "SELECT id, home_segment, created, updated, expires, packed FROM records "
            "WHERE type = ? ORDER BY id",
            (record_type,),
        ):
            rid = bytes(record_id)
            head = (rid, bytes(home), int(created), int(updated), expires)
            yield self._assemble(head, bytes(blob), keys_of(rid), record_type)

    def _assemble(
        self,
        head: tuple[bytes, bytes, int, int, int | None],
        blob: bytes,
        keys: list[tuple[bytes, int, bytes]],
        record_type: str,
    ) -> Record:
        record_id, home, created, updated, expires = head
        if not keys:
            raise IntegrityError("(a record's key is missing)")
        segment_id, epoch, wrapped = keys[0]
        cdk = self.tree.unwrap(record_id, segment_id, epoch, wrapped)
        values = packed.open_fields(cdk, home, record_id, packed.parse(blob))
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
        with self.store.transaction():
            old_home, cdk, (versions, values) = self._open_all(record_id)
            new_home = home or old_home
            new_cdk = aead.random_key() if fresh_key else cdk
            fields = {name: (versions[name] + 1, value) for name, value in values.items()}
            self._write_fields(record_id, new_home, new_cdk, fields, set(fields))
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

    # -- partial opening for in-memory indexes (issue 6: interactions, preferences) -----------

    def iter_fields(
        self, record_type: str, names: Iterable[str]
    ) -> Iterator[tuple[bytes, dict[str, bytes]]]:
        """(id, {name: value}) of every record of one type, opening only the named fields.

        For in-memory indexes that need 4 fields of a 9-field record: each opened field is
        verified against its AD exactly as in ``get``; the others are never decrypted. One
        streaming query (no per-record lookups); records with none of the fields are skipped
        without unwrapping their key.
        """
        wanted = frozenset(names)
        if not wanted:
            return
        current: bytes | None = None
        rows = self.store.iterate(
            "SELECT r.id, r.home_segment, k.segment_id, k.epoch, k.wrapped_cdk, r.packed "
            "FROM records r JOIN record_keys k ON k.record_id = r.id "
            "WHERE r.type = ? ORDER BY r.id",
            (record_type,),
        )
        for record_id, home, segment_id, epoch, wrapped, blob in rows:
            rid = bytes(record_id)
            if rid == current:  # the same record again through another segment's key row
                continue
            current = rid
            fields = packed.parse(bytes(blob))
            if not any(e.name in wanted for e in fields.entries):
                continue
            cdk = self.tree.unwrap(rid, bytes(segment_id), int(epoch), bytes(wrapped))
            yield rid, packed.open_fields(cdk, bytes(home), rid, fields, wanted)


def _check_size(value: bytes) -> None:
    if len(value) > MAX_FIELD_BYTES:
        raise InvalidInput("(a field is larger than 1 MiB)")
