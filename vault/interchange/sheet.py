"""What an import dialog shows before importing: the file's shape, a first guess at a column map.

    inspect(data) -> Sheet(fmt, header, samples, preset)
    guess_target(column) -> "email" | "phone:mobile" | ... | "skip"
    custom_field(column) -> "field:KEY"

Rules, with their reasons:
- The same checks as an import, in the same words (``detect.check_bytes``, ``decode_strict``,
  the CSV header rules of ``csv_io``): a file the dialog accepts is a file the import reads, and
  a refusal is the one line ``kith import`` would print.
- Only the header and the first ``SAMPLE_ROWS`` rows of a CSV are parsed here; the preview of
  rows as they will be imported is ``import_rows.first_rows`` (normalized, after the map).
- A sheet with more than ``MAX_MAP_COLUMNS`` columns is still read (presets handle Outlook's
  ninety), but is refused for a column map: no one maps thousands of columns by hand, and a
  screen of thousands of fields would be a way to hang the terminal. ``kith import --map``
  has no such limit.
- ``guess_target`` is only a starting point shown to the user, who sees every row of the map
  and a preview before anything is imported; an unknown header is ignored, never guessed into a
  custom field, so no column lands anywhere unasked.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from vault.errors import InvalidInput
from vault.interchange.detect import check_bytes, decode_strict, detect_format
from vault.interchange.presets import detect_preset

SAMPLE_ROWS = 3
MAX_MAP_COLUMNS = 200
_WORDS = re.compile(r"[^\w]+")
_GUESSES: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"name", "full name", "fullname", "display name", "contact", "contact name"}),
     "name"),
    (frozenset({"first name", "firstname", "given name", "first", "forename", "prenom",
                "prénom"}), "given_name"),
    (frozenset({"middle name", "middle"}), "middle_name"),
    (frozenset({"last name", "lastname", "surname", "family name", "last", "nom"}),
     "family_name"),
    (frozenset({"organization", "organisation", "org", "company", "employer", "group name"}),
     "org"),
    (frozenset({"role", "title", "job title", "position"}), "role"),
    (frozenset({"street", "address", "street address", "address line 1"}), "street"),
    (frozenset({"city", "town", "locality"}), "locality"),
    (frozenset({"state", "region", "province", "county"}), "region"),
    (frozenset({"postcode", "post code", "zip", "zip code", "postal code"}), "postal_code"),
    (frozenset({"country"}), "country"),
    (frozenset({"notes", "note", "comments", "comment"}), "notes"),
    (frozenset({"tags", "tag", "labels", "groups", "skills"}), "tags"),
    (frozenset({"languages", "language", "langs"}), "languages"),
)  # fmt: skip


@dataclass(frozen=True)
class Sheet:
    """A file about to be imported: its format and, for a CSV, its columns.

    ``header`` and ``samples`` (the first non-empty cell of each column in the first rows) are
    empty for vCard and JSON; ``preset`` is the detected CSV preset, or None.
    """

    fmt: str
    header: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()
    preset: str | None = None
    rows: int = 0
    """Rows seen below the header, up to ``SAMPLE_ROWS`` (0: the sheet is empty)."""


def _first_line(text: str) -> str:
    return text[: text.find("\n")] if "\n" in text else text


def _csv_head(text: str) -> tuple[list[str], list[list[str]]]:
    """The header row and up to ``SAMPLE_ROWS`` non-blank rows, read as ``csv_io`` reads them."""
    delimiter = max((",", ";", "\t"), key=_first_line(text).count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    try:
        for row in reader:
            if not "".join(row).strip():
                continue
            if header is None:
                header = row
            else:
                rows.append(row)
                if len(rows) >= SAMPLE_ROWS:
                    break
    except csv.Error:
        raise InvalidInput(
            f"(malformed CSV in the row at line {reader.line_num}: check its quotes, or a cell "
            "larger than 64 KiB)"
        ) from None
    if header is None:
        raise InvalidInput("(the CSV file has no header row)")
    return header, rows


def inspect(data: bytes) -> Sheet:
    """The format and columns of ``data``; raises ``InvalidInput`` as an import would."""
    check_bytes(data)
    fmt = detect_format(data)
    if fmt != "csv":
        return Sheet(fmt)
    header, rows = _csv_head(decode_strict(data))
    samples = []
    for index in range(len(header)):
        cells = (row[index].strip() for row in rows if index < len(row))
        samples.append(next((cell for cell in cells if cell), ""))
    found = detect_preset(header)
    return Sheet("csv", tuple(header), tuple(samples), found.name if found else None, len(rows))


def check_mappable(sheet: Sheet) -> None:
    """Refuse a column map for a sheet too wide to map by hand (see the module docstring)."""
    if len(sheet.header) > MAX_MAP_COLUMNS:
        raise InvalidInput(
            f"(the sheet has {len(sheet.header):,} columns; a column map here takes up to "
            f"{MAX_MAP_COLUMNS}: remove the unused columns, or use `kith import --map`)"
        )


def guess_target(column: str) -> str:
    """A first guess for where ``column`` goes (a column-map target), ``skip`` if unsure."""
    words = " ".join(_WORDS.sub(" ", column.casefold()).split())
    for names, target in _GUESSES:
        if words in names:
            return target
    split = set(words.split())
    if split & {"email", "emails", "mail"}:  # "E-mail", "Work email"; not "mailing address"
        return "email"
    if split & {"mobile", "cell", "portable"}:
        return "phone:mobile"
    if split & {"phone", "telephone", "tel", "sms", "whatsapp"}:
        return "phone"
    return "skip"


def custom_field(column: str, index: int) -> str:
    """The column-map target that keeps ``column`` as a custom field named after it."""
    key = " ".join(column.replace("=", " ").split())[:60] or f"column {index + 1}"
    return f"field:{key}"


__all__ = [
    "MAX_MAP_COLUMNS",
    "SAMPLE_ROWS",
    "Sheet",
    "check_mappable",
    "custom_field",
    "guess_target",
    "inspect",
]
