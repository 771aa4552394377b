"""The bodies of ops, one strict encoding per kind (all built with ``enc``, parsed with ``decode``).

Content bodies (sealed under the segment key; this is their plaintext)::

    record.put    enc("record.put", record id (16), record type, change, ...)     <= 250 changes
        change  = enc("set", field, value) | enc("clear", field)
                | enc("add", field, value) | enc("remove", field, element id (34))
    record.delete enc("record.delete", record id (16))
    note.add      enc("note.add", record id (16), record type, text, replaced note id (34), ...)

Membership bodies (plaintext inside the bundle; key shares are sealed boxes)::

    member.add    enc("member.add", member (32), member box key (32), role, share, ...)
        share   = enc(epoch, crypto_box_seal(member box key, key share))   every epoch so far
    member.remove enc("member.remove", member (32), cutoff seq, new epoch, share, ...)
    key.rotate    enc("key.rotate", new epoch, share, ...)
        share   = enc(recipient (32), crypto_box_seal(recipient box key, key share))
    key share   = enc("kith/key-share/1", segment id, epoch, key (32))

Element ids: the ``i``-th ``add`` of an op (and a note) is ``op id || u16 i``: unique without
coordination, and a ``remove`` names exactly the elements its author had seen (add-wins).

Rules and reasons:
- Field names are 1-64 bytes of UTF-8; one op sets or clears a field at most once (a second
  spelling of "the last one wins" inside one op would be ambiguous).
- Roles are exactly ``reader``, ``writer``, ``admin``. A share's plaintext names its segment and
  epoch and is checked after opening, so a share cannot be replayed into another segment.
- At most 250 changes or shares per op (``enc`` has at most 255 parts); bigger edits are split.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sync.errors import BadOpBody, MalformedOp
from sync.ops import Kind
from vault.encoding import decode, enc

RECORD_ID_BYTES = 16
KEY_BYTES = 32
ELEMENT_ID_BYTES = 34
MAX_FIELD_NAME = 64
MAX_ITEMS = 250
MAX_TYPE = 32
SHARE_LABEL = "kith/key-share/1"


class Role(StrEnum):
    """What a member may do: read; read and write records; and also change membership."""

    READER = "reader"
    WRITER = "writer"
    ADMIN = "admin"


def element_id(op_id: bytes, index: int) -> bytes:
    """The id of the ``index``-th element an op adds."""
    return op_id + index.to_bytes(2, "big")


@dataclass(frozen=True)
class SetField:
    """Set a scalar field (last writer wins)."""

    name: str
    value: bytes


@dataclass(frozen=True)
class ClearField:
    """Clear a scalar field (a write of "nothing": it also takes part in last writer wins)."""

    name: str


@dataclass(frozen=True)
class AddElement:
    """Add one element to a multi-valued field (emails, phones, tags, segment links)."""

    name: str
    value: bytes


@dataclass(frozen=True)
class RemoveElement:
    """Remove one element its author had seen, by element id."""

    name: str
    element: bytes


Change = SetField | ClearField | AddElement | RemoveElement


@dataclass(frozen=True)
class RecordPut:
    """Changes to one record (creating it if new)."""

    record_id: bytes
    record_type: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class RecordDelete:
    """Delete a record for good (its id is never used again)."""

    record_id: bytes


@dataclass(frozen=True)
class NoteAdd:
    """A free-text note; ``replaces`` names the notes its author saw and edited."""

    record_id: bytes
    record_type: str
    text: bytes
    replaces: tuple[bytes, ...] = ()


Content = RecordPut | RecordDelete | NoteAdd


@dataclass(frozen=True)
class MemberAdd:
    """Add a member (or change a member's role), with every epoch key sealed to them."""

    member: bytes
    box_key: bytes
    role: Role
    shares: tuple[tuple[int, bytes], ...]


@dataclass(frozen=True)
class MemberRemove:
    """Remove a member and rotate the key in the same op; ``cutoff`` ends their chain."""

    member: bytes
    cutoff: int
    epoch: int
    shares: tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True)
class KeyRotate:
    """A fresh segment key for a new epoch, sealed to every remaining member."""

    epoch: int
    shares: tuple[tuple[bytes, bytes], ...]


Membership = MemberAdd | MemberRemove | KeyRotate

_MAX_U63 = (1 << 63) - 1


# -- encoding -------------------------------------------------------------------------------------


def _encode_change(change: Change) -> bytes:
    match change:
        case SetField(name, value):
            return enc("set", name, value)
        case ClearField(name):
            return enc("clear", name)
        case AddElement(name, value):
            return enc("add", name, value)
        case RemoveElement(name, element):
            return enc("remove", name, element)


def encode_content(body: Content) -> bytes:
    """The plaintext of a content body (checked by parsing it back)."""
    match body:
        case RecordPut(record_id, record_type, changes):
            out = enc("record.put", record_id, record_type, *map(_encode_change, changes))
        case RecordDelete(record_id):
            out = enc("record.delete", record_id)
        case NoteAdd(record_id, record_type, text, replaces):
            out = enc("note.add", record_id, record_type, text, *replaces)
    if parse_content(kind_of(body), out) != body:
        raise ValueError("content body does not round-trip")
    return out


def encode_membership(body: Membership) -> bytes:
    """The body of a membership op (checked by parsing it back)."""
    match body:
        case MemberAdd(member, box_key, role, shares):
            out = enc(
                "member.add", member, box_key, role.value, *(enc(e, s) for e, s in shares)
            )
        case MemberRemove(member, cutoff, epoch, shares):
            out = enc(
                "member.remove", member, cutoff, epoch, *(enc(r, s) for r, s in shares)
            )
        case KeyRotate(epoch, shares):
            out = enc("key.rotate", epoch, *(enc(r, s) for r, s in shares))
    if parse_membership(kind_of(body), out) != body:
        raise ValueError("membership body does not round-trip")
    return out


def kind_of(body: Content | Membership) -> Kind:
    """The op kind that carries ``body``."""
    return {
        RecordPut: Kind.RECORD_PUT, RecordDelete: Kind.RECORD_DELETE, NoteAdd: Kind.NOTE_ADD,
        MemberAdd: Kind.MEMBER_ADD, MemberRemove: Kind.MEMBER_REMOVE, KeyRotate: Kind.KEY_ROTATE,
    }[type(body)]


def encode_share(segment: bytes, epoch: int, key: bytes) -> bytes:
    """The plaintext sealed to each member: the key, with the segment and epoch it is for."""
    return enc(SHARE_LABEL, segment, epoch, key)


def parse_share(plain: bytes, segment: bytes, epoch: int) -> bytes:
    """The key in an opened share, if it names ``segment`` and ``epoch``; else ``BadOpBody``."""
    try:
        parts = decode(plain, max_parts=4)
    except ValueError:
        raise BadOpBody("(bad key share)") from None
    if (
        len(parts) != 4
        or parts[0] != SHARE_LABEL.encode()
        or parts[1] != segment
        or parts[2] != epoch.to_bytes(8, "big")
        or len(parts[3]) != KEY_BYTES
    ):
        raise BadOpBody("(bad key share)")
    return parts[3]


# -- parsing --------------------------------------------------------------------------------------


def _text(raw: bytes, limit: int) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None
    if not 1 <= len(raw) <= limit:
        raise ValueError("text length out of range")
    return text


def _u63(raw: bytes) -> int:
    if len(raw) != 8 or int.from_bytes(raw, "big") > _MAX_U63:
        raise ValueError("bad integer")
    return int.from_bytes(raw, "big")


def _fixed(raw: bytes, size: int) -> bytes:
    if len(raw) != size:
        raise ValueError("wrong size")
    return raw


def _parse_change(raw: bytes) -> Change:
    parts = decode(raw, max_parts=3)
    tag = parts[0] if parts else b""
    if tag == b"set" and len(parts) == 3:
        return SetField(_text(parts[1], MAX_FIELD_NAME), parts[2])
    if tag == b"clear" and len(parts) == 2:
        return ClearField(_text(parts[1], MAX_FIELD_NAME))
    if tag == b"add" and len(parts) == 3:
        return AddElement(_text(parts[1], MAX_FIELD_NAME), parts[2])
    if tag == b"remove" and len(parts) == 3:
        return RemoveElement(_text(parts[1], MAX_FIELD_NAME), _fixed(parts[2], ELEMENT_ID_BYTES))
    raise ValueError("unknown change")


def parse_content(kind: Kind, plain: bytes) -> Content:
    """Strictly parse an opened content body; anything malformed is ``BadOpBody``.

    (An authentic ciphertext that does not parse means a buggy or hostile member: integrity.)
    """
    try:
        parts = decode(plain)
        if not parts or parts[0] != kind.value.encode():
            raise ValueError("kind mismatch")
        if kind is Kind.RECORD_DELETE and len(parts) == 2:
            return RecordDelete(_fixed(parts[1], RECORD_ID_BYTES))
        if kind is Kind.RECORD_PUT and 3 <= len(parts) <= 3 + MAX_ITEMS:
            changes = tuple(_parse_change(p) for p in parts[3:])
            scalars = [c.name for c in changes if isinstance(c, SetField | ClearField)]
            if len(scalars) != len(set(scalars)):
                raise ValueError("a field is set twice")
            return RecordPut(
                _fixed(parts[1], RECORD_ID_BYTES), _text(parts[2], MAX_TYPE), changes
            )
        if kind is Kind.NOTE_ADD and 4 <= len(parts) <= 4 + MAX_ITEMS:
            replaces = tuple(_fixed(p, ELEMENT_ID_BYTES) for p in parts[4:])
            parts[3].decode("utf-8")
            return NoteAdd(
                _fixed(parts[1], RECORD_ID_BYTES), _text(parts[2], MAX_TYPE), parts[3], replaces
            )
    except ValueError:
        raise BadOpBody("(malformed change)") from None
    raise BadOpBody("(malformed change)")


def parse_membership(kind: Kind, body: bytes) -> Membership:
    """Strictly parse a membership body; anything malformed is ``MalformedOp``."""
    try:
        parts = decode(body)
        if not parts or parts[0] != kind.value.encode():
            raise ValueError("kind mismatch")
        if kind is Kind.MEMBER_ADD and 4 <= len(parts) <= 4 + MAX_ITEMS:
            shares_a = tuple(_epoch_share(p) for p in parts[4:])
            return MemberAdd(
                _fixed(parts[1], KEY_BYTES), _fixed(parts[2], KEY_BYTES),
                Role(parts[3].decode("ascii")), shares_a,
            )
        if kind is Kind.MEMBER_REMOVE and 5 <= len(parts) <= 4 + MAX_ITEMS:
            removed = MemberRemove(
                _fixed(parts[1], KEY_BYTES), _u63(parts[2]), _u63(parts[3]),
                _recipient_shares(parts[4:]),
            )
            # a removal opens a new epoch, and never hands the removed member its key
            if removed.epoch < 1 or removed.member in {r for r, _ in removed.shares}:
                raise ValueError("not a removal")
            return removed
        if kind is Kind.KEY_ROTATE and 3 <= len(parts) <= 2 + MAX_ITEMS:
            rotated = KeyRotate(_u63(parts[1]), _recipient_shares(parts[2:]))
            if rotated.epoch < 1:
                raise ValueError("not a new epoch")
            return rotated
    except (ValueError, UnicodeDecodeError):
        raise MalformedOp("(malformed membership change)") from None
    raise MalformedOp("(malformed membership change)")


def _epoch_share(raw: bytes) -> tuple[int, bytes]:
    parts = decode(raw, max_parts=2)
    if len(parts) != 2 or not parts[1]:
        raise ValueError("bad share")
    return _u63(parts[0]), parts[1]


def _recipient_shares(raws: list[bytes]) -> tuple[tuple[bytes, bytes], ...]:
    shares: list[tuple[bytes, bytes]] = []
    for raw in raws:
        parts = decode(raw, max_parts=2)
        if len(parts) != 2 or not parts[1]:
            raise ValueError("bad share")
        shares.append((_fixed(parts[0], KEY_BYTES), parts[1]))
    if len({r for r, _ in shares}) != len(shares):
        raise ValueError("two shares for one member")
    return tuple(shares)
