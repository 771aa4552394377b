"""Creating, unlocking and re-keying a format-2 vault (the files, keys and their crash safety).

    create(dir, passphrase, params)         -> Opened
    unlock(dir, passphrase)                 -> Opened (a format-1 vault is upgraded first)
    change_passphrase(opened, old, new, ..) -> Opened (new VMK, database re-encrypted)

Rules and reasons:
- A header copy counts only if its VMK opens ``vault.db``. The database is under exactly one
  key at every instant (a passphrase change swaps in a re-encrypted copy by one rename), so at
  every instant exactly one passphrase opens the current data, whatever copy of the header
  survives a crash: an old header and the old passphrase open nothing current.
- ``passwd`` order: export the database under the new key into ``vault.db.rekey`` (one
  transaction, synced), write the new header over ``vault.hdr`` in place, rename the copy over
  ``vault.db`` (the commit point), write ``vault.hdr.bak`` in place. Killed before the rename,
  the old passphrase still applies (the first unlock repairs ``vault.hdr`` and says so); killed
  after it, the new one applies (the first unlock repairs ``vault.hdr.bak`` and says so).
- Two header copies that differ are repaired at unlock, and ``notices`` says so.
- A leftover ``vault.db.rekey`` that the chosen header does not need is overwritten and removed
  by the sweep that follows every unlock (``vault/core/leftovers.py``), never while a passphrase
  change or upgrade in another process holds the folder lock (``vault/core/folder_lock.py``).
"""

from __future__ import annotations

import contextlib
import hmac
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vault.core import folder_lock, header_v2, leftovers, schema
from vault.core import header as header_v1
from vault.core.commit_guard import CommitGuard, choose_root, header_states, read_counter
from vault.core.faults import crash_point
from vault.core.files import fsync_directory
from vault.core.format_migration import upgrade
from vault.core.header import BACKUP_NAME, HEADER_NAME
from vault.core.keyring import Keyring, open_lwk, seal_lwk, sqlcipher_key
from vault.core.keytree import KeyTree, new_table, open_table, seal_table
from vault.core.leftovers import REKEY_NAME
from vault.core.store import DB_NAME, Row, Store
from vault.crypto import aead, kdf
from vault.errors import CannotUnlock, IntegrityError, KithError, VaultBusy

REPAIRED = "The two copies of the vault header differed (an interrupted write); both were repaired."
FINISHED = "An interrupted passphrase change or format upgrade was completed."
UPGRADED = "The vault was upgraded to storage format 2."


@dataclass
class Opened:
    """An unlocked format-2 vault's keys, store and guards."""

    directory: Path
    header: header_v2.Header
    vmk: bytes
    store: Store
    tree: KeyTree
    guard: CommitGuard
    keyring: Keyring
    notices: list[str] = field(default_factory=list)

    @property
    def vault_id(self) -> bytes:
        return self.header.vault_id


def create(directory: Path, secret: bytes | bytearray, params: kdf.KdfParams) -> Opened:
    """A new vault in the empty ``directory``: database first, then both headers."""
    vault_id, vmk, salt = os.urandom(16), aead.random_key(), os.urandom(kdf.SALT_BYTES)
    kek = kdf.argon2id(secret, salt, params)
    hdr = header_v2.wrap(vmk, kek, params, salt, vault_id)
    root, lwk = aead.random_key(), aead.random_key()
    store = Store(directory / DB_NAME, sqlcipher_key(vmk, vault_id))
    schema.migrate(store)
    store.execute(
        "INSERT INTO keytree (id, counter, buckets, lwk) VALUES (1, 1, ?, ?)",
        (seal_table(root, new_table(), vault_id), seal_lwk(vmk, vault_id, lwk)),
    )
    hsk = header_v2.state_key(vmk, vault_id)
    hdr = header_v2.with_state(hdr, hsk, header_v2.KeyState.final(1, root))
    header_v2.write_in_place(directory, hdr)
    return _attach(directory, hdr, vmk, store, [])


def unlock(directory: Path, secret: bytes | bytearray) -> Opened:
    """Unwrap the VMK from a header copy whose key opens the database; repair; upgrade."""
    notices: list[str] = []
    keks: dict[tuple[bytes, kdf.KdfParams], bytes] = {}

    def kek_for(salt: bytes, params: kdf.KdfParams) -> bytes:
        if (salt, params) not in keks:
            keks[(salt, params)] = kdf.argon2id(secret, salt, params)
        return keks[(salt, params)]

    on_disk = _copies(directory)
    unwrapped = False
    for data in dict.fromkeys(on_disk.values()):
        try:
            version = header_v2.version_of(data)
            if version == header_v2.FORMAT_VERSION:
                hdr = header_v2.parse(data)
                kek = kek_for(hdr.salt, hdr.params)
                vmk = header_v2.unwrap(hdr, kek)
                vault_id = hdr.vault_id
            elif version == header_v1.FORMAT_VERSION:
                old = header_v1.parse(data)
                kek = kek_for(old.salt, old.params)
                vmk = header_v1.unwrap_with_kek(old, kek)
                vault_id = old.vault_id
            else:
                continue
        except CannotUnlock:
            continue
        unwrapped = True
        store = _open_database(directory, vmk, vault_id, notices)
        if store is None:
            continue  # a header for a database that never became current (see the rules)
        if version == header_v1.FORMAT_VERSION:
            hdr, vmk, store = upgrade(directory, old, vmk, kek, store)
            notices.append(UPGRADED)
            on_disk = _copies(directory)
        if len(set(on_disk.values())) > 1 or len(on_disk) < 2:
            notices.append(REPAIRED)
        return _open_v2(directory, hdr, vmk, store, notices)
    if not keks:
        # No copy parsed: run Argon2id once anyway, so a damaged header takes as long as a wrong
        # passphrase (issue 12: no timing oracle).
        header_v1.spend_one_run(next(iter(on_disk.values()), b""), secret)
    if unwrapped and len(set(on_disk.values())) == 1:
        # The passphrase is right but the database does not open under that key: the file is
        # damaged, or is not the one this header was written for (both cases exit 6). When the
        # copies differ, the copy it opened is the stale half of an interrupted passphrase
        # change: that passphrase no longer applies (CannotUnlock, as for any wrong one).
        raise IntegrityError("(the vault database does not match its header)")
    raise CannotUnlock


def change_passphrase(
    opened: Opened, old: bytes | bytearray, new: bytes | bytearray, params: kdf.KdfParams
) -> Opened:
    """Rotate the VMK: the database is re-encrypted under a key from the new VMK and swapped in
    by rename; both headers are rewritten in place. Returns the re-opened vault."""
    hdr = opened.header
    if not hmac.compare_digest(
        header_v2.unwrap(hdr, kdf.argon2id(old, hdr.salt, hdr.params)), opened.vmk
    ):
        raise CannotUnlock
    directory, vault_id, store = opened.directory, opened.vault_id, opened.store
    salt, vmk2 = os.urandom(kdf.SALT_BYTES), aead.random_key()
    kek = kdf.argon2id(new, salt, params)
    opened.guard.refresh()
    counter, root = opened.tree.counter, opened.guard.root
    rekey = directory / REKEY_NAME
    # The exclusive folder lock keeps another unlock's sweep, another change and an upgrade off
    # this copy while it lives (its name is fixed); a file replaced meanwhile is refused.
    with folder_lock.alone(directory):
        opened.guard.check_same_file()
        leftovers.destroy(rekey)  # a stale one: overwritten, not only unlinked

        def bump(run: Callable[[str, Sequence[Any]], list[Row]]) -> None:
            row = run("SELECT counter, lwk FROM main.keytree WHERE id = 1", ())
            if int(row[0][0]) != counter:
                raise VaultBusy
            lwk = open_lwk(opened.vmk, vault_id, bytes(row[0][1]))
            run(
                "UPDATE rk.keytree SET counter = ?, lwk = ? WHERE id = 1",
                (counter + 1, seal_lwk(vmk2, vault_id, lwk)),
            )

        store.export(rekey, sqlcipher_key(vmk2, vault_id), bump)
        fresh = header_v2.wrap(vmk2, kek, params, salt, vault_id)
        fresh = header_v2.with_state(
            fresh, header_v2.state_key(vmk2, vault_id), header_v2.KeyState.final(counter + 1, root)
        )
        try:
            with store.write_lock():
                opened.guard.check_same_file()
                current = read_counter(store)
                if current is None or current[0] != counter:
                    raise VaultBusy
                header_v2.write_copy_in_place(directory / HEADER_NAME, fresh.to_bytes())
                crash_point("passwd-after-primary")
                os.replace(rekey, directory / DB_NAME)
                fsync_directory(directory)
                crash_point("passwd-after-swap")
                header_v2.write_copy_in_place(directory / BACKUP_NAME, fresh.to_bytes())
        finally:
            leftovers.destroy(rekey)
    store.hooks = None
    store.close()
    new_store = Store(directory / DB_NAME, sqlcipher_key(vmk2, vault_id))
    return _open_v2(directory, fresh, vmk2, new_store, [])


# -- internals ---------------------------------------------------------------------------------


def _copies(directory: Path) -> dict[str, bytes]:
    """The header copies on disk by name (at most 4097 bytes read of each)."""
    found: dict[str, bytes] = {}
    for name in (HEADER_NAME, BACKUP_NAME):
        with contextlib.suppress(OSError), open(directory / name, "rb") as handle:
            found[name] = handle.read(header_v2.SIZE + 1)
    return found


def _try_store(path: Path, key: bytes) -> Store | None:
    if not path.is_file():
        return None
    try:
        return Store(path, key)
    except IntegrityError:
        return None


def _open_database(
    directory: Path, vmk: bytes, vault_id: bytes, notices: list[str]
) -> Store | None:
    """``vault.db`` opened with this VMK's key; or the re-keyed copy a passphrase change left
    before its rename, renamed into place now (roll forward); or None."""
    key = sqlcipher_key(vmk, vault_id)
    store = _try_store(directory / DB_NAME, key)
    if store is not None:
        return store
    staged = _try_store(directory / REKEY_NAME, key)
    if staged is None:
        return None
    staged.close()
    os.replace(directory / REKEY_NAME, directory / DB_NAME)
    fsync_directory(directory)
    notices.append(FINISHED)
    return Store(directory / DB_NAME, key)


def _open_v2(
    directory: Path, hdr: header_v2.Header, vmk: bytes, store: Store, notices: list[str]
) -> Opened:
    """Bind the database to the header state, open the key tree, repair the copies."""
    try:
        schema.migrate(store)
        return _attach(directory, hdr, vmk, store, notices)
    except BaseException:
        store.close()
        raise


def _attach(
    directory: Path, hdr: header_v2.Header, vmk: bytes, store: Store, notices: list[str]
) -> Opened:
    vault_id = hdr.vault_id
    current = read_counter(store)
    row = store.one("SELECT lwk FROM keytree WHERE id = 1")
    if current is None or row is None:
        raise IntegrityError("(the key tree is missing)")
    counter, sealed = current
    hsk = header_v2.state_key(vmk, vault_id)
    states = header_states(directory, hsk)
    _, root = choose_root(states, counter)
    tree = KeyTree(store, vault_id, open_table(root, sealed, vault_id), counter)
    guard = CommitGuard(directory, store, tree, hdr, hsk, root, crash=crash_point)
    final = header_v2.KeyState.final(counter, root)
    if len(states) < 2 or any(state != final for _, _, state in states) or any(
        h.wrap_bytes() != hdr.wrap_bytes() for _, h, _ in states
    ):
        guard.pending = True
        guard.finalize()
    store.hooks = guard
    try:
        lwk = open_lwk(vmk, vault_id, bytes(row[0]))
    except KithError:
        store.hooks = None
        raise
    return Opened(
        directory, guard.header, vmk, store, tree, guard, Keyring.from_lwk(lwk, vault_id), notices
    )


def snapshot_header(opened: Opened, snapshot: Path) -> bytes | None:
    """Header bytes that belong to a database copy (a backup's snapshot): this header's wrap
    with the state ``{copy's counter: root}``, or None if the current root does not open the
    copy's bucket table (a delete committed since the copy: take the copy again).

    The header on disk may already accept only a later counter (another process wrote after the
    copy was taken), so a backup never stores it as is.
    """
    with opened.store.attached(snapshot, "snapc"):
        row = opened.store.one("SELECT counter, buckets FROM snapc.keytree WHERE id = 1")
    if row is None:
        return None
    counter, sealed = int(row[0]), bytes(row[1])
    opened.guard.refresh()
    root = opened.guard.root
    try:
        open_table(root, sealed, opened.vault_id)
    except IntegrityError:
        return None
    hsk = header_v2.state_key(opened.vmk, opened.vault_id)
    final = header_v2.KeyState.final(counter, root)
    return header_v2.with_state(opened.guard.header, hsk, final).to_bytes()
