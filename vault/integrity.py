"""``kith check``: open every sealed value the vault holds, so damage anywhere is found now.

    verify(store, keyring, records) -> counts of what was opened, or IntegrityError

What is checked, in order (each AEAD open checks its tag and its associated data, so a flipped
byte, a value moved to another row, or a replayed old value all fail):
1. every database page (SQLCipher's HMAC) and SQLite's structure;
2. every segment's name (private and shared) and every stored segment key, opened afresh
   rather than from the keyring's cache;
3. every wrapped record key, in every segment the record belongs to (a record read normally
   opens only the first);
4. every field of every record of every type found in the database (contacts, interactions and
   notes, events, relationships, targets, preferences and consent, saved searches, outreach
   settings, messages and deliveries, and any type added later);
5. the sync state: every sealed blob, every op-log item, every sync segment key;
6. the device identity, if one exists (``check`` never creates one: it writes nothing).

Not checkable here, and why: the blind-index digests (keyed hashes, not sealed: a damaged digest
only costs a missed duplicate on import), settings, links and times (plaintext inside the
encrypted database, covered by the page HMACs of step 1 only).
"""

from __future__ import annotations

from vault import identity, segments
from vault.crypto import aead
from vault.errors import IntegrityError
from vault.keyring import Keyring
from vault.records import RecordStore, cdk_ad
from vault.store import Store
from vault.sync_store import SyncStore


def verify(store: Store, keyring: Keyring, records: RecordStore) -> dict[str, int]:
    """Open everything; return how many of each kind were opened (record types by name)."""
    store.check_integrity()
    counts: dict[str, int] = {}
    for segment_id, sealed in store.execute("SELECT id, name_sealed FROM segments"):
        keyring.open_local(segments.NAME_PURPOSE, bytes(segment_id), bytes(sealed))
        counts["segment"] = counts.get("segment", 0) + 1
    keys: dict[tuple[bytes, int], bytes] = {}
    for segment_id, epoch, wrapped in store.execute(
        "SELECT segment_id, epoch, wrapped_key FROM segment_keys"
    ):
        keyring.check_segment_key(bytes(segment_id), int(epoch), bytes(wrapped))
        keys[(bytes(segment_id), int(epoch))] = keyring.load_segment_key(
            bytes(segment_id), int(epoch), bytes(wrapped)
        )
    for record_id, segment_id, epoch, wrapped in store.iterate(
        "SELECT record_id, segment_id, epoch, wrapped_cdk FROM record_keys"
    ):
        where = (bytes(segment_id), int(epoch))
        if where not in keys:
            raise IntegrityError("(a record's key is missing)")
        aead.decrypt(keys[where], bytes(wrapped), cdk_ad(*where, bytes(record_id)))
    for (record_type,) in store.execute("SELECT DISTINCT type FROM records ORDER BY type"):
        counts[str(record_type)] = sum(1 for _ in records.iter_type(str(record_type)))
    counts["sync item"] = _sync(store, SyncStore(store, keyring))
    if store.one("SELECT 1 FROM identity WHERE id = 1") is not None:
        identity.load_or_create(store, keyring)
        counts["identity"] = 1
    return counts


def _sync(store: Store, sync: SyncStore) -> int:
    opened = 0
    for (name,) in store.execute("SELECT name FROM sync_blobs"):
        sync.get_blob(str(name))
        opened += 1
    for (segment_id,) in store.execute("SELECT DISTINCT segment_id FROM sync_log"):
        opened += len(sync.log_items(bytes(segment_id)))
    for (segment_id,) in store.execute("SELECT DISTINCT segment_id FROM sync_keys"):
        opened += len(sync.keys(bytes(segment_id)))
    return opened
