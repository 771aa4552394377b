"""Import and export: vCard and CSV from the tools organizers already use, and JSON.

This package only turns bytes into ``ContactDraft`` values and back; it never opens a vault,
validates an email or normalizes a phone (``vault/domain/validate.py`` does, for every way a contact
enters). Readers are lazy: ``read_contacts`` decodes the whole file once, then yields one
``ImportRecord`` at a time, so 100,000 contacts never exist as drafts all at once. A malformed
file raises ``InvalidInput`` naming the line (and column or property), never a value, possibly
after earlier records were yielded: the caller decides whether an import is all-or-nothing.

    read_contacts(data, fmt=None, preset=None, column_map=None) -> Iterator[ImportRecord]
    write_vcard(contacts) / write_csv(contacts) / write_json(contacts) -> Iterator[str]

Formats: vCard 2.1, 3.0, 4.0 in, 4.0 out (``vcard.py``); CSV with the ``google``, ``outlook``,
``civicrm`` and ``generic`` (Kith's own) presets or a column map in, generic out (``csv_io.py``,
``presets.py``); JSON in the ``Contact.to_json()`` shape in and out (``json_io.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from vault.errors import InvalidInput
from vault.interchange.csv_io import read_csv, write_csv
from vault.interchange.detect import (
    FORMATS,
    check_bytes,
    decode_lenient,
    decode_strict,
    detect_format,
)
from vault.interchange.import_record import ImportRecord
from vault.interchange.json_io import read_json, write_json
from vault.interchange.presets import PRESETS
from vault.interchange.vcard import read_vcards, write_vcard


def read_contacts(
    data: bytes,
    *,
    fmt: str | None = None,
    preset: str | None = None,
    column_map: Mapping[str, str] | None = None,
) -> Iterator[ImportRecord]:
    """The records in ``data``, lazily.

    ``fmt`` is ``vcard``, ``csv`` or ``json``; None detects it from the content. ``preset`` and
    ``column_map`` apply to CSV only (``presets.py``). Refusals that need no parsing (empty,
    binary, wrong encoding, unknown format, CSV header) are raised by this call; problems further
    into the file are raised while iterating.
    """
    if fmt is not None and fmt not in FORMATS:
        raise InvalidInput("(unknown format; use vcard, csv or json)")
    check_bytes(data)
    kind = fmt or detect_format(data)
    if kind != "csv" and (preset is not None or column_map):
        raise InvalidInput(f"(a CSV preset or column map was given for a {kind} file)")
    if kind == "vcard":
        text, lenient = decode_lenient(data)
        return read_vcards(text, lenient=lenient)
    text = decode_strict(data)
    if kind == "json":
        return read_json(text)
    return read_csv(text, preset=preset, column_map=column_map)


__all__ = [
    "FORMATS",
    "PRESETS",
    "ImportRecord",
    "read_contacts",
    "write_csv",
    "write_json",
    "write_vcard",
]
