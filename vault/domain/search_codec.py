"""The plaintext of one search chunk: the search entries of one key bucket's contacts.

Layout: ``enc(ids, updated, tag counts, lengths, text)`` (``vault/encoding.py``, exactly 5
parts), the entries in id order, column by column (integers big-endian)::

    ids         count x 16 bytes: record ids, strictly increasing, all in the chunk's bucket
    updated     count x u64: last update (epoch seconds)
    tag counts  count x u16: how many tags each entry has
    lengths     S x u32, S = 6 x count + all tags: the length, in code points, of each string
                in order: per entry its name, org, locality, haystack, phone digits, sort key,
                then its tags
    text        every string above, concatenated, UTF-8

Columns, not one ``enc`` per entry: opening 100,000 entries must take a fraction of a second in
Python, so the numbers are read with one ``struct`` call per column and the text is decoded
once and sliced.

Rules and reasons (the parser is strict and bounded, although the chunk was authenticated
before it is parsed: an authenticated chunk written by a buggy or older Kith must still never
crash or mislead the search):
- The outer frame is ``decode`` (bounded by construction, trailing bytes refused); every column
  length must be exactly what ``count`` and the tag counts say before anything is unpacked.
- Ids are 16 bytes, in the chunk's bucket, strictly increasing (no duplicates); the text is
  strict UTF-8 and its length in code points is exactly the sum of the lengths.
- Any malformation is ``ValueError``; the caller then rebuilds the chunk from the records.
"""

from __future__ import annotations

import struct
from itertools import accumulate

from vault.core.keytree import bucket_bounds
from vault.domain.search import Entry
from vault.encoding import decode, enc

MAX_CHUNK_BYTES = 1 << 28
"""A chunk larger than this is refused (a bucket holds ~98 contacts at 100,000)."""
MAX_TAGS = 0xFFFF
_STRINGS = 6  # name, org, locality, haystack, phone digits, sort key


def encode_chunk(entries: list[Entry]) -> bytes:
    """The chunk plaintext of ``entries`` (one bucket's); ``ValueError`` if not encodable."""
    rows = sorted(entries, key=lambda e: e.id)
    strings: list[str] = []
    for e in rows:
        if len(e.tags) > MAX_TAGS:
            raise ValueError("too many tags")
        strings += (e.name, e.org, e.locality, e.haystack, e.phone_digits, e.sort_key, *e.tags)
    n = len(rows)
    return enc(
        bytes.fromhex("".join(e.id for e in rows)),
        struct.pack(f">{n}Q", *(e.updated for e in rows)),
        struct.pack(f">{n}H", *(len(e.tags) for e in rows)),
        struct.pack(f">{len(strings)}I", *(len(s) for s in strings)),
        "".join(strings).encode("utf-8"),
    )


def decode_chunk(data: bytes, bucket: int) -> list[Entry]:
    """Strict inverse of ``encode_chunk`` for a chunk of ``bucket``; ``ValueError`` otherwise."""
    if len(data) > MAX_CHUNK_BYTES:
        raise ValueError("chunk size")
    parts = decode(data, max_parts=5)
    if len(parts) != 5:
        raise ValueError("chunk parts")
    ids, updated_col, tags_col, lengths_col, raw_text = parts
    n, rest = divmod(len(ids), 16)
    if rest or len(updated_col) != 8 * n or len(tags_col) != 2 * n:
        raise ValueError("column sizes")
    tag_counts = struct.unpack(f">{n}H", tags_col)
    total = _STRINGS * n + sum(tag_counts)
    if len(lengths_col) != 4 * total:
        raise ValueError("lengths column")
    _check_ids(ids, n, bucket)
    updated = struct.unpack(f">{n}Q", updated_col)
    lengths = struct.unpack(f">{total}I", lengths_col)
    text = raw_text.decode("utf-8")
    ends = list(accumulate(lengths))
    if (ends[-1] if ends else 0) != len(text):
        raise ValueError("text length")
    pieces = [text[a:b] for a, b in zip([0, *ends], ends, strict=False)]
    hexed = ids.hex()
    out: list[Entry] = []
    at = 0
    for i, count in enumerate(tag_counts):
        name, org, locality, haystack, digits, sort_key = pieces[at : at + _STRINGS]
        at += _STRINGS
        tags = tuple(pieces[at : at + count])
        hex_id = hexed[32 * i : 32 * i + 32]
        out.append(Entry(hex_id, name, org, locality, tags, updated[i], haystack, digits, sort_key))
        at += count
    return out


def _check_ids(ids: bytes, n: int, bucket: int) -> None:
    lo, hi = bucket_bounds(bucket)
    if n and (ids[:2] < lo or (hi is not None and ids[-16:-14] >= hi)):
        raise ValueError("id outside the bucket")
    previous = b""
    for i in range(0, 16 * n, 16):
        current = ids[i : i + 16]
        if current <= previous:
            raise ValueError("ids out of order")
        previous = current
