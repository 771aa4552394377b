"""Advisory locks on the vault folder, so one Kith process never sweeps another's scratch file.

    with in_use(folder):      a scratch file of ours may exist in ``folder`` (shared lock)
    with alone(folder):       our scratch file must be the only one (exclusive lock, waits)
    with sweeping(folder) as ok:  ``ok`` is True if no other Kith process has a scratch file

Rules and reasons:
- The lock is ``flock`` on the folder itself (no lock file: nothing is added to the vault
  layout, and a crashed process drops its lock with its file descriptors, so a lock never
  outlives a kill).
- Writers of scratch files (a backup's snapshot; the re-keyed database copy of a passphrase
  change or format upgrade, ``vault.db.rekey``) hold the shared lock while their file exists;
  any number may do so at once. (Format 2 writes headers in place: no header temp file.)
- A passphrase change or format upgrade holds the exclusive lock (``alone``) while its
  ``vault.db.rekey`` exists: the file has one fixed name, so a second change, an upgrade or a
  backup waits for it rather than overwriting or reading the copy under it.
- The sweep at unlock asks for the exclusive lock *without waiting*: if a writer holds the
  shared lock the sweep is skipped (the next unlock sweeps), so unlocking never blocks on a
  running backup and never destroys a snapshot a backup is still reading.
- Where ``flock`` does not exist (not POSIX) both are no-ops and the sweep always runs.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]


def _open(folder: Path) -> int | None:
    if fcntl is None:  # pragma: no cover - not POSIX
        return None
    try:
        return os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return None


@contextlib.contextmanager
def in_use(folder: Path) -> Iterator[None]:
    """Hold the shared lock on ``folder`` for the block (waits only for a sweep in progress)."""
    fd = _open(folder)
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        if fd is not None:
            os.close(fd)


@contextlib.contextmanager
def alone(folder: Path) -> Iterator[None]:
    """Hold the exclusive lock on ``folder`` for the block (waits for every other holder)."""
    fd = _open(folder)
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        if fd is not None:
            os.close(fd)


@contextlib.contextmanager
def sweeping(folder: Path) -> Iterator[bool]:
    """Try the exclusive lock on ``folder`` without waiting; yield whether it was taken."""
    fd = _open(folder)
    if fd is None:
        yield fcntl is None
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
