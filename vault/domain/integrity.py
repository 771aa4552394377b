"""``kith check``: open every sealed value the vault holds, so damage anywhere is found now.

    verify(opened, records) -> counts of what was opened, or IntegrityError

What is checked, in order (each AEAD open checks its tag and its associated data, so a flipped
byte, a value moved to another row, or a replayed old value all fail):
1. every database page (SQLCipher's HMAC) and SQLite's structure;
2. the format-2 key tree, opened afresh rather than from the unlocked vault's memory: both
   header copies parse strictly, their sealed states open under the VMK and accept the
   database's counter, each copy's root opens the bucket table (``keytree.buckets``), and the
   stored local-wrap key (``keytree.lwk``) opens to the key in use;
3. every wrapped record key (``record_keys``), in every segment the record belongs to (a record
   read normally opens only its home segment's), under its bucket key from that fresh table;
   every wrap of one record holds the same CDK, and every record has a wrap for its home;
4. every segment's name (private and shared) and every stored segment key, opened afresh;
5. every field of every record of every type found in the database (contacts, interactions and
   notes, events, relationships, targets, preferences and consent, saved searches, outreach
   settings, messages and deliveries, and any type added later);
6. the sync state: every sealed blob, every op-log item, every sync segment key;
7. the device identity, if one exists (``check`` never creates one: it writes nothing).

Rules and reasons:
- The whole check runs under SQLite's write lock (``Store.write_lock``, nothing is written): a
  Kith process that commits meanwhile could re-key a bucket between the table being opened and
  a wrap being checked, which would look like damage. Other writers wait (up to the busy
  timeout, then ``VaultBusy``) while a check runs.
- A header copy that is missing or damaged fails the check even though unlocking would repair
  it from the other copy: ``check`` reports what is on disk now. (Unlock itself repairs a
  damaged copy, so a check run as its own process sees that repair, and says so in notices.)

Not checkable here, and why: the blind-index digests (keyed hashes, not sealed: a damaged digest
only costs a missed duplicate on import), settings, links and times (plaintext inside the
encrypted database, covered by the page HMACs of step 1 only), and whether the passphrase still
unwraps the header's VMK (``check`` holds the VMK, not the passphrase; the state's AD covers the
wrapped VMK byte for byte, so a changed wrap fails step 2).
"""

from __future__ import annotations

import hmac

from vault.core import header_v2, identity
from vault.core.commit_guard import read_counter
from vault.core.format2 import Opened
from vault.core.header import BACKUP_NAME, HEADER_NAME
from vault.core.keyring import open_lwk
from vault.core.keytree import bucket_of, cdk_ad2, open_table
from vault.core.records import RecordStore
from vault.core.store import Store
from vault.crypto import aead
from vault.domain import segments
from vault.domain.sync_state import SyncStore
from vault.errors import IntegrityError, KithError


def verify(opened: Opened, records: RecordStore) -> dict[str, int]:
    """Open everything; return how many of each kind were opened (record types by name)."""
    store = opened.store
    with store.write_lock():
        store.check_integrity()
        counts: dict[str, int] = {}
        buckets = _key_tree(opened)
        counts["bucket table"] = 1
        counts["record key"] = _record_keys(store, buckets)
        keyring = opened.keyring
        for segment_id, sealed in store.execute("SELECT id, name_sealed FROM segments"):
            keyring.open_local(segments.NAME_PURPOSE, bytes(segment_id), bytes(sealed))
            counts["segment"] = counts.get("segment", 0) + 1
        for segment_id, epoch, wrapped in store.execute(
            "SELECT segment_id, epoch, wrapped_key FROM segment_keys"
        ):
            keyring.check_segment_key(bytes(segment_id), int(epoch), bytes(wrapped))
        for (record_type,) in store.execute("SELECT DISTINCT type FROM records ORDER BY type"):
            counts[str(record_type)] = sum(1 for _ in records.iter_type(str(record_type)))
        counts["sync item"] = _sync(store, SyncStore(store, keyring))
        if store.one("SELECT 1 FROM identity WHERE id = 1") is not None:
            identity.load_or_create(store, keyring)
            counts["identity"] = 1
        return counts


def _key_tree(opened: Opened) -> list[bytes]:
    """Both header copies, their states and roots, the bucket table and the stored LWK, opened
    afresh; returns the bucket keys from the table as stored."""
    store, vault_id = opened.store, opened.vault_id
    current = read_counter(store)
    row = store.one("SELECT lwk FROM keytree WHERE id = 1")
    if current is None or row is None:
        raise IntegrityError("(the key tree is missing)")
    counter, sealed = current
    hsk = header_v2.state_key(opened.vmk, vault_id)
    table: list[bytes] | None = None
    for name in (HEADER_NAME, BACKUP_NAME):
        try:
            with open(opened.directory / name, "rb") as handle:
                hdr = header_v2.parse(handle.read(header_v2.SIZE + 1))
            state = header_v2.open_state(hdr, hsk)
        except (OSError, KithError):
            raise IntegrityError("(a vault header copy)") from None
        root = state.root_for(counter)
        if root is None or state.lo > counter:
            raise IntegrityError("(a vault header copy does not match the database)")
        keys = open_table(root, sealed, vault_id)
        if table is not None and keys != table:
            raise IntegrityError("(the vault header copies)")
        table = keys
    if not hmac.compare_digest(open_lwk(opened.vmk, vault_id, bytes(row[0])), opened.keyring.lwk):
        raise IntegrityError("(the key tree)")
    if table is None:  # unreachable: the loop above runs for both copies
        raise IntegrityError("(the vault header)")
    return table


def _record_keys(store: Store, buckets: list[bytes]) -> int:
    """Open every wrapped CDK under its bucket key; one CDK per record; a wrap for each home."""
    homeless = store.one(
        "SELECT count(*) FROM records r WHERE NOT EXISTS (SELECT 1 FROM record_keys k "
        "WHERE k.record_id = r.id AND k.segment_id = r.home_segment)"
    )
    if homeless is not None and int(homeless[0]):
        raise IntegrityError("(a record's key is missing)")
    opened = 0
    last: tuple[bytes, bytes] | None = None
    for record_id, segment_id, epoch, wrapped in store.iterate(
        "SELECT record_id, segment_id, epoch, wrapped_cdk FROM record_keys ORDER BY record_id"
    ):
        rid = bytes(record_id)
        cdk = aead.open_exact(
            buckets[bucket_of(rid)], bytes(wrapped), cdk_ad2(bytes(segment_id), int(epoch), rid)
        )
        if last is not None and last[0] == rid and not hmac.compare_digest(last[1], cdk):
            raise IntegrityError("(a record's keys differ between its segments)")
        last = (rid, cdk)
        opened += 1
    return opened


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
