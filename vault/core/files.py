"""Files Kith creates: private, new, durable. The one place for these rules (they were copied
into the header, the store, backups, exports, outreach letters and the map).

    fsync_directory(directory)       a rename or a new name in ``directory`` survives a crash
    create_private(path) -> fd       a NEW file, mode 0600, never over a name, never via a link
    touch_private(path)              the same, empty, closed (before SQLite writes into it)
    write_new(path, data)            create_private, write, fsync; removed again on failure

Rules and reasons:
- ``O_CREAT | O_EXCL | O_NOFOLLOW``: a file Kith writes never replaces another (an export
  over someone's document) and never follows a symlink planted where it writes (a link to a
  synced folder would leak the data there). The caller maps ``FileExistsError`` to its own
  one-line error.
- Mode 0600 at creation (and ``fchmod`` against an unusual umask): the file never exists,
  even for an instant, with wider permissions.
- ``fsync`` of the file, then of its directory, before anything is reported as written.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["create_private", "fsync_directory", "touch_private", "write_new"]

_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def fsync_directory(directory: Path) -> None:
    """Make a rename or a new name in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_private(path: Path) -> int:
    """Open a new file at ``path`` for writing, mode 0600; ``FileExistsError`` if the name is
    taken (a link included)."""
    fd = os.open(path, _NEW, 0o600)
    try:
        os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        raise
    return fd


def touch_private(path: Path) -> None:
    """Create the empty file ``path``, mode 0600, so that nothing later creates it wider."""
    os.close(create_private(path))


def write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to the new file ``path`` (0600, fsynced); on any failure nothing is left."""
    fd = create_private(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)
