"""Is this a contact file at all, which format is it, and what text does it hold?

Rules, with their reasons:
- An empty file (nothing but whitespace) is refused: importing nothing is always a mistake, most
  often the wrong file or a failed download.
- UTF-16 and UTF-32 (byte-order mark) are refused with a hint to re-save as UTF-8: Excel's
  "Unicode text" export is UTF-16, and decoding it as anything else yields garbage.
- A NUL byte, or any control byte other than tab, LF, CR, VT and FF, means binary data (a photo,
  a spreadsheet, an encrypted backup): refused, naming the line. A ZIP signature (``.xlsx``,
  ``.numbers``) gets its own hint.
- The format comes from the content, never the file name: ``BEGIN:VCARD`` first is vCard, ``[``
  first is JSON, anything else is CSV (whose header row is checked later).
- CSV and JSON must be UTF-8 (a leading BOM is allowed and dropped). A bad byte is reported with
  its line and byte offset and the fix ("re-save the file as UTF-8"); Kith never guesses a legacy
  code page, because a wrong guess silently corrupts every accented name.
- vCard is decoded as UTF-8 too, but undecodable bytes are kept (``surrogateescape``) so a vCard
  2.1 property with an explicit ``CHARSET=`` can be decoded in that charset; a value with such
  bytes and no charset is refused by the vCard reader.
"""

from __future__ import annotations

import re

from vault.errors import InvalidInput

FORMATS = ("vcard", "csv", "json")

_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1f]")
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_ZIP = b"PK\x03\x04"
_UTF8_BOM = b"\xef\xbb\xbf"


def line_of(data: bytes, offset: int) -> int:
    """The 1-based line holding byte ``offset``."""
    return data.count(b"\n", 0, offset) + 1


def check_bytes(data: bytes) -> None:
    """Refuse what is not a text contact file: empty, UTF-16/32, ZIP, binary or control bytes."""
    if not data.strip():
        raise InvalidInput("(the file is empty)")
    if data.startswith(_UTF16_32_BOMS):
        raise InvalidInput("(the file is UTF-16 or UTF-32; re-save it as UTF-8)")
    if data.startswith(_ZIP):
        raise InvalidInput(
            "(the file is a ZIP archive, such as an .xlsx spreadsheet; export it as CSV UTF-8)"
        )
    found = _BINARY.search(data)
    if found:
        what = "a NUL byte" if found.group() == b"\x00" else "a control character"
        raise InvalidInput(
            f"(binary data: {what} at line {line_of(data, found.start())}, "
            f"byte offset {found.start()}; this is not a vCard, CSV or JSON file)"
        )


def detect_format(data: bytes) -> str:
    """``vcard``, ``json`` or ``csv``, judged from the first non-blank characters."""
    head = data[:4096].removeprefix(_UTF8_BOM).lstrip()
    if head[:11].upper() == b"BEGIN:VCARD":
        return "vcard"
    if head[:1] == b"[":
        return "json"
    return "csv"


def decode_strict(data: bytes) -> str:
    """UTF-8 text without its BOM; refuses any other encoding, naming line and byte offset."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InvalidInput(
            f"(not UTF-8 at line {line_of(data, err.start)}, byte offset {err.start}; "
            "re-save the file as UTF-8)"
        ) from None
    return text.removeprefix("\ufeff")


def decode_lenient(data: bytes) -> tuple[str, bool]:
    """UTF-8 text without its BOM, and whether undecodable bytes were kept as surrogates."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape").removeprefix("\ufeff"), True


__all__ = ["FORMATS", "check_bytes", "decode_lenient", "decode_strict", "detect_format", "line_of"]
