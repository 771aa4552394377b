"""Plaintext exports: vCard 4.0, CSV or JSON of all contacts or of some tags.

This module holds THE ONLY code path that writes contact data to disk unencrypted
(``write_plaintext``). Everything else Kith stores is sealed. Keep it that way: any new way of
writing contacts out must come through here, and through the same consent.

Rules and reasons:
- Consent first: ``write_plaintext`` refuses unless the caller passes ``plaintext_ok=True``;
  the CLI sets it only with ``--yes-plaintext`` or a confirmation typed on a terminal.
- The target name is reserved first, empty, with ``O_CREAT | O_EXCL | O_NOFOLLOW`` and mode
  0600: an existing file is never overwritten (``ExportExists``; overwriting would let a typo
  destroy a file) and a symlink planted at the target cannot redirect the write. The contacts
  are then written to a new 0600 temporary file in the same folder (``.kith-export-*.part``,
  a short name of its own, so an over-long target name fails cleanly before any data is
  written), flushed to disk, and renamed over the reserved empty file at the end. So the
  final name never holds a half-written export, and ``rename`` can only replace the empty
  file Kith itself created (``link``, which never replaces, fails on the FAT and exFAT USB
  sticks exports often go to).
- Any failure or interruption while writing (Ctrl-C, SIGTERM and SIGHUP take the same path in
  the CLI, issue 14; a full disk is ``DiskFull``) overwrites the partial plaintext with zeros,
  flushes, and unlinks it, then removes the reserved name: nothing is left. A kill -9 cannot
  run any code; it can leave a ``.kith-export-*.part`` file, which is named as such.
- Order: by display name (accent- and case-insensitive), then id, so two exports of the same
  vault are identical files (diffable, and no hint of insertion order).
- ``--tag T`` keeps contacts having any of the tags (compared case- and accent-insensitively).
- The formats (``vault/interchange``): vCard 4.0 (RFC 6350), Kith's CSV (the ``generic`` preset),
  and JSON in the shape of ``kith list --json`` without vault-specific keys. Each one imports
  back into a new vault as the same contacts. Consent preferences, history and relationships
  are not exported: they are not contact-card data, and backups (``kith backup``) carry them
  encrypted.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from vault.core.diskfull import disk_full_as_error, is_disk_full
from vault.core.files import create_private, fsync_directory, touch_private
from vault.domain.model import Contact, ContactDraft
from vault.domain.search import fold
from vault.errors import ExportExists, InvalidInput, KithError
from vault.interchange import write_csv, write_json, write_vcard

if TYPE_CHECKING:
    from vault.api import Vault

FORMATS = ("vcard", "csv", "json")
_WRITERS = {"vcard": write_vcard, "csv": write_csv, "json": write_json}


def select(vault: Vault, tags: Iterable[str] = ()) -> list[Contact]:
    """The contacts to export: all, or those with any of ``tags``; sorted by name, then id."""
    wanted = {fold(t.strip()) for t in tags if t.strip()}
    chosen = [c for c in vault.contacts.all() if not wanted or wanted & {fold(t) for t in c.tags}]
    chosen.sort(key=lambda c: (fold(c.display_name()), c.id))
    return chosen


def render(fmt: str, contacts: Iterable[ContactDraft]) -> Iterator[str]:
    """The export text of ``contacts`` in ``fmt``, produced lazily."""
    if fmt not in _WRITERS:
        raise InvalidInput("(the export format is vcard, csv or json)")
    drafts = (c.draft() if isinstance(c, Contact) else c for c in contacts)
    return _WRITERS[fmt](drafts)


def write_plaintext(path: Path, chunks: Iterable[str], *, plaintext_ok: bool) -> int:
    """Write ``chunks`` (UTF-8) to the new file ``path``, mode 0600; returns bytes written.

    The one place contact data reaches disk unencrypted; see the module docstring.
    """
    if not plaintext_ok:
        raise InvalidInput("(a plaintext export needs explicit consent)")
    with disk_full_as_error():
        _reserve(path)
        try:
            return _write_then_rename(path, chunks)
        except BaseException:
            path.unlink(missing_ok=True)
            raise


def _reserve(path: Path) -> None:
    """Create ``path`` empty, 0600, refusing an existing name or a symlink."""
    try:
        touch_private(path)
    except FileExistsError:
        raise ExportExists from None
    except OSError as error:
        if is_disk_full(error):
            raise
        raise KithError(f"(cannot create the export file: {error.strerror or 'error'})") from None


def _write_then_rename(path: Path, chunks: Iterable[str]) -> int:
    temp = path.parent / f".kith-export-{secrets.token_hex(8)}.part"
    fd = create_private(temp)
    written = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
                written += len(chunk.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(temp, path)
    except BaseException:
        destroy_partial(temp)
        raise
    with contextlib.suppress(OSError):
        fsync_directory(path.parent)
    return written


def destroy_partial(path: Path) -> None:
    """Overwrite the file ``path`` with zeros, flush, and unlink it (best effort, never raises).

    Reason: unlinking alone leaves the plaintext in free blocks; zeroing it first removes it
    from the file system's view on disks that write in place (not a guarantee on flash or
    copy-on-write file systems: docs/threat-model.md).
    """
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            size = os.fstat(fd).st_size
            zeros = b"\0" * min(size, 1 << 20)
            done = 0
            while done < size:
                done += os.write(fd, zeros[: size - done])
            os.fsync(fd)
        except OSError:
            pass  # a full disk cannot refuse an overwrite in place, but a failing one can
        finally:
            os.close(fd)
    with contextlib.suppress(OSError):
        path.unlink()


def export_contacts(
    vault: Vault, path: Path, fmt: str, tags: Iterable[str] = (), *, plaintext_ok: bool
) -> int:
    """Export the selected contacts to the new file ``path``; returns how many."""
    if not plaintext_ok:
        raise InvalidInput("(a plaintext export needs explicit consent)")
    contacts = select(vault, tags)
    write_plaintext(path, render(fmt, contacts), plaintext_ok=plaintext_ok)
    return len(contacts)


__all__ = ["FORMATS", "destroy_partial", "export_contacts", "render", "select", "write_plaintext"]
