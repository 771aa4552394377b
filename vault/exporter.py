"""Plaintext exports: vCard 4.0, CSV or JSON of all contacts or of some tags.

This module holds THE ONLY code path that writes contact data to disk unencrypted
(``write_plaintext``). Everything else Kith stores is sealed. Keep it that way: any new way of
writing contacts out must come through here, and through the same consent.

Rules and reasons:
- Consent first: ``write_plaintext`` refuses unless the caller passes ``plaintext_ok=True``;
  the CLI sets it only with ``--yes-plaintext`` or a confirmation typed on a terminal.
- The file is created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` and mode 0600, so it is never
  readable by other users, not even for an instant, and a symlink planted at the target cannot
  redirect the write. An existing file is never overwritten (``ExportExists``): overwriting
  would let a typo destroy a file, and truncating in place would leave its old blocks around.
  A temp file renamed into place was rejected because ``rename`` silently replaces an existing
  target, and ``link`` (which does not) fails on the FAT and exFAT USB sticks exports often go to.
- A failure while writing removes the partial file, so no half-written plaintext is left.
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

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from vault.errors import ExportExists, InvalidInput, KithError
from vault.interchange import write_csv, write_json, write_vcard
from vault.model import Contact, ContactDraft
from vault.search import fold

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
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise ExportExists from None
    except OSError as error:
        raise KithError(f"(cannot create the export file: {error.strerror or 'error'})") from None
    written = 0
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
                written += len(chunk.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return written


def export_contacts(
    vault: Vault, path: Path, fmt: str, tags: Iterable[str] = (), *, plaintext_ok: bool
) -> int:
    """Export the selected contacts to the new file ``path``; returns how many."""
    if not plaintext_ok:
        raise InvalidInput("(a plaintext export needs explicit consent)")
    contacts = select(vault, tags)
    write_plaintext(path, render(fmt, contacts), plaintext_ok=plaintext_ok)
    return len(contacts)


__all__ = ["FORMATS", "export_contacts", "render", "select", "write_plaintext"]
