"""A record's sealed fields packed into one value of its ``records`` row (issue 12, speed).

Each field is still sealed on its own under the record's CDK, with its own associated data
binding record, name and version, so one field can be removed, expire or be shredded while the
others live on; only the SQL row they sit in is shared. Two layouts, told apart by the first
byte (``docs/storage-format.md``, "Packed fields", byte by byte)::

    layout 1 (made by the repacking migration, no key needed: each sealed value kept as it was)
      0x01 | count (2) | count x (name_len (1) | name | version (4) | len (4) | sealed)
      sealed = aead.seal(CDK, value, field_ad(...)) = 0x01 | nonce (24) | ciphertext | tag
    layout 2 (every write)
      0x02 | seed (16) | count (2) | count x (name_len (1) | name | version (4) | len (4) | body)
      body  = XChaCha20-Poly1305(CDK, nonce = seed | index (8), pad(value), 0x02 | field_ad(...))

Rules and reasons:
- Layout 2 stores no nonce per field: every write draws a fresh random 16-byte ``seed`` and
  seals EVERY field of the record again, the i-th entry under nonce ``seed | i``. Within one
  write the indexes differ; two writes share a seed with probability at most W^2 / 2^129 for
  W writes under one CDK (HChaCha20 turns each seed into its own subkey). Nothing depends on
  stored state, so a rolled-back or crashed write cannot make a later one reuse a nonce.
- Parsing is strict and bounded: the layout byte, the count (at most ``MAX_FIELDS``), each name
  (1-255 bytes of UTF-8, strictly ascending, so no duplicates and one canonical form), each
  version (1 .. 2^32 - 1) and each length (a whole number of padding buckets plus the AEAD's
  overhead, at most a 1 MiB field) are checked against the bytes present before anything is
  sliced, and trailing bytes are refused. Any malformation is ``IntegrityError``.
- Names and versions are plaintext inside the encrypted database, as they were in the
  ``fields`` table: sync and the import dedupe read them without any key.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from vault.crypto import aead
from vault.encoding import enc
from vault.errors import IntegrityError, InvalidInput

LAYOUT_VERBATIM = 1
LAYOUT_SEEDED = 2
SEED_BYTES = 16
MAX_FIELDS = 1024
MAX_NAME_BYTES = 255
MAX_VERSION = (1 << 32) - 1
MAX_FIELD_BYTES = 1 << 20  # 1 MiB: larger values belong in attachments, not fields
MAX_PACKED_BYTES = 64 << 20
_BODY_MAX = MAX_FIELD_BYTES + aead.PAD_BUCKET + aead.TAG_BYTES
_OVERHEAD = {LAYOUT_VERBATIM: aead.OVERHEAD, LAYOUT_SEEDED: aead.TAG_BYTES}
_SEEDED = bytes([LAYOUT_SEEDED])

_FIELD_AD_HEAD = enc("kith/field/1", b"", b"", "", 0)[:17]  # count byte + the label part
_LEN16 = (16).to_bytes(4, "big")
_LEN8 = (8).to_bytes(4, "big")


def field_ad(home_segment: bytes, record_id: bytes, name: str, version: int) -> bytes:
    """The associated data of one sealed field: ``enc("kith/field/1", home, id, name, version)``.

    Built from precomputed pieces for 16-byte ids (it runs once per field on every read and
    write); the result is byte-identical to ``enc`` (pinned by the golden vectors).
    """
    if len(home_segment) != 16 or len(record_id) != 16 or not 0 <= version < 1 << 64:
        return enc("kith/field/1", home_segment, record_id, name, version)
    raw_name = name.encode("utf-8")
    return b"".join(
        (
            _FIELD_AD_HEAD,
            _LEN16,
            home_segment,
            _LEN16,
            record_id,
            len(raw_name).to_bytes(4, "big"),
            raw_name,
            _LEN8,
            version.to_bytes(8, "big"),
        )
    )


@dataclass(frozen=True, slots=True)
class Entry:
    """One packed field: its name, version and sealed bytes (layout-specific)."""

    name: str
    version: int
    body: bytes


@dataclass(frozen=True, slots=True)
class Packed:
    """A parsed packed value: layout, seed (layout 2) and entries in name order."""

    layout: int
    seed: bytes
    entries: tuple[Entry, ...]

    def versions(self) -> dict[str, int]:
        """``{name: version}`` of every field."""
        return {e.name: e.version for e in self.entries}


def _refuse() -> IntegrityError:
    return IntegrityError("(a record's packed fields)")


def parse(blob: bytes) -> Packed:
    """The strict inverse of ``pack_verbatim`` and ``seal_fields``; see the rules above."""
    size = len(blob)
    if size < 3 or size > MAX_PACKED_BYTES or blob[0] not in _OVERHEAD:
        raise _refuse()
    layout = blob[0]
    offset = 1 + SEED_BYTES if layout == LAYOUT_SEEDED else 1
    if offset + 2 > size:
        raise _refuse()
    count = int.from_bytes(blob[offset : offset + 2], "big")
    if count > MAX_FIELDS:
        raise _refuse()
    entries = _entries(blob, offset + 2, count, _OVERHEAD[layout])
    return Packed(layout, blob[1 : 1 + SEED_BYTES] if layout == LAYOUT_SEEDED else b"", entries)


_LENGTHS = struct.Struct(">II")


def _entries(blob: bytes, offset: int, count: int, overhead: int) -> tuple[Entry, ...]:
    """``count`` entries from ``offset`` to the very end; every length checked before use."""
    size = len(blob)
    smallest, largest = overhead + aead.PAD_BUCKET, _BODY_MAX + overhead
    bucket = aead.PAD_BUCKET
    previous = b""
    out: list[Entry] = []
    for _ in range(count):
        if offset >= size:
            raise _refuse()
        end = offset + 1 + blob[offset]
        if end == offset + 1 or end + 8 > size:
            raise _refuse()
        raw_name = blob[offset + 1 : end]
        version, body_len = _LENGTHS.unpack_from(blob, end)
        start = end + 8
        offset = start + body_len
        if (
            raw_name <= previous  # strictly ascending: no duplicates, one canonical order
            or version == 0
            or not smallest <= body_len <= largest
            or (body_len - overhead) % bucket
            or offset > size
        ):
            raise _refuse()
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError:
            raise _refuse() from None
        out.append(Entry(name, version, blob[start:offset]))
        previous = raw_name
    if offset != size:
        raise _refuse()
    return tuple(out)


def _pack(head: bytes, entries: Iterable[tuple[bytes, int, bytes]]) -> bytes:
    """``head | count | entries`` from (UTF-8 name, version, body), already in name order."""
    rows = list(entries)
    if len(rows) > MAX_FIELDS:
        raise InvalidInput("(a record has too many fields)")
    out = [head, len(rows).to_bytes(2, "big")]
    for raw_name, version, body in rows:
        if not 0 < len(raw_name) <= MAX_NAME_BYTES:
            raise InvalidInput("(a field name is empty or longer than 255 bytes)")
        if not 0 < version <= MAX_VERSION:
            raise InvalidInput("(a field was written too many times)")
        out += [bytes([len(raw_name)]), raw_name, version.to_bytes(4, "big")]
        out += [len(body).to_bytes(4, "big"), body]
    blob = b"".join(out)
    if len(blob) > MAX_PACKED_BYTES:
        raise InvalidInput("(a record is larger than 64 MiB)")
    return blob


def pack_verbatim(rows: Iterable[tuple[str, int, bytes]]) -> bytes:
    """Layout 1 from ``(name, version, sealed)`` rows of the old ``fields`` table (no key)."""
    encoded = sorted((name.encode("utf-8"), int(version), bytes(sealed)) for name, version,
                     sealed in rows)  # fmt: skip
    return _pack(bytes([LAYOUT_VERBATIM]), encoded)


def seal_fields(
    cdk: bytes,
    home: bytes,
    record_id: bytes,
    fields: Mapping[str, tuple[int, bytes]],
    *,
    seed: bytes | None = None,
) -> bytes:
    """Layout 2: every ``{name: (version, value)}`` sealed under ``cdk`` with a fresh seed.

    ``seed`` exists only so golden-vector tests can pin the output; production callers never
    pass it (a repeated seed under one CDK would repeat nonces).
    """
    seed = os.urandom(SEED_BYTES) if seed is None else seed
    if len(seed) != SEED_BYTES:
        raise ValueError("a seed is 16 bytes")
    ordered = sorted((name.encode("utf-8"), name) for name in fields)
    head = _SEEDED + field_ad(home, record_id, "", 0)[:-16]  # up to the name's length
    items: list[tuple[bytes, bytes]] = []
    for raw_name, name in ordered:
        version, value = fields[name]
        if len(value) > MAX_FIELD_BYTES:
            raise InvalidInput("(a field is larger than 1 MiB)")
        if not 0 < version <= MAX_VERSION:
            raise InvalidInput("(a field was written too many times)")
        ad = b"".join(
            (head, len(raw_name).to_bytes(4, "big"), raw_name, _LEN8, version.to_bytes(8, "big"))
        )
        items.append((value, ad))
    bodies = aead.seal_indexed(cdk, seed, items)
    entries = [
        (raw, fields[name][0], body) for (raw, name), body in zip(ordered, bodies, strict=True)
    ]
    return _pack(_SEEDED + seed, entries)


def open_fields(
    cdk: bytes,
    home: bytes,
    record_id: bytes,
    packed: Packed,
    names: frozenset[str] | None = None,
) -> dict[str, bytes]:
    """``{name: value}`` of every field (or only ``names``), each verified against its AD."""
    if packed.layout != LAYOUT_SEEDED:
        return {
            e.name: aead.open_sealed(cdk, e.body, field_ad(home, record_id, e.name, e.version))
            for e in packed.entries
            if names is None or e.name in names
        }
    head = _SEEDED + field_ad(home, record_id, "", 0)[:-16]  # up to the name's length
    items: list[tuple[int, bytes, bytes]] = []
    opened: list[str] = []
    for index, e in enumerate(packed.entries):
        if names is not None and e.name not in names:
            continue
        raw_name = e.name.encode("utf-8")
        ad = b"".join(
            (head, len(raw_name).to_bytes(4, "big"), raw_name, _LEN8, e.version.to_bytes(8, "big"))
        )
        items.append((index, e.body, ad))
        opened.append(e.name)
    return dict(zip(opened, aead.open_indexed(cdk, packed.seed, items), strict=True))


def versions_of(blob: bytes) -> list[tuple[str, int]]:
    """``(name, version)`` of every field of a packed value (no key needed)."""
    return [(e.name, e.version) for e in parse(blob).entries]
