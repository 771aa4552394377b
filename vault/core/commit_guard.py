"""Binds every commit of ``vault.db`` to the header: a monotonic counter and the key-tree root.

The database holds ``keytree(counter, buckets, lwk)``; the header's state accepts the counters
``lo..hi`` with a root for each (``vault/core/header_v2.py``). Around every outermost write
transaction (``Store.hooks``)::

    begun       lock held: if the database counter moved (another Kith process committed),
                reload the header state and the bucket table
    committing  counter c -> c + 1 in the same transaction; if a bucket was re-keyed, a fresh
                root seals the table; then the header becomes {c: root, c+1: new root},
                written in place, fsynced, both copies
    COMMIT
    committed   after a re-key: under the write lock again, the header becomes {c+1: new root}
                alone (the old root is overwritten now, not at the next write); other commits
                leave the two-counter state until the next write or the lock (``close``)

Rules and reasons:
- A crash at any instant leaves a header that opens the database: before COMMIT the database is
  at ``c`` (accepted), after it at ``c + 1`` (accepted); the next unlock finalizes.
- A database whose counter is below ``lo`` was rolled back (an older copy put in its place):
  ``Vault.open`` refuses it (``RolledBack``). Within one process, only the commit just made can
  be undone by a crash, never one the header has finalized.
- Every header write happens while SQLite's write lock is held, so two Kith processes never
  interleave header writes, and a state is always computed from the database it describes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from vault.core import header_v2
from vault.core.header import BACKUP_NAME, HEADER_NAME
from vault.core.keytree import KeyTree, open_table, seal_table
from vault.core.store import DB_NAME, Store
from vault.crypto import aead
from vault.errors import IntegrityError, KithError, RolledBack, VaultReplaced


def read_counter(store: Store) -> tuple[int, bytes] | None:
    """``(counter, sealed bucket table)`` of a format-2 database, or None (not converted yet)."""
    row = store.one("SELECT counter, buckets FROM keytree WHERE id = 1")
    return (int(row[0]), bytes(row[1])) if row else None


Copy = tuple[str, header_v2.Header, header_v2.KeyState]


def header_states(directory: Path, hsk: bytes) -> list[Copy]:
    """Every header copy on disk whose state opens under ``hsk``, primary first."""
    found: list[Copy] = []
    for name in (HEADER_NAME, BACKUP_NAME):
        try:
            with open(directory / name, "rb") as handle:
                data = handle.read(header_v2.SIZE + 1)
            hdr = header_v2.parse(data)
            found.append((name, hdr, header_v2.open_state(hdr, hsk)))
        except (OSError, KithError):  # a missing, torn or damaged copy: use the other
            continue
    return found


def choose_root(states: list[Copy], counter: int) -> tuple[header_v2.Header, bytes]:
    """The header copy and root that accept a database at ``counter``.

    A copy that already moved past ``counter`` means the database is older than its header
    (``RolledBack``); no copy accepting it at all means header and database do not belong
    together (an old header put back): also ``RolledBack``. No copy whose state opens at all
    (both damaged, with a VMK that did unwrap) is damage: ``IntegrityError``, not a wrong
    passphrase and not a rollback.
    """
    if not states:
        raise IntegrityError("(the vault header)")
    if any(state.lo > counter for _, _, state in states):
        raise RolledBack
    for _, hdr, state in states:
        root = state.root_for(counter)
        if root is not None:
            return hdr, root
    raise RolledBack("(the header is older than the database)")


class CommitGuard:
    """The ``Store.hooks`` of one unlocked format-2 vault."""

    def __init__(
        self,
        directory: Path,
        store: Store,
        tree: KeyTree,
        hdr: header_v2.Header,
        hsk: bytes,
        root: bytes,
        *,
        crash: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.directory = directory
        self.store = store
        self.tree = tree
        self.header = hdr
        self.hsk = hsk
        self.root = root
        self.pending = False  # the header accepts two counters (finalize at lock)
        self._new_root: bytes | None = None
        self._crash = crash
        self._inode = (directory / DB_NAME).stat().st_ino
        tree.reload = self.refresh

    # -- header writes -----------------------------------------------------------------------

    def check_same_file(self) -> None:
        """Refuse to write if ``vault.db`` was replaced under this connection (another process
        changed the passphrase or upgraded the format): this connection's file is gone, and
        writing its header state would overwrite the new vault key."""
        try:
            inode = (self.directory / DB_NAME).stat().st_ino
        except OSError:
            inode = -1
        if inode != self._inode:
            raise VaultReplaced

    def write_state(self, state: header_v2.KeyState) -> None:
        """Seal ``state`` into the header and write both copies in place."""
        self.check_same_file()
        self.header = header_v2.with_state(self.header, self.hsk, state)
        header_v2.write_in_place(self.directory, self.header)

    def finalize(self) -> None:
        """Under the write lock: the header accepts only the database's current counter."""
        with self.store.write_lock():
            current = read_counter(self.store)
            if current is None or current[0] != self.tree.counter:
                return  # another process committed since; it wrote its own state
            self.write_state(header_v2.KeyState.final(self.tree.counter, self.root))
            self.pending = False

    # -- freshness ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the root and the bucket table if another process committed."""
        current = read_counter(self.store)
        if current is None:
            raise IntegrityError("(the key tree is missing)")
        counter, sealed = current
        if counter == self.tree.counter and not self.tree.dirty:
            return
        hdr, root = choose_root(header_states(self.directory, self.hsk), counter)
        self.tree.replace(open_table(root, sealed, self.tree.vault_id), counter)
        self.root = root
        self.header = hdr

    # -- Store.hooks -------------------------------------------------------------------------

    def begun(self) -> None:
        self.check_same_file()
        self.refresh()

    def committing(self) -> None:
        old = self.tree.counter
        new_root: bytes | None = None
        if self.tree.dirty:
            new_root = aead.random_key()
            self.store.execute(
                "UPDATE keytree SET counter = ?, buckets = ? WHERE id = 1",
                (old + 1, seal_table(new_root, self.tree.table(), self.tree.vault_id)),
            )
        else:
            self.store.execute("UPDATE keytree SET counter = ? WHERE id = 1", (old + 1,))
        self.write_state(header_v2.KeyState(old, old + 1, self.root, new_root or self.root))
        self._crash("commit-before-db")
        self._new_root = new_root

    def committed(self) -> None:
        self.tree.counter += 1
        self.tree.dirty.clear()
        new_root, self._new_root = self._new_root, None
        self.pending = True
        if new_root is not None:
            self.root = new_root
            self._crash("commit-before-final")
            # The data is committed: a failure here (the lock busy for 10 s, a full disk) must
            # not look like a failed delete. The old root then stays until ``close`` or the
            # next unlock, which finalize again (docs/threat-model.md, "one crash").
            with contextlib.suppress(KithError, OSError):
                self.finalize()

    def rolled_back(self) -> None:
        self._new_root = None
        self.tree.dirty.clear()
        self.tree.counter = -1  # force a reload of the committed table at the next use
        with contextlib.suppress(KithError, OSError):  # never hide why the transaction failed
            self.refresh()

    def close(self) -> None:
        """At lock: leave the header accepting only the current counter."""
        if self.pending:
            self.finalize()
