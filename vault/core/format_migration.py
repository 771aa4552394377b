"""The upgrade of a format-1 vault to format 2, in place and atomically (issue 12).

Format 1 wrapped each CDK under its segment key, kept in the database under a local-wrap key
derived from the VMK, so every older copy of the database opened every deleted record. The
upgrade, at the first unlock by the format-2 code:

1. applies the pending schema migrations to ``vault.db`` (format 1 still);
2. exports it under a NEW VMK's key into ``vault.db.rekey`` and, in the same transaction,
   re-wraps every CDK under its bucket key (``vault/core/keytree.py``), and stores the format-1
   local-wrap key sealed under the new VMK (segment keys, identity, sync rows and the blind
   index stay valid without being re-sealed);
3. writes the format-2 header over ``vault.hdr`` in place (same passphrase: the Argon2id output
   of this unlock is reused, with the same salt and parameters), renames the copy over
   ``vault.db`` (the commit point), writes ``vault.hdr.bak`` in place.

The new VMK means every format-1 remnant (the old file's blocks, its journals, a leftover
backup snapshot) is under a key the header no longer holds. A crash at any step leaves either
the format-1 vault (upgraded again at the next unlock) or the format-2 vault; see
``vault/core/format2.py`` for how unlock tells them apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vault.core import folder_lock, header_v2, leftovers, schema
from vault.core import header as header_v1
from vault.core.faults import crash_point
from vault.core.files import fsync_directory
from vault.core.header import BACKUP_NAME, HEADER_NAME
from vault.core.keyring import Keyring, format1_lwk, seal_lwk, sqlcipher_key
from vault.core.keytree import bucket_of, cdk_ad2, new_table, seal_table
from vault.core.leftovers import REKEY_NAME
from vault.core.records import cdk_ad
from vault.core.store import DB_NAME, Row, Store
from vault.crypto import aead

Run = Callable[[str, Sequence[Any]], list[Row]]


def upgrade(
    directory: Path, old: header_v1.Header, vmk1: bytes, kek: bytes, store: Store
) -> tuple[header_v2.Header, bytes, Store]:
    """Upgrade the open format-1 ``store``; returns the format-2 header, VMK and store."""
    vault_id = old.vault_id
    schema.migrate(store)
    vmk2, root = aead.random_key(), aead.random_key()
    lwk = format1_lwk(vmk1, vault_id)
    staged = directory / REKEY_NAME
    # The exclusive folder lock keeps another unlock's sweep and a passphrase change off the
    # copy while it lives (its name is fixed).
    with folder_lock.alone(directory):
        leftovers.destroy(staged)  # a stale one: overwritten, not only unlinked

        def convert(run: Run) -> None:
            rewrap(run, Keyring.from_lwk(lwk, vault_id), vault_id, root, vmk2, lwk)

        store.export(staged, sqlcipher_key(vmk2, vault_id), convert)
        store.close()
        hdr = header_v2.wrap(vmk2, kek, old.params, old.salt, vault_id)
        hdr = header_v2.with_state(
            hdr, header_v2.state_key(vmk2, vault_id), header_v2.KeyState.final(1, root)
        )
        header_v2.write_copy_in_place(directory / HEADER_NAME, hdr.to_bytes())
        crash_point("upgrade-after-primary")
        staged.replace(directory / DB_NAME)
        fsync_directory(directory)
        header_v2.write_copy_in_place(directory / BACKUP_NAME, hdr.to_bytes())
    return hdr, vmk2, Store(directory / DB_NAME, sqlcipher_key(vmk2, vault_id))


def rewrap(run: Run, ring: Keyring, vault_id: bytes, root: bytes, vmk2: bytes, lwk: bytes) -> None:
    """In the staged copy ``rk``: every CDK from its segment key to its bucket key, and the
    key-tree row (counter 1)."""
    table = new_table()
    segment_keys = {
        (bytes(sid), int(epoch)): ring.load_segment_key(bytes(sid), int(epoch), bytes(wrapped))
        for sid, epoch, wrapped in run(
            "SELECT segment_id, epoch, wrapped_key FROM rk.segment_keys", ()
        )
    }
    rows = run("SELECT record_id, segment_id, epoch, wrapped_cdk FROM rk.record_keys", ())
    for record_id, segment_id, epoch, wrapped in rows:
        rid, sid, ep = bytes(record_id), bytes(segment_id), int(epoch)
        cdk = aead.open_exact(segment_keys[(sid, ep)], bytes(wrapped), cdk_ad(sid, ep, rid))
        run(
            "UPDATE rk.record_keys SET wrapped_cdk = ? WHERE record_id = ? AND segment_id = ?",
            (aead.seal_exact(table[bucket_of(rid)], cdk, cdk_ad2(sid, ep, rid)), rid, sid),
        )
    run("DELETE FROM rk.keytree", ())
    run(
        "INSERT INTO rk.keytree (id, counter, buckets, lwk) VALUES (1, 1, ?, ?)",
        (seal_table(root, table, vault_id), seal_lwk(vmk2, vault_id, lwk)),
    )
