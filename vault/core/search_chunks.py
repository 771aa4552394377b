"""The persisted search index (format 2, issue 12 §3): one sealed chunk per key bucket.

Table ``search_chunks(bucket, gen, sealed)`` (migration ``0010-search-chunks``) holds 1024 rows,
one per bucket of the key tree (``vault/core/keytree.py``). ``sealed`` is the search entries of
the bucket's contacts (encoded by ``vault/domain/search_codec.py``), or NULL while stale::

    chunk key = BLAKE2b-256(key = BK[b], enc("kith/search-chunk/2", vault id, b))
    sealed    = aead.seal(chunk key, plaintext, enc("kith/search-chunk/2", vault id, b))

Rules and reasons:
- Erasure moves with the records: the chunk key comes from the bucket key, and a delete
  re-keys the bucket, so a copy of a chunk made before the delete (a journal, a free block, a
  snapshot) opens under no key the vault still holds, exactly like the deleted record's CDK.
- Staleness cannot be bypassed: SQL triggers on ``records`` (insert or update of a contact,
  delete of any record) set the chunk of the row's bucket to NULL and move its ``gen`` in the
  writer's own transaction, whatever code path wrote the row (add, edit, shred, merge, import,
  sync apply, retention, restore). A crash after a record write therefore leaves the chunk
  stale, never wrong.
- A rebuilt chunk is written only if ``gen`` has not moved since it was read (compare and set),
  and ``gen`` is read before the records it is built from: a write by another process in
  between leaves the chunk stale rather than stale-but-trusted.
- A chunk that fails its AEAD is not trusted: the caller rebuilds it from the records.
"""

from __future__ import annotations

from collections.abc import Iterable

from vault.core.faults import crash_point
from vault.core.keytree import BUCKETS, KeyTree, bucket_bounds
from vault.core.store import Store
from vault.crypto import aead, kdf
from vault.encoding import enc
from vault.errors import IntegrityError

LABEL = "kith/search-chunk/2"
MISSING = -1
"""The ``gen`` of a bucket whose row is missing."""


def chunk_key(bucket_key: bytes, vault_id: bytes, bucket: int) -> bytes:
    """The key that seals bucket ``bucket``'s chunk, derived from its bucket key."""
    return kdf.blake2b_subkey(bucket_key, LABEL, vault_id, bucket)


def chunk_ad(vault_id: bytes, bucket: int) -> bytes:
    """The associated data of bucket ``bucket``'s chunk (a chunk moved to another row fails)."""
    return enc(LABEL, vault_id, bucket)


class ChunkStore:
    """Read, open and write the sealed chunks of one unlocked vault."""

    def __init__(self, store: Store, tree: KeyTree, vault_id: bytes) -> None:
        self.store = store
        self.tree = tree
        self.vault_id = vault_id

    def rows(self) -> list[tuple[int, int, bytes | None]]:
        """``(bucket, gen, sealed or None)`` of all 1024 buckets, in bucket order; a bucket
        whose row is missing (removed by hand, say) is ``(bucket, MISSING, None)``: stale."""
        found = {
            int(b): (int(g), None if s is None else bytes(s))
            for b, g, s in self.store.execute("SELECT bucket, gen, sealed FROM search_chunks")
        }
        return [(b, *found.get(b, (MISSING, None))) for b in range(BUCKETS)]

    def open(self, bucket: int, sealed: bytes) -> bytes:
        """The plaintext of one chunk under the current bucket key; ``IntegrityError`` if it
        does not open (tampered, or sealed under a key the vault no longer holds)."""
        if not 0 <= bucket < BUCKETS:
            raise IntegrityError("(a search chunk)")
        some_id = bucket_bounds(bucket)[0] + bytes(14)  # any id of the bucket names its key
        key = chunk_key(self.tree.key(some_id), self.vault_id, bucket)
        return aead.open_sealed(key, sealed, chunk_ad(self.vault_id, bucket))

    def write(self, chunks: Iterable[tuple[int, int, bytes]]) -> int:
        """Seal and store ``(bucket, gen, plaintext)`` chunks in one transaction, each only if
        its ``gen`` is unchanged; returns how many were stored.

        Sealed inside the transaction: the bucket keys are current while the write lock is held
        (the commit guard reloads them if another process committed).
        """
        stored = 0
        with self.store.transaction():
            keys = self.tree.table()
            for bucket, gen, plaintext in chunks:
                if gen == MISSING:  # put the row back, stale: the next load fills it by gen
                    self.store.execute(
                        "INSERT OR IGNORE INTO search_chunks (bucket, gen, sealed) "
                        "VALUES (?, 0, NULL)",
                        (bucket,),
                    )
                    continue
                sealed = aead.seal(
                    chunk_key(keys[bucket], self.vault_id, bucket),
                    plaintext,
                    chunk_ad(self.vault_id, bucket),
                )
                self.store.execute(
                    "UPDATE search_chunks SET sealed = ? WHERE bucket = ? AND gen = ?",
                    (sealed, bucket, gen),
                )
                stored += int((self.store.one("SELECT changes()") or (0,))[0])
            crash_point("search-chunks-write")
        return stored
