"""Scratch files left in the vault folder by a killed process: overwritten, then removed, at
every unlock.

What can be left behind, and why it matters:
- ``.kith-backup-snapshot-*.db`` (and its ``-journal``): a ``kith backup create`` killed
  mid-way leaves a full copy of the database, keyed like it. With the passphrase it opens every
  record the vault held at that moment, including records deleted since.
- ``.vault.hdr.tmp`` and ``.vault.hdr.bak.tmp``: format 1's header write killed before its
  rename left a header copy, which unwraps the vault key with the passphrase of that time
  (format 2 writes headers in place and makes no such file; old vaults may still hold one).
- ``vault.db.rekey``: a passphrase change or format upgrade killed before its rename leaves a
  full copy of the database under the new key. If the unlock needed it, it was already renamed
  into place (``vault/core/format2.py``); if it is still here, no header uses it.

Rules and reasons:
- Swept at every successful unlock, not after a delay: the next unlock is the first moment Kith
  runs again after the kill, and a copy of old state is dangerous from the first second.
- Overwritten in place with zeros, flushed and fsynced, then unlinked, then the folder fsynced:
  an unlink alone leaves the blocks on disk for anyone who reads the free space. (On flash and
  copy-on-write file systems the overwrite may land elsewhere: see docs/threat-model.md.)
- Only regular files are opened, with ``O_NOFOLLOW``: a planted symbolic link is unlinked, never
  followed, so it cannot make Kith overwrite a file outside the vault. Anything else with a
  matching name (a folder, a device) is left alone.
- A scratch file another Kith process is still using is never touched (``folder_lock.py``):
  if any process holds the folder's shared lock (a running backup, passphrase change or upgrade)
  the whole sweep waits for the next unlock.
- Best effort per file: a file that cannot be overwritten (read-only medium) does not stop the
  unlock; the next unlock tries again.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from vault.core import folder_lock
from vault.core.header import BACKUP_NAME, HEADER_NAME

SNAPSHOT_PREFIX = ".kith-backup-snapshot-"
REKEY_NAME = "vault.db.rekey"  # a passphrase change's or upgrade's copy (``format_migration``)
PATTERNS = (f"{SNAPSHOT_PREFIX}*", f".{HEADER_NAME}.tmp", f".{BACKUP_NAME}.tmp", REKEY_NAME)
_CHUNK = 1024 * 1024


def sweep(folder: Path) -> list[str]:
    """Overwrite and remove every leftover scratch file in ``folder``; return their names."""
    removed: list[str] = []
    with folder_lock.sweeping(folder) as free:
        if not free:
            return removed
        for pattern in PATTERNS:
            for path in sorted(folder.glob(pattern)):
                if destroy(path):
                    removed.append(path.name)
        if removed:
            with contextlib.suppress(OSError):
                _fsync_folder(folder)
    return removed


def destroy(path: Path) -> bool:
    """Overwrite a regular file with zeros and unlink it; unlink a symbolic link unfollowed.

    True if ``path`` was removed; a missing path is False.
    """
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode):
        with contextlib.suppress(OSError):
            path.unlink()
            return True
        return False
    if not stat.S_ISREG(info.st_mode):
        return False
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        size = os.fstat(fd).st_size
        zeros = bytes(min(size, _CHUNK))
        done = 0
        while done < size:
            done += os.write(fd, zeros[: min(_CHUNK, size - done)])
        os.fsync(fd)
    except OSError:
        return False
    finally:
        os.close(fd)
    try:
        path.unlink()
    except OSError:
        return False
    return True


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
