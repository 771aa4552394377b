"""The plaintext of one search chunk: the search entries of one key bucket's contacts.

Layout: ``enc(ids, updated, text)`` (``vault/encoding.py``, exactly 3 parts), the ``n``
entries in id order, column by column::

    ids      n x 16 bytes: record ids, strictly increasing, all in the chunk's bucket
    updated  n x u64 big-endian: last update (epoch seconds)
    text     UTF-8 of 7 x n strings joined by U+001E: every name, then every org, locality,
             haystack, phone digits, sort key, then every entry's tags joined by U+001F

Columns, not one ``enc`` per entry: opening 100,000 entries must take a fraction of a second in
Python, so numbers are read with one ``struct`` call per column, the text is decoded and split
once (in C), and entries are made by ``map``.

Rules and reasons (the parser is strict and bounded, although the chunk was authenticated
before it is parsed: an authenticated chunk written by a buggy or older Kith must still never
crash or mislead the search):
- The outer frame is ``decode`` (bounded by construction, trailing bytes refused); the column
  sizes must be exactly what ``n`` says, and the text must split into exactly ``7 x n`` pieces.
- A value holding a separator (U+001E anywhere, U+001F or an empty tag) cannot be encoded:
  ``encode_chunk`` refuses it (``ValueError``), so the separators never need escaping and a
  decoded chunk is unambiguous. Such a bucket is simply not persisted: it is rebuilt from the
  records at every load, correct and a few milliseconds slower.
- Ids are 16 bytes, in the chunk's bucket, strictly increasing, and when the caller passes the
  ids the records table lists for the bucket, exactly those; text is strict UTF-8.
- Any malformation is ``ValueError``; the caller then rebuilds the chunk from the records.
"""

from __future__ import annotations

import struct
from functools import partial

from vault.core.keytree import bucket_bounds
from vault.domain.search import Entry
from vault.encoding import decode, enc

MAX_CHUNK_BYTES = 1 << 28
"""A chunk larger than this is refused (a bucket holds ~98 contacts at 100,000)."""
RS, US = "\x1e", "\x1f"
_COLUMNS = 7
_make_entry = partial(tuple.__new__, Entry)  # Entry._make without its Python frame


def encode_chunk(entries: list[Entry]) -> bytes:
    """The chunk plaintext of ``entries`` (one bucket's); ``ValueError`` if not encodable."""
    rows = sorted(entries, key=lambda e: e.id)
    tags = []
    for e in rows:
        if any(not t or US in t for t in e.tags):
            raise ValueError("a tag holds a separator")
        tags.append(US.join(e.tags))
    columns = [
        *(
            [getattr(e, name) for e in rows]
            for name in ("name", "org", "locality", "haystack", "phone_digits", "sort_key")
        ),
        tags,
    ]
    pieces = [value for column in columns for value in column]
    if any(RS in value for value in pieces):
        raise ValueError("a value holds a separator")
    return enc(
        bytes.fromhex("".join(e.id for e in rows)),
        struct.pack(f">{len(rows)}Q", *(e.updated for e in rows)),
        RS.join(pieces).encode("utf-8") if rows else b"",
    )


def decode_chunk(
    data: bytes,
    bucket: int,
    ids_expected: bytes | None = None,
    tag_cache: dict[str, tuple[str, ...]] | None = None,
) -> list[Entry]:
    """Strict inverse of ``encode_chunk`` for a chunk of ``bucket``; ``ValueError`` otherwise,
    also when ``ids_expected`` (the bucket's ids, concatenated in order) differs.

    ``tag_cache`` (one per load, dropped with it) shares the tag tuples between chunks: a vault
    has few distinct tag sets, so most chunks split none."""
    if len(data) > MAX_CHUNK_BYTES:
        raise ValueError("chunk size")
    parts = decode(data, max_parts=3)
    if len(parts) != 3:
        raise ValueError("chunk parts")
    ids, updated_col, raw_text = parts
    n, rest = divmod(len(ids), 16)
    if rest or len(updated_col) != 8 * n:
        raise ValueError("column sizes")
    if ids_expected is not None and ids != ids_expected:
        raise ValueError("ids differ from the records")
    if n == 0:
        if raw_text:
            raise ValueError("text without entries")
        return []
    if ids_expected is None:  # else equal to the records' ids: in order, unique, in the bucket
        _check_ids(ids, n, bucket)
    pieces = raw_text.decode("utf-8").split(RS)
    if len(pieces) != _COLUMNS * n:
        raise ValueError("text pieces")
    names, orgs, localities, haystacks, digits, sort_keys, tag_text = (
        pieces[k * n : (k + 1) * n] for k in range(_COLUMNS)
    )
    hexed = ids.hex()
    tag_tuples = {} if tag_cache is None else tag_cache
    for t in set(tag_text).difference(tag_tuples):  # the few tag sets not seen yet
        tag_tuples[t] = tuple(t.split(US)) if t else ()
    columns = zip(
        map(hexed.__getitem__, map(slice, range(0, 32 * n, 32), range(32, 32 * n + 32, 32))),
        names,
        orgs,
        localities,
        map(tag_tuples.__getitem__, tag_text),
        struct.unpack(f">{n}Q", updated_col),
        haystacks,
        digits,
        sort_keys,
        strict=True,
    )
    return list(map(_make_entry, columns))


def _check_ids(ids: bytes, n: int, bucket: int) -> None:
    lo, hi = bucket_bounds(bucket)
    if ids[:2] < lo or (hi is not None and ids[-16:-14] >= hi):
        raise ValueError("id outside the bucket")
    previous = b""
    for i in range(0, 16 * n, 16):
        current = ids[i : i + 16]
        if current <= previous:
            raise ValueError("ids out of order")
        previous = current
