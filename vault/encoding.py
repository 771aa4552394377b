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
    out = [struct.pack(">B", len(parts))]
    for part in parts:
        raw = part if type(part) is bytes else _as_bytes(part)
        out.append(len(raw).to_bytes(4, "big"))
        out.append(raw)
    return b"".join(out)


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


def decode(data: bytes, *, max_parts: int = MAX_PARTS) -> list[bytes]:
    """Strict inverse of ``enc`` for byte parts: any malformation raises ``ValueError``.

    Bounded by construction: the part count is one byte and every length is checked against the
    bytes actually present before anything is sliced; trailing bytes are refused.
    """
    if not data:
        raise ValueError("empty encoding")
    count = data[0]
    if count > max_parts:
        raise ValueError("too many parts")
    parts: list[bytes] = []
    offset = 1
    for _ in range(count):
        if offset + 4 > len(data):
            raise ValueError("truncated length")
        size = int.from_bytes(data[offset : offset + 4], "big")
        offset += 4
        if size > len(data) - offset:
            raise ValueError("truncated part")
        parts.append(data[offset : offset + size])
        offset += size
    if offset != len(data):
        raise ValueError("trailing bytes")
    return parts
