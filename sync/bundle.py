"""The sealed bundle: one format for every transport (folder, TCP, relay).

Layout::

    offset size  field
    0      8     magic "KITHSYN1"
    8      1     version = 1
    9      16    bundle id (random; also the file name on a folder transport)
    25     16    hint = HKDF(SK[s,e], "kith/bundle-hint/1", s, e, bundle id)[:16]
    41     24    secretstream header
    65     ...   secretstream chunks: 65536 bytes of plaintext + 17 each; the last is shorter
                 or equal and is the only one tagged FINAL. The first chunk's AD is bytes 0..65.

    bundle key = HKDF-SHA256(SK[s,e], "kith/bundle/1", segment id s, epoch e, bundle id)

    plaintext  = frame(manifest, op wire, op wire, ...) || zero padding
    manifest   = enc("kith/bundle/1", segment id, epoch, op count (u64), sender's vector)
    len(plaintext) = max(4096, Padme(len(frame)))

Rules and reasons:
- Nothing in the clear says which segment, epoch or sender a bundle is for: the receiver finds
  its key by recomputing the hint for each (segment, epoch) key it holds. The hint is a PRF of
  a random id, so two bundles of one segment cannot be linked by it. What shows is that it is
  a Kith bundle (magic) and its padded size.
- Padding: Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
  Communication with PURBs", PETS 2019) rounds a length L to a multiple of 2^(floor(log2 L) -
  floor(log2 floor(log2 L)) - 1): at most 12% overhead, and a size reveals O(log log L) bits.
  Below 4 KiB every bundle is 4 KiB, so small edits all look alike. The padding is inside the
  stream (authenticated), and must be all zeros.
- Chunking at a fixed 64 KiB means chunk boundaries leak nothing about op sizes; the FINAL tag
  on exactly the last chunk means truncation, extension and reordering all fail.
- Limits: ``MAX_BUNDLE_BYTES`` (64 MiB) is checked on the length before anything is read, each
  op is at most 1 MiB (``sync.ops.MAX_OP_BYTES``), at most ``MAX_OPS`` ops.
- Every failure to open (wrong magic, unknown key, any tag, framing, padding) is one
  ``BadBundle``: "not for you" and "tampered" are the same answer.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sync import vv
from sync.errors import BadBundle, BundleTooLarge
from sync.framing import frame, unframe
from sync.ops import MAX_OP_BYTES
from vault.crypto import stream
from vault.crypto.kdf import hkdf_sha256
from vault.encoding import decode, enc
from vault.errors import IntegrityError

MAGIC = b"KITHSYN1"
VERSION = 1
ID_BYTES = 16
HINT_BYTES = 16
HEADER_BYTES = len(MAGIC) + 1 + ID_BYTES + HINT_BYTES + stream.HEADER_BYTES  # 65
CHUNK_BYTES = 64 * 1024
MIN_PLAINTEXT = 4096
MAX_BUNDLE_BYTES = 64 << 20
MAX_OPS = 65536
MANIFEST_LABEL = "kith/bundle/1"
KEY_PURPOSE = "kith/bundle/1"
HINT_PURPOSE = "kith/bundle-hint/1"
_MAX_ITEM = 2 * MAX_OP_BYTES
"""The largest framed item a bundle may hold: above the op limit, so that an op over 1 MiB in
an authentic bundle reaches the pipeline's parse step and is refused as ``OpTooLarge`` (what
it is) rather than as an unreadable bundle; the manifest (4096 authors) fits too."""
DAMAGED = "(it is for a segment you hold, and damaged)"
"""The detail of a ``BadBundle`` whose hint matched a key held here: it will never open, so a
runner drops it. Every other ``BadBundle`` (no key matched) may open once a key arrives. This
tells the holder of a key nothing an outsider could learn: only key holders can compute hints."""


@dataclass(frozen=True)
class SegmentKey:
    """One key a receiver holds: segment id, epoch number, the 32-byte segment key."""

    segment: bytes
    epoch: int
    key: bytes


@dataclass(frozen=True)
class Opened:
    """What an authentic bundle carried: still unparsed op wires, plus the sender's vector."""

    bundle_id: bytes
    segment: bytes
    epoch: int
    ops: list[bytes]
    sender_vector: dict[bytes, int]


def padme(length: int) -> int:
    """Padmé: round ``length`` up so that only O(log log length) bits of it show."""
    if length < 2:
        return length
    exponent = length.bit_length() - 1
    mask = (1 << (exponent - exponent.bit_length())) - 1
    return (length + mask) & ~mask


def padded_length(length: int) -> int:
    """The plaintext length a bundle carrying ``length`` framed bytes has."""
    return max(MIN_PLAINTEXT, padme(length))


def sealed_size(plaintext_length: int) -> int:
    """The file size of a bundle with ``plaintext_length`` bytes of (padded) plaintext."""
    chunks = max(1, -(-plaintext_length // CHUNK_BYTES))
    return HEADER_BYTES + plaintext_length + chunks * stream.ABYTES


def _derive(key: SegmentKey, bundle_id: bytes) -> tuple[bytes, bytes]:
    stream_key = hkdf_sha256(key.key, KEY_PURPOSE, key.segment, key.epoch, bundle_id)
    hint = hkdf_sha256(key.key, HINT_PURPOSE, key.segment, key.epoch, bundle_id)[:HINT_BYTES]
    return stream_key, hint


def seal(
    key: SegmentKey, ops: Sequence[bytes], sender_vector: vv.Vector, *,
    bundle_id: bytes | None = None,
) -> bytes:
    """One bundle carrying ``ops`` (wire bytes, in the order the receiver should take them).

    ``bundle_id`` is for golden tests only. Raises ``BundleTooLarge`` if it would not fit;
    ``split`` first when sending many ops.
    """
    if len(ops) > MAX_OPS or any(len(op) > MAX_OP_BYTES for op in ops):
        raise BundleTooLarge
    bundle_id = os.urandom(ID_BYTES) if bundle_id is None else bundle_id
    manifest = enc(MANIFEST_LABEL, key.segment, key.epoch, len(ops), vv.encode(sender_vector))
    body = frame([manifest, *ops])
    plaintext = body + bytes(padded_length(len(body)) - len(body))
    if sealed_size(len(plaintext)) > MAX_BUNDLE_BYTES:
        raise BundleTooLarge
    stream_key, hint = _derive(key, bundle_id)
    pusher = stream.Pusher(stream_key)
    header = MAGIC + bytes([VERSION]) + bundle_id + hint + pusher.header
    out = [header]
    chunks = [plaintext[i : i + CHUNK_BYTES] for i in range(0, len(plaintext), CHUNK_BYTES)]
    for index, chunk in enumerate(chunks):
        out.append(
            pusher.push(chunk, header if index == 0 else b"", final=index == len(chunks) - 1)
        )
    return b"".join(out)


def split(ops: Sequence[bytes], budget: int = MAX_BUNDLE_BYTES // 2) -> list[list[bytes]]:
    """Cut ``ops`` into runs that each fit in one bundle (order kept)."""
    runs: list[list[bytes]] = [[]]
    size = 0
    for op in ops:
        if runs[-1] and (size + len(op) + 4 > budget or len(runs[-1]) >= MAX_OPS):
            runs.append([])
            size = 0
        runs[-1].append(op)
        size += len(op) + 4
    return runs


def bundle_id_of(data: bytes) -> bytes:
    """The bundle id in a header (no key needed): for file names and de-duplication."""
    if len(data) < HEADER_BYTES or data[: len(MAGIC)] != MAGIC:
        raise BadBundle
    return data[len(MAGIC) + 1 : len(MAGIC) + 1 + ID_BYTES]


def open_bundle(data: bytes, keys: Iterable[SegmentKey]) -> Opened:
    """Size limit, find the key, decrypt and strictly unframe; every failure is ``BadBundle``."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleTooLarge
    if len(data) < HEADER_BYTES + stream.ABYTES or data[: len(MAGIC)] != MAGIC:
        raise BadBundle
    if data[len(MAGIC)] != VERSION:
        raise BadBundle
    header = data[:HEADER_BYTES]
    bundle_id = header[9 : 9 + ID_BYTES]
    hint = header[9 + ID_BYTES : 9 + ID_BYTES + HINT_BYTES]
    for key in keys:
        stream_key, candidate = _derive(key, bundle_id)
        if candidate == hint:
            try:
                plaintext = _decrypt(stream_key, header, data[HEADER_BYTES:])
                return _unpack(plaintext, key, bundle_id)
            except BadBundle:
                raise BadBundle(DAMAGED) from None
    raise BadBundle


def _decrypt(stream_key: bytes, header: bytes, body: bytes) -> bytes:
    sealed_chunk = CHUNK_BYTES + stream.ABYTES
    chunks = [body[i : i + sealed_chunk] for i in range(0, len(body), sealed_chunk)]
    try:
        puller = stream.Puller(stream_key, header[-stream.HEADER_BYTES :])
        out: list[bytes] = []
        for index, chunk in enumerate(chunks):
            plain, final = puller.pull(chunk, header if index == 0 else b"")
            if final != (index == len(chunks) - 1):
                raise BadBundle
            out.append(plain)
    except IntegrityError:
        raise BadBundle from None
    return b"".join(out)


def _unpack(plaintext: bytes, key: SegmentKey, bundle_id: bytes) -> Opened:
    try:
        items, end = unframe(plaintext, max_items=MAX_OPS + 1, max_item=_MAX_ITEM)
        if plaintext[end:].strip(b"\x00") or padded_length(end) != len(plaintext) or not items:
            raise ValueError("bad padding")
        parts = decode(items[0], max_parts=5)
        if (
            len(parts) != 5
            or parts[0] != MANIFEST_LABEL.encode()
            or parts[1] != key.segment
            or parts[2] != key.epoch.to_bytes(8, "big")
            or parts[3] != (len(items) - 1).to_bytes(8, "big")
        ):
            raise ValueError("bad manifest")
        sender_vector = vv.parse(parts[4])
    except ValueError:
        raise BadBundle from None
    return Opened(bundle_id, key.segment, key.epoch, items[1:], sender_vector)
