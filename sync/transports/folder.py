"""The folder transport: sealed files in a directory that several devices share.

    name = write(folder, data)         # atomic: a temp name, fsync, then rename
    for name in complete(folder): data = read(folder, name)

Rules and reasons:
- Files appear complete or not at all: each is written under a dot-prefixed temporary name,
  flushed to disk, then renamed to its final name, and readers skip dot files. A tool such as
  Syncthing that copies a file while it grows uses its own temporary names, and a reader that
  sees a truncated file anyway gets ``BadBundle`` and tries again on the next pull. A write
  that fails (a full shared folder: the CLI reports ``DiskFull``) removes its temporary file.
- Names are 32 random hex digits plus ``.kith``: they reveal nothing (no segment, sender,
  order or time), and two writers never collide.
- A file is read whole only after its first bytes show a Kith magic and its size is within
  the bundle limit (``peek``): junk, a file from another tool or a huge file costs one small
  read, never its size in memory (issue 11, item 8).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sync.bundle import MAGIC, MAX_BUNDLE_BYTES

SUFFIX = ".kith"


def write(folder: Path, data: bytes) -> str:
    """Write ``data`` to a new file in ``folder`` atomically; returns its name."""
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16) + SUFFIX
    temp = folder / f".{name}.part"
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, folder / name)
    except BaseException:
        temp.unlink(missing_ok=True)  # a full disk or an interrupt leaves no .part behind
        raise
    return name


def complete(folder: Path) -> list[str]:
    """Names of the complete files in ``folder`` (sorted; temporary files skipped)."""
    if not folder.is_dir():
        return []
    return sorted(
        p.name for p in folder.iterdir()
        if p.is_file() and p.name.endswith(SUFFIX) and not p.name.startswith(".")
    )


GONE = "gone"
NOT_KITH = "not a Kith sync file"
TOO_LARGE = "over the 64 MiB limit"


def peek(folder: Path, name: str) -> str | None:
    """Why a file must not be read (``GONE``, ``NOT_KITH``, ``TOO_LARGE``), or None if it may.

    Reads at most 8 bytes.
    """
    path = folder / name
    try:
        if path.stat().st_size > MAX_BUNDLE_BYTES:
            return TOO_LARGE
        with open(path, "rb") as handle:
            head = handle.read(len(MAGIC))
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return GONE
    return None if head == MAGIC else NOT_KITH  # a welcome looks like a bundle


def read(folder: Path, name: str) -> bytes | None:
    """The bytes of one file that ``peek`` allowed, or None if it vanished or grew too large."""
    path = folder / name
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BUNDLE_BYTES + 1)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return None
    return data if len(data) <= MAX_BUNDLE_BYTES else None
