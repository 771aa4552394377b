"""A strict, bounded list-of-byte-strings framing for bundle payloads and stored sync state.

    frame(items) = count (u32, big-endian) || for each item: length (u32, big-endian) || item

Not for signed, derived or associated bytes (those are ``vault.encoding.enc``, which holds at
most 255 parts); this carries long lists (thousands of ops) whose integrity comes from the AEAD
around them. ``unframe`` checks every count and length against explicit limits and against the
bytes present before it slices anything, and reports where the frame ended, so a caller can
insist that what follows is padding and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

_U32 = 4


def frame(items: Sequence[bytes]) -> bytes:
    """Frame ``items`` (each under 4 GiB, fewer than 2**32 of them)."""
    out = [len(items).to_bytes(_U32, "big")]
    for item in items:
        out.append(len(item).to_bytes(_U32, "big"))
        out.append(item)
    return b"".join(out)


def unframe(data: bytes, *, max_items: int, max_item: int) -> tuple[list[bytes], int]:
    """Parse a frame at the start of ``data``: ``(items, end offset)``; ``ValueError`` if bad."""
    if len(data) < _U32:
        raise ValueError("truncated count")
    count = int.from_bytes(data[:_U32], "big")
    if count > max_items:
        raise ValueError("too many items")
    items: list[bytes] = []
    offset = _U32
    for _ in range(count):
        if offset + _U32 > len(data):
            raise ValueError("truncated length")
        size = int.from_bytes(data[offset : offset + _U32], "big")
        offset += _U32
        if size > max_item or size > len(data) - offset:
            raise ValueError("item too long")
        items.append(data[offset : offset + size])
        offset += size
    return items, offset
