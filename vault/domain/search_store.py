"""Loading the search index from its sealed chunks, rebuilding the stale ones from the records.

    PersistedIndex(chunks, contacts).batches(progress) -> lists of ``Entry``, every contact once

Rules and reasons:
- Fast path: 1024 chunks opened (one AEAD each) instead of every field of every contact.
- A chunk is used only if it opens under the current bucket key, parses strictly
  (``search_codec``), and holds exactly the ids the ``records`` table lists for its bucket (a
  plaintext index scan). Anything else is rebuilt from the records, never trusted: the index
  can never show a contact that is gone or miss one that exists, even if a write path were to
  bypass the staleness triggers.
- Stale chunks are rebuilt from the records (many: one streaming pass over every contact; few:
  only their contacts) and written back in one transaction at the end, each only if its
  ``gen`` has not moved (``ChunkStore.write``). Writing back is an optimisation: when it fails
  (disk full, read-only folder, busy) the index in memory is still complete and correct.
"""

from __future__ import annotations

import contextlib
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from typing import overload

from vault.core.keytree import BUCKETS, bucket_bounds, bucket_of
from vault.core.search_chunks import ChunkStore
from vault.domain.contacts import RECORD_TYPE, ContactRepository
from vault.domain.search import Entry, entry_for
from vault.domain.search_codec import decode_chunk, encode_chunk
from vault.errors import IntegrityError, KithError, NotFound

BATCH = 1000
"""Entries per yielded batch (the TUI shows the first batch while the rest loads)."""
STREAM_ABOVE = 64
"""More stale buckets than this: one streaming pass over every contact beats opening each."""

Progress = Callable[[int, int], None]


class _Ids(Sequence[bytes]):
    """Concatenated 16-byte ids seen as a sequence, for ``bisect``."""

    def __init__(self, blob: bytes) -> None:
        if len(blob) % 16:
            raise IntegrityError("(record ids)")
        self.blob = blob

    def __len__(self) -> int:
        return len(self.blob) // 16

    @overload
    def __getitem__(self, i: int) -> bytes: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[bytes]: ...
    def __getitem__(self, i: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(i, slice):
            raise TypeError("no slices")
        return self.blob[16 * i : 16 * i + 16]


class PersistedIndex:
    """The search entries of every contact, from the chunks where they are current."""

    def __init__(self, chunks: ChunkStore, contacts: ContactRepository) -> None:
        self.chunks = chunks
        self.contacts = contacts
        self.rebuilt = 0  # chunks rebuilt by the last ``batches`` run (tests, benchmarks)
        self.stored = 0  # chunks written back by it
        self._tags: dict[str, tuple[str, ...]] = {}  # tag tuples shared by the chunks of a load

    def _ids_by_bucket(self) -> dict[int, bytes]:
        """Each bucket's contact ids, concatenated in order (a plaintext index scan, returned
        as one hex string: 3x faster than 100,000 rows)."""
        row = self.chunks.store.one(
            "SELECT group_concat(hex(id), '') FROM "
            "(SELECT id FROM records WHERE type = ? ORDER BY id)",
            (RECORD_TYPE,),
        )
        ids = _Ids(bytes.fromhex(row[0]) if row and row[0] else b"")
        found: dict[int, bytes] = {}
        start = 0
        for bucket in range(BUCKETS):
            hi = bucket_bounds(bucket)[1]
            end = len(ids) if hi is None else bisect_left(ids, hi, lo=start)
            if end > start:
                found[bucket] = ids.blob[16 * start : 16 * end]
            start = end
        return found

    def _open(self, bucket: int, sealed: bytes, ids: bytes) -> list[Entry] | None:
        """The chunk's entries if it is current, else None."""
        try:
            return decode_chunk(self.chunks.open(bucket, sealed), bucket, ids, self._tags)
        except (IntegrityError, ValueError):
            return None

    def batches(self, progress: Progress | None = None) -> Iterator[list[Entry]]:
        """Every contact's entry, a batch at a time; stale chunks rebuilt and written back."""
        rows = self.chunks.rows()  # gens first, then the records they must match
        ids = self._ids_by_bucket()
        total = sum(len(v) // 16 for v in ids.values())
        done = 0
        batch: list[Entry] = []
        stale: dict[int, int] = {}
        reloaded = False
        for bucket, gen, sealed in rows:
            entries = None if sealed is None else self._open(bucket, sealed, ids.get(bucket, b""))
            if entries is None and sealed is not None and not reloaded:
                reloaded = True  # another process may have re-keyed: reload the table once
                self.chunks.tree.reload()
                entries = self._open(bucket, sealed, ids.get(bucket, b""))
            if entries is None:
                stale[bucket] = gen
                continue
            batch += entries
            if len(batch) >= BATCH:
                done += len(batch)
                yield batch
                batch = []
                if progress:
                    progress(done, total)
        rebuilt: dict[int, list[Entry]] = {b: [] for b in stale}
        for entry in self._rebuild(stale, ids):
            rebuilt[bucket_of(bytes.fromhex(entry.id))].append(entry)
            batch.append(entry)
            if len(batch) >= BATCH:
                done += len(batch)
                yield batch
                batch = []
                if progress:
                    progress(done, total)
        done += len(batch)
        yield batch
        if progress:
            progress(done, total)
        self.rebuilt = len(stale)
        self._tags = {}
        self.stored = self._store(rebuilt, stale)

    def _rebuild(self, stale: dict[int, int], ids: dict[int, bytes]) -> Iterator[Entry]:
        if len(stale) > STREAM_ABOVE:
            for contact in self.contacts.all():
                if bucket_of(bytes.fromhex(contact.id)) in stale:
                    yield entry_for(contact)
            return
        for bucket in sorted(stale):
            joined = ids.get(bucket, b"")
            for record_id in (joined[i : i + 16] for i in range(0, len(joined), 16)):
                with contextlib.suppress(NotFound):  # deleted meanwhile: its gen has moved
                    yield entry_for(self.contacts.get_by_id(record_id))

    def _store(self, rebuilt: dict[int, list[Entry]], stale: dict[int, int]) -> int:
        chunks = []
        for bucket, entries in rebuilt.items():
            with contextlib.suppress(ValueError):  # not encodable: stays stale, still indexed
                chunks.append((bucket, stale[bucket], encode_chunk(entries)))
        if not chunks:
            return 0
        try:
            return self.chunks.write(chunks)
        except KithError:
            return 0
