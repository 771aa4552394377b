"""What sync keeps in the vault: sealed blobs, sync segment keys, and record fingerprints.

The vault does not know the sync protocol (``vault`` never imports ``sync``); this repository
only stores opaque bytes for it, always sealed under the local-wrap key:

    sync_blobs(name, sealed)      sealed = seal_local("kith/sync-blob/1", name, bytes)
        "segment:<hex id>"  one segment's state head, gap buffer and fork evidence
    sync_log(segment, idx, sealed)
                                  sealed = seal_local("kith/sync-log/1", enc(s, idx), item):
                                  the segment's append-only op log, one row per op
        "clock", "peers", "status"  the HLC, the peer book, per-peer sync status
    sync_keys(segment, epoch, idx, wrapped)
                                  wrapped = seal_local("kith/sync-key/1", enc(s, e, idx), key)
    sync_seen(segment, record, fingerprint)
                                  the record's field versions when its state last matched the
                                  op log; a different fingerprint means a local edit to send

Rules and reasons:
- The op log is append-only, so it is stored one sealed row per op and a sync appends only
  its new ops (the cost of a small change does not grow with the segment); the small rest
  (head, buffer, forks) is one blob per segment. Each seal's AD names its blob or its
  (segment, index), so rows cannot be swapped or reordered.
- Sync segment keys are kept apart from the vault's own ``segment_keys``: those wrap CDKs for
  storage on this device and never leave it, while sync keys are shared with members and may
  be several per epoch (concurrent rotations), which ``idx`` allows.
- Fingerprints are field names and versions only (no values): they find what changed
  locally (an edit in the TUI, an import) without decrypting every record.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from vault.core import packed
from vault.core.keyring import Keyring
from vault.core.store import Store
from vault.domain.segments import NAME_PURPOSE, SHARED
from vault.encoding import enc
from vault.errors import IntegrityError

BLOB_PURPOSE = "kith/sync-blob/1"
KEY_PURPOSE = "kith/sync-key/1"
LOG_PURPOSE = "kith/sync-log/1"


class SyncStore:
    """Sealed storage for the sync layer, inside one unlocked vault."""

    def __init__(self, store: Store, keyring: Keyring) -> None:
        self.store = store
        self.keyring = keyring

    # -- blobs ----------------------------------------------------------------------------------

    def get_blob(self, name: str) -> bytes | None:
        """The opened blob ``name``, or None."""
        row = self.store.one("SELECT sealed FROM sync_blobs WHERE name = ?", (name,))
        if row is None:
            return None
        return self.keyring.open_local(BLOB_PURPOSE, name.encode(), bytes(row[0]))

    def put_blob(self, name: str, data: bytes) -> None:
        """Seal and store ``data`` as blob ``name`` (replacing it)."""
        sealed = self.keyring.seal_local(BLOB_PURPOSE, name.encode(), data)
        self.store.execute(
            "INSERT INTO sync_blobs (name, sealed) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed",
            (name, sealed),
        )

    def blob_names(self, prefix: str) -> list[str]:
        """Names of the blobs starting with ``prefix``, sorted."""
        rows = self.store.execute(
            "SELECT name FROM sync_blobs WHERE substr(name, 1, ?) = ? ORDER BY name",
            (len(prefix), prefix),
        )
        return [str(r[0]) for r in rows]

    # -- append-only logs -----------------------------------------------------------------------

    def log_count(self, segment_id: bytes) -> int:
        """How many log items are stored for ``segment_id``."""
        row = self.store.one("SELECT count(*) FROM sync_log WHERE segment_id = ?", (segment_id,))
        return int(row[0]) if row else 0

    def append_log(self, segment_id: bytes, start: int, items: list[bytes]) -> None:
        """Store ``items`` as log items ``start``, ``start + 1``, ... (each sealed on its own)."""
        self.store.executemany(
            "INSERT INTO sync_log (segment_id, idx, sealed) VALUES (?,?,?)",
            [
                (segment_id, start + i,
                 self.keyring.seal_local(LOG_PURPOSE, enc(segment_id, start + i), item))
                for i, item in enumerate(items)
            ],
        )

    def replace_log(self, segment_id: bytes, index: int, item: bytes) -> None:
        """Rewrite stored log item ``index`` (redaction of a deleted record's plaintext)."""
        sealed = self.keyring.seal_local(LOG_PURPOSE, enc(segment_id, index), item)
        self.store.execute(
            "UPDATE sync_log SET sealed = ? WHERE segment_id = ? AND idx = ?",
            (sealed, segment_id, index),
        )

    def log_items(self, segment_id: bytes) -> list[bytes]:
        """Every stored log item of ``segment_id``, in order (each opened and checked)."""
        out: list[bytes] = []
        for idx, sealed in self.store.iterate(
            "SELECT idx, sealed FROM sync_log WHERE segment_id = ? ORDER BY idx", (segment_id,)
        ):
            if int(idx) != len(out):
                raise IntegrityError("(the stored sync log has a gap)")
            out.append(self.keyring.open_local(LOG_PURPOSE, enc(segment_id, int(idx)),
                                               bytes(sealed)))
        return out

    # -- sync segment keys ----------------------------------------------------------------------

    def keys(self, segment_id: bytes) -> list[tuple[int, bytes]]:
        """Every (epoch, key) held for ``segment_id``, in the order they were learned."""
        rows = self.store.execute(
            "SELECT epoch, idx, wrapped FROM sync_keys WHERE segment_id = ? ORDER BY epoch, idx",
            (segment_id,),
        )
        return [
            (
                int(epoch),
                self.keyring.open_local(
                    KEY_PURPOSE, enc(segment_id, int(epoch), int(idx)), bytes(wrapped)
                ),
            )
            for epoch, idx, wrapped in rows
        ]

    def add_keys(self, segment_id: bytes, found: Iterable[tuple[int, bytes]]) -> int:
        """Store the keys not held yet; returns how many were new."""
        held = self.keys(segment_id)
        added = 0
        for epoch, key in found:
            if (epoch, key) in held:
                continue
            idx = sum(1 for e, _ in held if e == epoch)
            sealed = self.keyring.seal_local(KEY_PURPOSE, enc(segment_id, epoch, idx), key)
            self.store.execute(
                "INSERT INTO sync_keys (segment_id, epoch, idx, wrapped) VALUES (?,?,?,?)",
                (segment_id, epoch, idx, sealed),
            )
            held.append((epoch, key))
            added += 1
        return added

    # -- segments -------------------------------------------------------------------------------

    def has_segment(self, segment_id: bytes) -> bool:
        """Whether the vault has this segment (cheap: no names opened, nothing counted)."""
        return self.store.one("SELECT 1 FROM segments WHERE id = ?", (segment_id,)) is not None

    def ensure_segment(self, segment_id: bytes, name: str) -> bool:
        """Create the local shared segment ``segment_id`` (joined from a peer) if missing.

        Its local key (for wrapping CDKs on this device) is fresh and never leaves the device.
        Returns True if it was created.
        """
        from vault.crypto import aead

        if self.store.one("SELECT 1 FROM segments WHERE id = ?", (segment_id,)):
            return False
        with self.store.transaction():
            self.store.execute(
                "INSERT INTO segments (id, kind, name_sealed, current_epoch, created) "
                "VALUES (?,?,?,?,?)",
                (
                    segment_id, SHARED,
                    self.keyring.seal_local(NAME_PURPOSE, segment_id, name.encode()),
                    0, int(time.time()),
                ),
            )
            self.store.execute(
                "INSERT INTO segment_keys (segment_id, epoch, wrapped_key) VALUES (?,?,?)",
                (segment_id, 0, self.keyring.wrap_segment_key(segment_id, 0, aead.random_key())),
            )
        return True

    # -- fingerprints ---------------------------------------------------------------------------

    def candidates(self, segment_id: bytes, record_type: str, since: int) -> dict[bytes, str]:
        """Fingerprints of the records that may have changed: never seen, or updated at or
        after ``since`` (epoch seconds). Every write of a field bumps ``records.updated``, so
        this finds every local edit without scanning the whole segment's fields."""
        wanted = {
            bytes(r[0]) for r in self.store.execute(
                "SELECT r.id FROM records r JOIN record_keys k ON k.record_id = r.id "
                "AND k.segment_id = ? WHERE r.updated >= ? AND r.type = ?",
                (segment_id, since, record_type),
            )
        }
        wanted.update(
            bytes(r[0]) for r in self.store.execute(
                "SELECT k.record_id FROM record_keys k JOIN records r ON r.id = k.record_id "
                "WHERE k.segment_id = ? AND r.type = ? AND NOT EXISTS (SELECT 1 FROM sync_seen s "
                "WHERE s.segment_id = k.segment_id AND s.record_id = k.record_id)",
                (segment_id, record_type),
            )
        )
        return {record_id: self.fingerprint(record_id) for record_id in sorted(wanted)}

    def gone(self, segment_id: bytes) -> list[bytes]:
        """Records seen in ``segment_id`` that are no longer in it (deleted or removed)."""
        rows = self.store.execute(
            "SELECT s.record_id FROM sync_seen s LEFT JOIN record_keys k "
            "ON k.record_id = s.record_id AND k.segment_id = s.segment_id "
            "WHERE s.segment_id = ? AND k.record_id IS NULL ORDER BY s.record_id",
            (segment_id,),
        )
        return [bytes(r[0]) for r in rows]

    def seen_of(self, segment_id: bytes, record_ids: Iterable[bytes]) -> dict[bytes, str]:
        """The recorded fingerprints of some records."""
        out: dict[bytes, str] = {}
        for record_id in record_ids:
            row = self.store.one(
                "SELECT fingerprint FROM sync_seen WHERE segment_id = ? AND record_id = ?",
                (segment_id, record_id),
            )
            if row is not None:
                out[record_id] = str(row[0])
        return out

    def fingerprint(self, record_id: bytes) -> str:
        """One record's fingerprint (as in ``fingerprints``)."""
        row = self.store.one("SELECT packed FROM records WHERE id = ?", (record_id,))
        rows = packed.versions_of(bytes(row[0])) if row is not None else []
        return ",".join(sorted(f"{name}:{version}" for name, version in rows))

    def set_seen(self, segment_id: bytes, record_id: bytes, fingerprint: str | None) -> None:
        """Record (or with None forget) the fingerprint that matches the op log."""
        if fingerprint is None:
            self.store.execute(
                "DELETE FROM sync_seen WHERE segment_id = ? AND record_id = ?",
                (segment_id, record_id),
            )
            return
        self.store.execute(
            "INSERT INTO sync_seen (segment_id, record_id, fingerprint) VALUES (?,?,?) "
            "ON CONFLICT (segment_id, record_id) DO UPDATE SET fingerprint = excluded.fingerprint",
            (segment_id, record_id, fingerprint),
        )
