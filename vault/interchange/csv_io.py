r"""CSV in (Google, Outlook, CiviCRM, Kith's own, or any header with a column map); Kith CSV out.

Reading rules, with their reasons:
- Text must be UTF-8 (``detect.decode_strict``); the delimiter is the most frequent of ``,``
  ``;`` and tab in the header line (European Excel writes ``;``).
- The first row is the header; its preset is detected from it (``presets.detect_preset``).
- Every row must have exactly as many cells as the header: a ragged row means a broken quote or
  a hand edit gone wrong, and guessing which cell is which would put data in the wrong field.
  Blank rows are skipped. Bad quoting is refused (``strict`` CSV), naming the row's line.
- No cell may exceed 64 KiB; Python's ``csv`` stops at 128 KiB by itself, and both are reported
  as the same clear error, so a 3 MB cell neither exhausts memory nor hangs.
- A record's line is the physical line where its row starts, so a quoted cell spanning lines
  does not shift the numbers after it.
- Phones and emails are kept exactly as written (trimmed); ``vault/domain/validate.py`` normalizes.

The generic (Kith) CSV, written by ``write_csv`` and read back losslessly by the ``generic``
preset: columns ``presets.GENERIC_COLUMNS``. Scalar columns hold the text as is. Multi-valued
columns hold one item per line of the cell (a spreadsheet shows one address per line):

- ``emails``, ``phones``: ``value;label``; ``addresses``:
  ``street;locality;region;postal_code;country;label`` (trailing empty parts may be left out);
- ``fields``: ``key=value`` (keys never contain ``=``); ``tags``, ``languages``: one per line.

Inside an item, ``\`` is written ``\\``, a newline ``\n``, a carriage return ``\r`` and ``;``
``\;``. An item that would be empty is written ``;`` so it is not mistaken for a blank line.
A cell that a spreadsheet would run as a formula (starting ``= + - @``, tab or CR) gets a leading
``'`` (OWASP CSV-injection advice: an exported contact must not execute in Excel); a cell that
already starts with ``'`` before one of those characters gets one more, and the reader removes
exactly one, so the round trip is exact.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol

from vault.domain.model import Address, ContactDraft, Email, Phone
from vault.errors import InvalidInput
from vault.interchange.import_record import (
    CONTROL_CHARS,
    MAX_VALUE_CHARS,
    FieldBag,
    ImportRecord,
    join_unique,
    normalize_label,
    split_escaped,
    without_controls,
)
from vault.interchange.presets import GENERIC_COLUMNS, Target, build_plan

_FORMULA = "=+-@\t\r"
_ITEM_ESCAPE = re.compile(r"\\(.)", re.S)
_ANY_SEPARATOR = re.compile(r":::|[,;\n]")
_SCALAR_JOIN = {"name": " ", "given_name": " ", "middle_name": " ", "family_name": " ",
                "org": "; ", "role": ", ", "notes": "\n\n"}  # fmt: skip


# --- cell encodings -------------------------------------------------------------------------


def _escape_item(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace(";", "\\;")


def _unescape_item(text: str) -> str:
    if "\\" not in text:
        return text
    return _ITEM_ESCAPE.sub(lambda m: {"n": "\n", "r": "\r"}.get(m[1], m[1]), text)


def _split_item(text: str) -> list[str]:
    """Split one item on ``;`` not escaped by a backslash, and unescape each part."""
    return [_unescape_item(p) for p in split_escaped(text, ";")]


def _encode_items(items: Iterable[tuple[str, ...]]) -> str:
    lines = []
    for parts in items:
        trimmed = list(parts)
        while len(trimmed) > 1 and not trimmed[-1]:
            trimmed.pop()
        lines.append(";".join(_escape_item(p) for p in trimmed) or ";")
    return "\n".join(lines)


def _decode_items(cell: str, size: int, column: str, line: int) -> list[list[str]]:
    out = []
    for raw in cell.split("\n"):
        text = raw.removesuffix("\r")
        if text:
            parts = _split_item(text)
            if len(parts) > size:
                raise InvalidInput(f"(too many ';' parts in column {column} at line {line})")
            out.append(parts + [""] * (size - len(parts)))
    return out


def _protect(cell: str) -> str:
    first, second = cell[:1], cell[1:2]
    if (first and first in _FORMULA) or (first == "'" and second and second in _FORMULA + "'"):
        return "'" + cell
    return cell


def _unprotect(cell: str) -> str:
    second = cell[1:2]
    return cell[1:] if cell[:1] == "'" and second and second in _FORMULA + "'" else cell


def _values(cell: str, split: str) -> list[str]:
    """The values one cell holds, for a target's ``split`` rule."""
    if split == "lines":
        return [_unescape_item(x.removesuffix("\r")) for x in cell.split("\n") if x.strip("\r")]
    if split == ":::":  # Google: "* myContacts ::: Friends"; "* " marks a system group
        found = (x.strip().removeprefix("* ").strip() for x in cell.split(":::"))
        return [x for x in found if x and x.casefold() != "mycontacts"]
    parts = _ANY_SEPARATOR.split(cell) if split == "any" else cell.split(split) if split else [cell]
    return [x.strip() for x in parts if x.strip()]


# --- rows to drafts ------------------------------------------------------------------------


class _Row:
    """Collects one row's cells into a draft."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.scalars: dict[str, list[str]] = {}
        self.lists: dict[str, list[str]] = {"tags": [], "languages": []}
        self.items: dict[tuple[str, str], tuple[Target, dict[str, list[str]]]] = {}
        self.emails: list[Email] = []
        self.phones: list[Phone] = []
        self.addresses: list[Address] = []
        self.fields = FieldBag()

    def add(self, target: Target, cell: str, index: int) -> None:
        kind = target.kind
        if kind in _SCALAR_JOIN:
            self.scalars.setdefault(kind, []).append(cell)
        elif kind in self.lists:
            self.lists[kind] += _values(cell, target.split)
        elif kind == "field" and not target.slot:
            self.fields.add(target.key, cell)
        elif kind in ("email", "phone", "address", "field"):
            slot = (kind, target.slot or f"#{index}")
            self.items.setdefault(slot, (target, {}))[1].setdefault(target.part, []).append(cell)
        else:
            self.generic(kind, cell)

    def generic(self, kind: str, cell: str) -> None:
        where = (kind, self.line)
        if kind == "emails":
            self.emails += [Email(v, lb) for v, lb in _decode_items(cell, 2, *where)]
        elif kind == "phones":
            self.phones += [Phone(v, lb) for v, lb in _decode_items(cell, 2, *where)]
        elif kind == "addresses":
            self.addresses += [Address(*parts) for parts in _decode_items(cell, 6, *where)]
        elif kind == "fields":
            for text in _values(cell, "lines"):
                key, eq, value = text.partition("=")
                if not eq:
                    raise InvalidInput(f"(a field without '=' in column fields, line {self.line})")
                self.fields.add(key, value)

    def build_items(self) -> None:
        for (kind, _), (target, parts) in self.items.items():
            given = parts.get("label", [""])[0]
            label = normalize_label(given.removeprefix("* ")) or target.label
            if kind == "address":
                self.build_address(parts, label)
            elif kind == "field":
                value = "\n".join(parts.get("value", []))
                base = target.key
                key = f"{base} ({label})" if base and label else label or base
                if value:
                    self.fields.add(key, value)
            else:
                cells = parts.get("value", [])
                values = [v for cell in cells for v in _values(cell, target.split)]
                if kind == "email":
                    self.emails += [Email(v, label) for v in values]
                else:
                    self.phones += [Phone(v, label) for v in values]

    def build_address(self, parts: dict[str, list[str]], label: str) -> None:
        def get(name: str) -> str:
            return "\n".join(parts.get(name, []))

        street = "\n".join(x for x in (get("street"), get("street2"), get("po_box")) if x)
        address = Address(street, get("locality"), get("region"), get("postal_code"),
                          get("country"), label)  # fmt: skip
        if address.is_empty() and get("formatted"):
            address = Address(street=get("formatted"), label=label)
        if not address.is_empty():
            self.addresses.append(address)

    def draft(self) -> ContactDraft:
        self.build_items()

        def scalar(kind: str) -> str:
            return join_unique(self.scalars.get(kind, []), _SCALAR_JOIN[kind])

        given = " ".join(x for x in (scalar("given_name"), scalar("middle_name")) if x)
        return ContactDraft(
            name=scalar("name"), given_name=given, family_name=scalar("family_name"),
            emails=tuple(self.emails), phones=tuple(self.phones),
            addresses=tuple(self.addresses), org=scalar("org"), role=scalar("role"),
            languages=tuple(self.lists["languages"]), notes=scalar("notes"),
            tags=tuple(self.lists["tags"]), fields=self.fields.items(),
        )  # fmt: skip


# --- reading --------------------------------------------------------------------------------


class _Reader(Protocol):
    """What Kith uses of a ``csv.reader``."""

    @property
    def line_num(self) -> int: ...

    def __next__(self) -> list[str]: ...


def _next_row(reader: _Reader, line: int) -> list[str] | None:
    try:
        return next(reader, None)
    except csv.Error as err:
        if "field larger than field limit" in str(err):
            detail = f"a cell in the row at line {line} is larger than 64 KiB"
        else:
            detail = f"malformed CSV in the row at line {line}: check its quotes"
        raise InvalidInput(f"({detail})") from None


def _delimiter(text: str) -> str:
    first = text[: text.find("\n")] if "\n" in text else text
    return max((",", ";", "\t"), key=first.count)


def _records(
    reader: _Reader, header: list[str], strip: bool, plan: list[tuple[int, Target]]
) -> Iterator[ImportRecord]:
    width, previous = len(header), reader.line_num
    while True:
        start = previous + 1
        row = _next_row(reader, start)
        if row is None:
            return
        previous = reader.line_num
        joined = "".join(row)
        if not (joined.strip() if strip else joined):
            continue
        if len(row) != width:
            raise InvalidInput(
                f"(the row at line {start} has {len(row)} cells; the header has {width})"
            )
        if max(map(len, row)) > MAX_VALUE_CHARS:
            column = header[max(range(width), key=lambda i: len(row[i]))][:60]
            raise InvalidInput(
                f"(the cell in column {column!r} at line {start} is larger than 64 KiB)"
            )
        record = _Row(start)
        for index, target in plan:
            cell = row[index]
            cell = cell.strip().replace("\r\n", "\n") if strip else _unprotect(cell)
            if cell and cell not in target.blank:
                record.add(target, cell, index)
        yield ImportRecord(start, record.draft(), False)


def read_csv(
    text: str, *, preset: str | None = None, column_map: Mapping[str, str] | None = None
) -> Iterator[ImportRecord]:
    """Records from CSV text. The header is checked now; rows are read lazily."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    header: list[str] | None = None
    while header is None or not "".join(header).strip():
        header = _next_row(reader, reader.line_num + 1)
        if header is None:
            raise InvalidInput("(the CSV file has no header row)")
    strip, plan = build_plan(header, preset, column_map)
    return _records(reader, header, strip, plan)


# --- writing --------------------------------------------------------------------------------


def _row(d: ContactDraft) -> list[str]:
    return [
        d.name, d.given_name, d.family_name,
        _encode_items((e.value, e.label) for e in d.emails),
        _encode_items((p.value, p.label) for p in d.phones),
        _encode_items((a.street, a.locality, a.region, a.postal_code, a.country, a.label)
                      for a in d.addresses),
        d.org, d.role,
        "\n".join(_escape_item(x) for x in d.languages),
        d.notes,
        "\n".join(_escape_item(x) for x in d.tags),
        "\n".join(f"{_escape_item(k)}={_escape_item(v)}" for k, v in d.fields),
    ]  # fmt: skip


def write_csv(contacts: Iterable[ContactDraft]) -> Iterator[str]:
    """Kith's generic CSV: the header line, then one row (CRLF-terminated) per contact, lazily."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(GENERIC_COLUMNS)
    yield buffer.getvalue()
    for draft in contacts:
        cells = _row(draft)
        if CONTROL_CHARS.search("".join(cells)):
            cells = _row(without_controls(draft))
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_protect(cell) for cell in cells])
        yield buffer.getvalue()


__all__ = ["read_csv", "write_csv"]
