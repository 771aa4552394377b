"""The one unambiguous byte encoding for everything that is signed, derived or authenticated.

Rule: every KDF info string, associated data and signed byte string is ``enc(part, ...)``:
a 1-byte part count, then for each part a 4-byte big-endian length and the bytes. Text parts
are UTF-8; integers are 8-byte big-endian unsigned. Reason: concatenation or JSON would let two
different tuples produce the same bytes (``("ab", "c")`` vs ``("a", "bc")``), and then a
ciphertext or signature made for one could be accepted for the other.
"""

from __future__ import annotations

import struct

Part = bytes | str | int

MAX_PARTS = 255


def enc(*parts: Part) -> bytes:
    """Encode ``parts`` as a length-prefixed tuple."""
    if len(parts) > MAX_PARTS:
        raise ValueError("too many parts")
    out = bytearray(struct.pack(">B", len(parts)))
    for part in parts:
        raw = _as_bytes(part)
        out += struct.pack(">I", len(raw))
        out += raw
    return bytes(out)


def _as_bytes(part: Part) -> bytes:
    if isinstance(part, bool):
        raise TypeError("booleans are not encodable; use an int")
    if isinstance(part, int):
        if part < 0:
            raise ValueError("negative integers are not encodable")
        return struct.pack(">Q", part)
    if isinstance(part, str):
        return part.encode("utf-8")
    if isinstance(part, bytes):
        return part
    raise TypeError(f"cannot encode {type(part).__name__}")
