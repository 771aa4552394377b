"""The plaintext of one search chunk: the search entries of one key bucket's contacts.

Layout (every integer big-endian)::

    chunk  = u32 count, then count entries, nothing after
    entry  = u32 length, enc(id (16 bytes), name, org, locality, updated (u64), haystack,
                             phone digits, sort key, enc(tag, ...))

``enc`` is ``vault/encoding.py``; text parts are UTF-8. A contact has at most
``validate.MAX_ITEMS`` (100) tags by the vault's rule, below ``enc``'s 255 parts.

Rules and reasons (the parser is strict and bounded, although the chunk was authenticated
before it is parsed: an authenticated chunk written by a buggy or older Kith must still never
crash or mislead the search):
- Every length is checked against the bytes present before anything is sliced; the count may
  not exceed what the bytes could hold; trailing bytes are refused.
- Every entry has exactly its 9 parts; ids are 16 bytes, in the chunk's bucket, strictly
  increasing (no duplicates); text is strict UTF-8; ``updated`` is 8 bytes.
- Any malformation is ``ValueError``; the caller then rebuilds the chunk from the records.
"""

from __future__ import annotations

from vault.core.keytree import bucket_of
from vault.domain.search import Entry
from vault.encoding import decode, enc

MAX_CHUNK_BYTES = 1 << 28
"""A chunk larger than this is refused (a bucket holds ~98 contacts at 100,000)."""
_PARTS = 9
_MIN_ENTRY = 4 + 1 + _PARTS * 4  # length, part count, part lengths


def encode_chunk(entries: list[Entry]) -> bytes:
    """The chunk plaintext of ``entries`` (one bucket's), in id order."""
    out = [len(entries).to_bytes(4, "big")]
    for e in sorted(entries, key=lambda e: e.id):
        raw = enc(
            bytes.fromhex(e.id),
            e.name,
            e.org,
            e.locality,
            e.updated,
            e.haystack,
            e.phone_digits,
            e.sort_key,
            enc(*e.tags),
        )
        out.append(len(raw).to_bytes(4, "big"))
        out.append(raw)
    return b"".join(out)


def decode_chunk(data: bytes, bucket: int) -> list[Entry]:
    """Strict inverse of ``encode_chunk`` for a chunk of ``bucket``; ``ValueError`` otherwise."""
    if len(data) > MAX_CHUNK_BYTES or len(data) < 4:
        raise ValueError("chunk size")
    count = int.from_bytes(data[:4], "big")
    if count * _MIN_ENTRY > len(data) - 4:
        raise ValueError("count larger than the chunk")
    entries: list[Entry] = []
    offset = 4
    previous = b""
    for _ in range(count):
        if offset + 4 > len(data):
            raise ValueError("truncated entry length")
        size = int.from_bytes(data[offset : offset + 4], "big")
        offset += 4
        if size > len(data) - offset:
            raise ValueError("truncated entry")
        entry = _entry(data[offset : offset + size], bucket)
        offset += size
        raw_id = bytes.fromhex(entry.id)
        if raw_id <= previous:
            raise ValueError("ids out of order")
        previous = raw_id
        entries.append(entry)
    if offset != len(data):
        raise ValueError("trailing bytes")
    return entries


def _entry(raw: bytes, bucket: int) -> Entry:
    parts = decode(raw)
    if len(parts) != _PARTS:
        raise ValueError("entry parts")
    raw_id, name, org, locality, updated, haystack, digits, sort_key, tags = parts
    if len(raw_id) != 16 or bucket_of(raw_id) != bucket:
        raise ValueError("entry id")
    if len(updated) != 8:
        raise ValueError("entry time")
    text = [p.decode("utf-8") for p in (name, org, locality, haystack, digits, sort_key)]
    return Entry(
        id=raw_id.hex(),
        name=text[0],
        org=text[1],
        locality=text[2],
        tags=tuple(t.decode("utf-8") for t in decode(tags)),
        updated=int.from_bytes(updated, "big"),
        haystack=text[3],
        phone_digits=text[4],
        sort_key=text[5],
    )
