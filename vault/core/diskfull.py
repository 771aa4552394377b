"""Telling a full disk apart from every other failure (issue 14, item 2).

A full disk is not tampering and not a bug: it deserves one clear line ("Disk full: nothing was
changed", ``DiskFull``), and the promise in that line must hold, so every writer that can hit
it removes what it had started (a transaction rolls back, a temporary file is unlinked).

    is_disk_full(error) -> bool          an OSError with ENOSPC or EDQUOT
    with disk_full_as_error(): ...       such an OSError becomes DiskFull

SQLite reports the same condition as ``SQLITE_FULL`` ("database or disk is full"); the store maps
that text (``vault/core/store.py``), since sqlcipher3 gives no errno.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator

from vault.errors import DiskFull

_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_disk_full(error: BaseException) -> bool:
    """True for an ``OSError`` that says the disk (or the user's quota) is full."""
    return isinstance(error, OSError) and error.errno in _FULL


@contextlib.contextmanager
def disk_full_as_error() -> Iterator[None]:
    """Re-raise a full-disk ``OSError`` as ``DiskFull``; other errors pass unchanged."""
    try:
        yield
    except OSError as error:
        if is_disk_full(error):
            raise DiskFull from None
        raise


__all__ = ["disk_full_as_error", "is_disk_full"]
