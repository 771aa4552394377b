"""Writing ops on this device: the local side of every change to a shared segment.

    writer = Writer(identity, sync_state.clock)
    segment = writer.create_segment(segment_id, now_ms)      # this device is the founder
    writer.put(segment, record_id, "contact", [SetField("name", b"Ada")], now_ms)
    writer.add_member(segment, peer, Role.WRITER, now_ms)
    writer.remove_member(segment, peer.signing_public, now_ms)   # rotates the key too

Rules and reasons:
- A local op is applied through the same receive pipeline as a remote one (``receive_ops``), so
  this device holds itself to exactly the rules it holds its peers to; the only difference is
  that its own clock is never "too far ahead" of itself.
- The role is checked before anything is signed (``NotAllowedLocally``): a device never signs an
  op its peers would refuse.
- Only a verified peer can be made an admin (``UnverifiedPeer``): an admin can add anyone, so a
  key no person has checked must never get that power.
- ``member.add`` carries the new member's shares of every epoch key this device holds, so the
  new member can read the segment's history; ``member.remove`` carries a fresh key shared with
  every remaining member and the removed member's cutoff (this device's head for them).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Protocol

from sync import ops
from sync.bodies import (
    Change,
    Content,
    KeyRotate,
    MemberAdd,
    MemberRemove,
    Membership,
    NoteAdd,
    RecordDelete,
    RecordPut,
    Role,
    encode_content,
    encode_membership,
    encode_share,
    kind_of,
)
from sync.errors import NotAllowedLocally, UnverifiedPeer
from sync.hlc import HybridClock
from sync.membership import MAX_EPOCHS, sufficient
from sync.ops import ZERO_HASH, Op
from sync.peers import Peer
from sync.pipeline import receive_ops
from sync.state import SegmentState
from vault.crypto import aead, keys


class Identity(Protocol):
    """This device: signs ops and opens key shares (``vault.core.identity.DeviceIdentity`` fits)."""

    @property
    def signing_public(self) -> bytes: ...

    @property
    def box_public(self) -> bytes: ...

    def sign(self, message: bytes) -> bytes: ...

    def open_box(self, sealed: bytes) -> bytes: ...


class Writer:
    """Makes, signs and locally applies this device's ops."""

    def __init__(self, me: Identity, clock: HybridClock) -> None:
        self.me = me
        self.clock = clock

    # -- segments -------------------------------------------------------------------------------

    def create_segment(
        self, segment_id: bytes, now_ms: int, key: bytes | None = None
    ) -> SegmentState:
        """A new shared segment founded by this device, with its epoch-0 key."""
        state = SegmentState(segment_id, self.me.signing_public)
        state.add_key(0, key or aead.random_key())
        self._membership(
            state, MemberAdd(self.me.signing_public, self.me.box_public, Role.ADMIN,
                             self._all_shares(state, self.me.box_public)), now_ms
        )
        return state

    # -- content --------------------------------------------------------------------------------

    def put(
        self, state: SegmentState, record_id: bytes, record_type: str,
        changes: Iterable[Change], now_ms: int,
    ) -> Op:
        """Change fields of one record (creating it if new)."""
        return self._content(state, RecordPut(record_id, record_type, tuple(changes)), now_ms)

    def delete(self, state: SegmentState, record_id: bytes, now_ms: int) -> Op:
        """Delete a record for good."""
        return self._content(state, RecordDelete(record_id), now_ms)

    def note(
        self, state: SegmentState, record_id: bytes, record_type: str, text: str, now_ms: int,
        replaces: Iterable[bytes] = (),
    ) -> Op:
        """Add a note to a record, or (naming the notes it ``replaces``) edit notes."""
        body = NoteAdd(record_id, record_type, text.encode("utf-8"), tuple(replaces))
        return self._content(state, body, now_ms)

    # -- membership -----------------------------------------------------------------------------

    def add_member(self, state: SegmentState, peer: Peer, role: Role, now_ms: int) -> Op:
        """Add ``peer`` (or change their role); admins must be verified peers."""
        if role is Role.ADMIN and not peer.verified:
            raise UnverifiedPeer
        shares = self._all_shares(state, peer.box_public)
        return self._membership(
            state, MemberAdd(peer.signing_public, peer.box_public, role, shares), now_ms
        )

    def remove_member(self, state: SegmentState, member: bytes, now_ms: int) -> Op:
        """Remove ``member`` and rotate the segment key in the same op."""
        epoch, key = state.membership.next_epoch(), aead.random_key()
        cutoff = state.chain(member).head
        shares = self._fresh_shares(state, epoch, key, exclude=member)
        op = self._membership(state, MemberRemove(member, cutoff, epoch, shares), now_ms)
        return op

    def rotate_key(self, state: SegmentState, now_ms: int) -> Op:
        """Start a new epoch with a fresh key for every current member."""
        epoch, key = state.membership.next_epoch(), aead.random_key()
        shares = self._fresh_shares(state, epoch, key, exclude=None)
        return self._membership(state, KeyRotate(epoch, shares), now_ms)

    # -- internals ------------------------------------------------------------------------------

    def _all_shares(self, state: SegmentState, box_key: bytes) -> tuple[tuple[int, bytes], ...]:
        shares = [
            (epoch, keys.box_seal(box_key, encode_share(state.segment, epoch, key)))
            for epoch in sorted(state.keys)
            for key in state.keys[epoch]
        ]
        if len(shares) > MAX_EPOCHS:
            raise NotAllowedLocally("(the segment has too many key epochs to add a member)")
        return tuple(shares)

    def _fresh_shares(
        self, state: SegmentState, epoch: int, key: bytes, exclude: bytes | None
    ) -> tuple[tuple[bytes, bytes], ...]:
        if epoch > MAX_EPOCHS:
            raise NotAllowedLocally("(the segment has too many key epochs)")
        shares = []
        for member in sorted(state.membership.members()):
            box_key = state.membership.box_key(member)
            if member != exclude and box_key is not None:
                shares.append((member, keys.box_seal(box_key, encode_share(state.segment, epoch,
                                                                           key))))
        return tuple(shares)

    def _content(self, state: SegmentState, body: Content, now_ms: int) -> Op:
        self._check_role(state, Role.WRITER)
        write = state.write_key()
        kind = kind_of(body)
        plain = encode_content(body)

        def seal(seq: int) -> bytes:
            return ops.seal_body(
                write.key, state.segment, self.me.signing_public, seq, write.epoch, kind, plain
            )

        return self._emit(state, kind, seal, Role.WRITER, now_ms)

    def _membership(self, state: SegmentState, body: Membership, now_ms: int) -> Op:
        raw = encode_membership(body)
        return self._emit(state, kind_of(body), lambda _seq: raw, Role.ADMIN, now_ms)

    def _check_role(self, state: SegmentState, needed: Role) -> None:
        if not sufficient(state.membership.current_role(self.me.signing_public), needed):
            raise NotAllowedLocally

    def _emit(self, state: SegmentState, kind: ops.Kind, make_body: _BodyMaker, needed: Role,
              now_ms: int) -> Op:
        self._check_role(state, needed)
        chain = state.chain(self.me.signing_public)
        seq = chain.head + 1
        prev = chain.ids[-1] if chain.ids else ZERO_HASH
        hlc = self.clock.tick(now_ms)
        op = ops.sign(self.me, state.segment, seq, prev, hlc, kind, make_body(seq))
        outcome = receive_ops(state, [op.wire], self.me, max(now_ms, hlc.wall_ms))
        if not outcome.applied or outcome.accepted != [op]:
            raise NotAllowedLocally("(this device's own change was refused)")
        return op


class _BodyMaker(Protocol):
    def __call__(self, seq: int, /) -> bytes: ...


def new_record_id() -> bytes:
    """A fresh 16-byte record id (random: ids never collide across devices)."""
    return os.urandom(16)
