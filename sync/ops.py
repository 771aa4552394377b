"""The op: one signed change in one author's append-only chain for one segment.

Wire layout (``enc`` from ``vault/encoding.py``, 10 parts)::

    enc("kith/op/1", segment id (16), author (32, Ed25519 public key), seq (u64, from 1),
        prev (32), hlc wall ms (u64), hlc counter (u64), kind (text), body, signature (64))

Signed bytes (9 parts; the body enters by its hash)::

    signed = enc("kith/op/1", segment, author, seq, prev, wall, counter, kind, SHA-256(body))
    op id  = SHA-256(signed)
    prev   = op id of the author's previous op in this segment; 32 zero bytes for seq 1

Rules and reasons:
- The parser is strict and bounded: at most ``MAX_OP_BYTES`` (1 MiB), exactly 10 parts, every
  fixed-size field exactly its size, integers exactly 8 bytes and in range, the kind one of
  ``Kind``, ``seq >= 1``, ``prev`` zero exactly when ``seq == 1``. Anything else is
  ``MalformedOp``: a second way to spell an op would be a second op id for one change.
- The signature covers every field but itself, so nothing in an op can be changed by anyone but
  its author. It covers the body through its SHA-256, so a later version can drop the body of a
  shredded record (redaction) while the chain stays verifiable.
- The op id hashes the signed bytes, not the signature: the id is fixed before signing, so even
  a malleable signature could not give one change two ids (and so fake a fork by its author).
  libsodium's Ed25519 also refuses non-canonical signatures; the two defences are independent.
- The segment id is signed, so an op cannot be replayed into another segment.
- Bodies of content ops are sealed (``sealed_body``) under the segment key of one epoch, with
  AD ``enc("kith/op-body/1", segment, author, seq, epoch, kind)``: the ciphertext is bound to its
  op, and it stays opaque until the last step of the receive pipeline.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import NamedTuple, Protocol

from sync.errors import BadSignature, MalformedOp, OpTooLarge
from sync.hlc import Hlc
from vault.crypto import aead, keys
from vault.encoding import decode, enc
from vault.errors import IntegrityError

LABEL = "kith/op/1"
BODY_AD_LABEL = "kith/op-body/1"
SEALED_BODY_LABEL = "kith/sealed-body/1"
SEGMENT_ID_BYTES = 16
AUTHOR_BYTES = 32
HASH_BYTES = 32
SIGNATURE_BYTES = 64
ZERO_HASH = bytes(HASH_BYTES)
MAX_OP_BYTES = 1 << 20
MAX_SEQ = (1 << 63) - 1


class Kind(StrEnum):
    """What an op does. Content kinds need the writer role, membership kinds the admin role."""

    RECORD_PUT = "record.put"
    RECORD_DELETE = "record.delete"
    NOTE_ADD = "note.add"
    MEMBER_ADD = "member.add"
    MEMBER_REMOVE = "member.remove"
    KEY_ROTATE = "key.rotate"


CONTENT_KINDS = frozenset({Kind.RECORD_PUT, Kind.RECORD_DELETE, Kind.NOTE_ADD})
MEMBERSHIP_KINDS = frozenset({Kind.MEMBER_ADD, Kind.MEMBER_REMOVE, Kind.KEY_ROTATE})


class Signer(Protocol):
    """What signs ops: ``vault.core.identity.DeviceIdentity`` satisfies it."""

    @property
    def signing_public(self) -> bytes: ...

    def sign(self, message: bytes) -> bytes: ...


class Stamp(NamedTuple):
    """The total order of ops for last-writer-wins: ``(hlc, author, op id)``.

    The HLC orders ops by time; the author breaks ties between devices whose clocks agree to
    the millisecond and counter; the op id makes the order total even inside a fork.
    """

    wall_ms: int
    counter: int
    author: bytes
    op_id: bytes


@dataclass(frozen=True)
class Op:
    """One parsed op. Parsing proves shape, not authenticity: call ``verify`` for that."""

    segment: bytes
    author: bytes
    seq: int
    prev: bytes
    hlc: Hlc
    kind: Kind
    body: bytes
    signature: bytes

    @cached_property
    def signed_bytes(self) -> bytes:
        """What the author signed (see the module docstring)."""
        return enc(
            LABEL, self.segment, self.author, self.seq, self.prev, self.hlc.wall_ms,
            self.hlc.counter, self.kind.value, hashlib.sha256(self.body).digest(),
        )

    @cached_property
    def op_id(self) -> bytes:
        """SHA-256 of the signed bytes: what the next op's ``prev`` names."""
        return hashlib.sha256(self.signed_bytes).digest()

    @cached_property
    def stamp(self) -> Stamp:
        """Where this op sorts in last-writer-wins."""
        return Stamp(self.hlc.wall_ms, self.hlc.counter, self.author, self.op_id)

    @cached_property
    def wire(self) -> bytes:
        """The op's one encoding on the wire and in the log."""
        return enc(
            LABEL, self.segment, self.author, self.seq, self.prev, self.hlc.wall_ms,
            self.hlc.counter, self.kind.value, self.body, self.signature,
        )


def _int(raw: bytes, limit: int) -> int:
    if len(raw) != 8:
        raise MalformedOp("(an integer is not 8 bytes)")
    value = int.from_bytes(raw, "big")
    if value > limit:
        raise MalformedOp("(an integer is out of range)")
    return value


def parse(data: bytes) -> Op:
    """Strictly parse one op's wire bytes (shape only; see ``verify``)."""
    if len(data) > MAX_OP_BYTES:
        raise OpTooLarge
    try:
        parts = decode(data, max_parts=10)
    except ValueError:
        raise MalformedOp("(bad encoding)") from None
    if len(parts) != 10 or parts[0] != LABEL.encode():
        raise MalformedOp("(not a version 1 op)")
    _, segment, author, seq_raw, prev, wall_raw, counter_raw, kind_raw, body, signature = parts
    if (
        len(segment) != SEGMENT_ID_BYTES
        or len(author) != AUTHOR_BYTES
        or len(prev) != HASH_BYTES
        or len(signature) != SIGNATURE_BYTES
    ):
        raise MalformedOp("(a field has the wrong size)")
    seq = _int(seq_raw, MAX_SEQ)
    if seq < 1 or (seq == 1) != (prev == ZERO_HASH):
        raise MalformedOp("(bad sequence number or predecessor)")
    try:
        hlc = Hlc(_int(wall_raw, 1 << 64), _int(counter_raw, 1 << 64))
        kind = Kind(kind_raw.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        raise MalformedOp("(bad clock or kind)") from None
    return Op(segment, author, seq, prev, hlc, kind, body, signature)


def sign(
    signer: Signer, segment: bytes, seq: int, prev: bytes, hlc: Hlc, kind: Kind, body: bytes
) -> Op:
    """Make and sign an op; the result round-trips through ``parse`` (checked here)."""
    unsigned = Op(segment, signer.signing_public, seq, prev, hlc, kind, body, bytes(64))
    op = Op(
        segment, signer.signing_public, seq, prev, hlc, kind, body,
        signer.sign(unsigned.signed_bytes),
    )
    if parse(op.wire) != op:  # pragma: no cover - a bug in the caller's fields, not an input
        raise ValueError("op does not round-trip")
    return op


def verify(op: Op) -> None:
    """Raise ``BadSignature`` unless the author signed exactly this op."""
    try:
        keys.ed25519_verify(op.author, op.signed_bytes, op.signature)
    except IntegrityError:
        raise BadSignature from None


# -- sealed bodies of content ops -----------------------------------------------------------------


def body_ad(segment: bytes, author: bytes, seq: int, epoch: int, kind: Kind) -> bytes:
    """The AD of a sealed content body: binds it to its segment, op and key epoch."""
    return enc(BODY_AD_LABEL, segment, author, seq, epoch, kind.value)


def seal_body(
    key: bytes, segment: bytes, author: bytes, seq: int, epoch: int, kind: Kind, plain: bytes
) -> bytes:
    """The body of a content op: ``enc("kith/sealed-body/1", epoch, aead.seal(...))``."""
    sealed = aead.seal(key, plain, body_ad(segment, author, seq, epoch, kind))
    return enc(SEALED_BODY_LABEL, epoch, sealed)


def sealed_epoch(op: Op) -> tuple[int, bytes]:
    """``(epoch, ciphertext)`` of a content op's body; ``MalformedOp`` if it does not parse."""
    try:
        parts = decode(op.body, max_parts=3)
    except ValueError:
        raise MalformedOp("(bad sealed body)") from None
    if len(parts) != 3 or parts[0] != SEALED_BODY_LABEL.encode():
        raise MalformedOp("(bad sealed body)")
    if len(parts[2]) < aead.OVERHEAD + aead.PAD_BUCKET:
        raise MalformedOp("(sealed body too short)")
    return _int(parts[1], MAX_SEQ), parts[2]


def open_body(key: bytes, op: Op) -> bytes:
    """Open a content op's sealed body; any failure is ``IntegrityError``."""
    epoch, sealed = sealed_epoch(op)
    return aead.open_sealed(key, sealed, body_ad(op.segment, op.author, op.seq, epoch, op.kind))
