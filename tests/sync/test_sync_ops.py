"""The op envelope and its bodies: strict parsing, signatures, sealed bodies, golden vectors."""

from __future__ import annotations

import contextlib
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import ops
from sync.bodies import (
    AddElement,
    ClearField,
    KeyRotate,
    MemberAdd,
    MemberRemove,
    NoteAdd,
    RecordDelete,
    RecordPut,
    RemoveElement,
    Role,
    SetField,
    encode_content,
    encode_membership,
    encode_share,
    kind_of,
    parse_content,
    parse_membership,
    parse_share,
)
from sync.errors import BadOpBody, BadSignature, MalformedOp, OpTooLarge
from sync.hlc import Hlc
from sync.ops import ZERO_HASH, Kind
from tests.sync.helpers import SEGMENT, identity
from vault.encoding import decode, enc
from vault.errors import IntegrityError

ME = identity("golden")
RID = bytes(range(100, 116))
KEY = bytes(range(32))


def make(seq: int = 1, prev: bytes = ZERO_HASH, body: bytes = b"body") -> ops.Op:
    return ops.sign(ME, SEGMENT, seq, prev, Hlc(1_750_000_000_000, 3), Kind.MEMBER_ADD, body)


def test_golden_op_pins_the_format() -> None:
    """Ed25519 is deterministic, so the whole op is: this pins layout, ids and signing bytes."""
    op = make()
    assert op.signed_bytes == enc(
        "kith/op/1",
        SEGMENT,
        ME.signing_public,
        1,
        ZERO_HASH,
        1_750_000_000_000,
        3,
        "member.add",
        hashlib.sha256(b"body").digest(),
    )
    assert op.op_id == hashlib.sha256(op.signed_bytes).digest()
    assert hashlib.sha256(op.wire).hexdigest() == GOLDEN_WIRE_SHA256
    assert op.op_id.hex() == GOLDEN_OP_ID


GOLDEN_WIRE_SHA256 = "b67ea3af6e6f469d77146202015e058afd91cd35663640af1b45eaa52a65da8e"
GOLDEN_OP_ID = "6d200a9cfb9fa1ba5b025fdd19d516361dd0e19be9b5e4ed820b458fb7ceb032"


def test_round_trip_and_verify() -> None:
    op = make()
    assert ops.parse(op.wire) == op
    ops.verify(op)
    second = make(2, op.op_id)
    assert ops.parse(second.wire).prev == op.op_id


def test_every_field_is_signed() -> None:
    op = make()
    parts = decode(op.wire)
    for index in range(1, 9):
        changed = list(parts)
        if index == 3:
            changed[3] = (2).to_bytes(8, "big")
            changed[4] = b"\x01" * 32
        elif index == 7:
            changed[7] = b"key.rotate"
        else:
            changed[index] = (
                bytes([changed[index][0] ^ 1]) + changed[index][1:] if changed[index] else b"x"
            )
        try:
            tampered = ops.parse(enc(*changed))
        except MalformedOp:
            continue
        with pytest.raises(BadSignature):
            ops.verify(tampered)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p[:9],  # too few parts
        lambda p: [*p, b""],  # too many
        lambda p: [b"kith/op/2", *p[1:]],  # unknown version
        lambda p: [p[0], p[1][:15], *p[2:]],  # short segment id
        lambda p: [*p[:2], p[2] + b"x", *p[3:]],  # long author
        lambda p: [*p[:3], (0).to_bytes(8, "big"), *p[4:]],  # seq 0
        lambda p: [*p[:3], (2).to_bytes(8, "big"), *p[4:]],  # seq 2 with a zero prev
        lambda p: [*p[:3], (1).to_bytes(7, "big"), *p[4:]],  # short integer
        lambda p: [*p[:4], b"\x01" * 32, *p[5:]],  # seq 1 with a non-zero prev
        lambda p: [*p[:5], (1 << 48).to_bytes(8, "big"), *p[6:]],  # wall out of range
        lambda p: [*p[:6], (1 << 16).to_bytes(8, "big"), *p[7:]],  # counter out of range
        lambda p: [*p[:7], b"record.upsert", *p[8:]],  # unknown kind
        lambda p: [*p[:9], p[9][:63]],  # short signature
    ],
)
def test_strict_parse(mutate) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MalformedOp):
        ops.parse(enc(*mutate(decode(make().wire))))


def test_size_limit_comes_first() -> None:
    with pytest.raises(OpTooLarge):
        ops.parse(b"\x00" * (ops.MAX_OP_BYTES + 1))


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_parse_never_crashes(data: bytes) -> None:
    with contextlib.suppress(MalformedOp):
        ops.parse(data)


@settings(max_examples=100)
@given(st.integers(0, 600))
def test_truncations_never_parse(cut: int) -> None:
    wire = make().wire
    if cut < len(wire):
        with pytest.raises(MalformedOp):
            ops.parse(wire[:cut])


def test_sealed_body_is_bound_to_its_op() -> None:
    put = encode_content(RecordPut(RID, "contact", (SetField("name", b"Ada"),)))
    body = ops.seal_body(KEY, SEGMENT, ME.signing_public, 1, 0, Kind.RECORD_PUT, put)
    op = ops.sign(ME, SEGMENT, 1, ZERO_HASH, Hlc(5, 0), Kind.RECORD_PUT, body)
    assert ops.open_body(KEY, op) == put
    assert b"Ada" not in op.wire
    moved = ops.sign(ME, SEGMENT, 2, b"\x01" * 32, Hlc(6, 0), Kind.RECORD_PUT, body)
    with pytest.raises(IntegrityError):
        ops.open_body(KEY, moved)  # same ciphertext under another seq
    as_delete = ops.sign(ME, SEGMENT, 1, ZERO_HASH, Hlc(5, 0), Kind.RECORD_DELETE, body)
    with pytest.raises(IntegrityError):
        ops.open_body(KEY, as_delete)  # same ciphertext under another kind
    with pytest.raises(IntegrityError):
        ops.open_body(bytes(32), op)
    assert ops.sealed_epoch(op)[0] == 0
    bad = ops.sign(ME, SEGMENT, 1, ZERO_HASH, Hlc(5, 0), Kind.RECORD_PUT, b"junk")
    with pytest.raises(MalformedOp):
        ops.sealed_epoch(bad)


# -- bodies ---------------------------------------------------------------------------------------

ELEMENT = b"\x07" * 34
CONTENTS = [
    RecordPut(
        RID,
        "contact",
        (
            SetField("name", b"Ada"),
            ClearField("org"),
            AddElement("emails", b"a@example.org"),
            RemoveElement("emails", ELEMENT),
        ),
    ),
    RecordPut(RID, "event", ()),
    RecordDelete(RID),
    NoteAdd(RID, "contact", b"met at the vigil", (ELEMENT,)),
    NoteAdd(RID, "contact", b""),
]
MEMBERSHIPS = [
    MemberAdd(b"\x01" * 32, b"\x02" * 32, Role.WRITER, ((0, b"share0"), (1, b"share1"))),
    MemberRemove(b"\x01" * 32, 7, 2, ((b"\x03" * 32, b"s"),)),
    KeyRotate(3, ((b"\x03" * 32, b"s"), (b"\x04" * 32, b"t"))),
]


@pytest.mark.parametrize("body", CONTENTS)
def test_content_bodies_round_trip(body) -> None:  # type: ignore[no-untyped-def]
    assert parse_content(kind_of(body), encode_content(body)) == body


@pytest.mark.parametrize("body", MEMBERSHIPS)
def test_membership_bodies_round_trip(body) -> None:  # type: ignore[no-untyped-def]
    assert parse_membership(kind_of(body), encode_membership(body)) == body


@pytest.mark.parametrize(
    "raw",
    [
        enc("record.put", RID[:15], "contact"),
        enc("record.put", RID, ""),
        enc("record.put", RID, "contact", enc("set", "name", b"a"), enc("set", "name", b"b")),
        enc("record.put", RID, "contact", enc("set", "", b"a")),
        enc("record.put", RID, "contact", enc("set", "n" * 65, b"a")),
        enc("record.put", RID, "contact", enc("remove", "emails", b"short")),
        enc("record.put", RID, "contact", enc("unset", "name")),
        enc("record.put", RID, "contact", b"\xff\xff"),
        enc("record.delete", RID, b"extra"),
        enc("record.put", RID, b"\xff"),
    ],
)
def test_content_parse_is_strict(raw: bytes) -> None:
    kind = Kind(decode(raw)[0].decode())
    with pytest.raises(BadOpBody):
        parse_content(kind, raw)
    with pytest.raises(BadOpBody):
        parse_content(Kind.NOTE_ADD, enc("record.delete", RID))


@pytest.mark.parametrize(
    "raw",
    [
        enc("member.add", b"\x01" * 32, b"\x02" * 32, "owner"),
        enc("member.add", b"\x01" * 31, b"\x02" * 32, "reader"),
        enc("member.remove", b"\x01" * 32, 1, 2, enc(b"\x03" * 32, b"s"), enc(b"\x03" * 32, b"t")),
        enc("key.rotate", (1 << 63).to_bytes(8, "big")),
        enc("key.rotate", 1, enc(b"\x03" * 32, b"")),
    ],
)
def test_membership_parse_is_strict(raw: bytes) -> None:
    kind = Kind(decode(raw)[0].decode())
    with pytest.raises(MalformedOp):
        parse_membership(kind, raw)


def test_too_many_changes_do_not_encode() -> None:
    with pytest.raises(ValueError):
        encode_content(
            RecordPut(RID, "contact", tuple(AddElement("tags", b"t") for _ in range(260)))
        )


def test_key_share_names_its_segment_and_epoch() -> None:
    share = encode_share(SEGMENT, 4, KEY)
    assert parse_share(share, SEGMENT, 4) == KEY
    with pytest.raises(BadOpBody):
        parse_share(share, SEGMENT, 5)
    with pytest.raises(BadOpBody):
        parse_share(share, bytes(16), 4)
