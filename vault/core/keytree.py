"""The key tree (format 2): record keys under bucket keys, bucket keys under a root in the header.

    root (32 bytes, only in the header's state, sealed under a key derived from the VMK)
     '-- seals the bucket table: 1024 bucket keys BK[0..1023] (32 bytes each), one AEAD blob in
         keytree.buckets, AD = enc("kith/buckets/2", vault id)
          '-- BK[b] wraps the CDK of every record whose id starts with bucket b (its first 10
              bits), once per segment the record is in (record_keys.wrapped_cdk),
              AD = enc("kith/cdk/2", segment id, epoch, record id)

Rules and reasons:
- Erasure lives outside SQLite pages. Deleting a record re-keys its bucket (a fresh BK[b], the
  bucket's other CDKs re-wrapped: O(records per bucket)) and, at commit, the root (a fresh root
  seals the table: one AEAD over 32 KiB) which the header then holds alone, overwritten in place.
  Every older copy of the database (a rollback journal, a free block, a leftover snapshot) holds
  the deleted CDK only under the old BK[b], and the old BK[b] only under the old root, which no
  longer exists anywhere: with the passphrase and the current header it opens nothing deleted.
- Buckets come from the record id, which is random, so buckets stay even (about 98 records per
  bucket at 100,000) and finding a bucket's rows is an index range scan on ``record_keys``.
- CDKs themselves never change when a bucket is re-keyed, only their wraps: fields are not
  touched, and a process whose table is stale fails an AEAD check and reloads (``refresh``).
- Segment keys (local ``segment_keys``, and sync keys shared with peers) are NOT in the tree:
  membership of a record in a segment is its ``record_keys`` row, bound to the segment by the
  AD. Data already given to peers is sealed under the shared sync key and cannot be erased from
  their devices by re-keying ours; see docs/threat-model.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from vault.core.store import Store
from vault.crypto import aead
from vault.encoding import enc
from vault.errors import IntegrityError

BUCKET_BITS = 10
BUCKETS = 1 << BUCKET_BITS
KEY_BYTES = 32


def bucket_of(record_id: bytes) -> int:
    """The bucket of a record: the first 10 bits of its id."""
    return int.from_bytes(record_id[:2], "big") >> (16 - BUCKET_BITS)


def bucket_bounds(bucket: int) -> tuple[bytes, bytes | None]:
    """``(lo, hi)``: ids of ``bucket`` are ``lo <= id < hi`` (hi None for the last bucket)."""
    shift = 16 - BUCKET_BITS
    lo = (bucket << shift).to_bytes(2, "big")
    hi = ((bucket + 1) << shift).to_bytes(2, "big") if bucket + 1 < BUCKETS else None
    return lo, hi


_CDK_AD_HEAD = enc("kith/cdk/2", b"", 0, b"")[: 1 + 4 + len("kith/cdk/2")]
_LEN16 = (16).to_bytes(4, "big")
_LEN8 = (8).to_bytes(4, "big")


def cdk_ad2(segment_id: bytes, epoch: int, record_id: bytes) -> bytes:
    """The associated data of a CDK wrapped under a bucket key:
    ``enc("kith/cdk/2", segment id, epoch, record id)``.

    Built from precomputed pieces for 16-byte ids (it runs once per record opened); the result
    is byte-identical to ``enc`` (pinned by tests/vault/core/test_format2_golden.py).
    """
    if len(segment_id) != 16 or len(record_id) != 16 or not 0 <= epoch < 1 << 64:
        return enc("kith/cdk/2", segment_id, epoch, record_id)
    return b"".join(
        (_CDK_AD_HEAD, _LEN16, segment_id, _LEN8, epoch.to_bytes(8, "big"), _LEN16, record_id)
    )


def seal_table(root: bytes, keys: list[bytes], vault_id: bytes) -> bytes:
    """The bucket table sealed under ``root``."""
    return aead.seal_exact(root, b"".join(keys), enc("kith/buckets/2", vault_id))


def open_table(root: bytes, sealed: bytes, vault_id: bytes) -> list[bytes]:
    """Inverse of ``seal_table``; anything else is ``IntegrityError``."""
    raw = aead.open_exact(root, sealed, enc("kith/buckets/2", vault_id))
    if len(raw) != BUCKETS * KEY_BYTES:
        raise IntegrityError("(the key tree)")
    return [raw[i : i + KEY_BYTES] for i in range(0, len(raw), KEY_BYTES)]


def new_table() -> list[bytes]:
    """1024 fresh bucket keys."""
    return [aead.random_key() for _ in range(BUCKETS)]


class KeyTree:
    """The bucket keys of one unlocked vault, and the re-keying a shred needs."""

    def __init__(self, store: Store, vault_id: bytes, keys: list[bytes], counter: int) -> None:
        self.store = store
        self.vault_id = vault_id
        self._keys = list(keys)
        self.counter = counter
        self.dirty: set[int] = set()
        # Set by the commit guard: reloads the table when another process changed it.
        self.reload: Callable[[], None] = lambda: None

    def replace(self, keys: list[bytes], counter: int) -> None:
        """Take a freshly loaded table (after another process committed, or a rollback)."""
        self._keys = list(keys)
        self.counter = counter
        self.dirty.clear()

    def key(self, record_id: bytes) -> bytes:
        """The bucket key that wraps ``record_id``'s CDK."""
        return self._keys[bucket_of(record_id)]

    def table(self) -> list[bytes]:
        """Every bucket key, in bucket order (for sealing under a new root)."""
        return list(self._keys)

    def wrap(self, record_id: bytes, segment_id: bytes, epoch: int, cdk: bytes) -> bytes:
        """``cdk`` wrapped for storage in ``record_keys``."""
        return aead.seal_exact(self.key(record_id), cdk, cdk_ad2(segment_id, epoch, record_id))

    def unwrap(self, record_id: bytes, segment_id: bytes, epoch: int, wrapped: bytes) -> bytes:
        """The CDK; on an AEAD failure the table is reloaded once (another process may have
        re-keyed the bucket) before the failure stands."""
        ad = cdk_ad2(segment_id, epoch, record_id)
        try:
            return aead.open_exact(self.key(record_id), wrapped, ad)
        except IntegrityError:
            self.reload()
            return aead.open_exact(self.key(record_id), wrapped, ad)

    def rekey(self, record_ids: Iterable[bytes]) -> None:
        """Give the buckets of ``record_ids`` fresh keys and re-wrap their remaining CDKs.

        Runs inside the caller's transaction, after the shredded rows are gone; the new root is
        made when the transaction commits (``vault/core/commit_guard.py``).
        """
        for bucket in sorted({bucket_of(r) for r in record_ids}):
            self._rekey_bucket(bucket)

    def _rekey_bucket(self, bucket: int) -> None:
        old, new = self._keys[bucket], aead.random_key()
        lo, hi = bucket_bounds(bucket)
        if hi is None:
            rows = self.store.execute(
                "SELECT record_id, segment_id, epoch, wrapped_cdk FROM record_keys "
                "WHERE record_id >= ?",
                (lo,),
            )
        else:
            rows = self.store.execute(
                "SELECT record_id, segment_id, epoch, wrapped_cdk FROM record_keys "
                "WHERE record_id >= ? AND record_id < ?",
                (lo, hi),
            )
        updates = []
        for record_id, segment_id, epoch, wrapped in rows:
            rid, sid = bytes(record_id), bytes(segment_id)
            ad = cdk_ad2(sid, int(epoch), rid)
            cdk = aead.open_exact(old, bytes(wrapped), ad)
            updates.append((aead.seal_exact(new, cdk, ad), rid, sid))
        self.store.executemany(
            "UPDATE record_keys SET wrapped_cdk = ? WHERE record_id = ? AND segment_id = ?",
            updates,
        )
        self._keys[bucket] = new
        self.dirty.add(bucket)
