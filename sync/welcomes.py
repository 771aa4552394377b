"""Taking a welcome, and the welcomes this device still owes others.

    got = take(replica, data)              # a Received: applied, a no-op, or refused
    queue(replica, peer_sign, peer_box, segment_state, name)    # a pending welcome
    drop(replica, peer_sign, segment_id)   # they joined: stop delivering it

Acceptance rules (docs/sync-protocol.md §14.1) and their reasons:
- The sender MUST be a known peer whose safety number was verified and who is not halted. A
  welcome from anyone else is kept for the next pull (the person may verify them, then pull
  again), never taken: a code nobody compared proves nothing about who sent it.
- A welcome MUST NOT change a segment that already exists in the sync state, including one
  deleted on this device. Pending welcomes are delivered again on every push and session until
  the peer is heard, and an old welcome file can be copied anywhere, so a welcome is routinely
  replayed: re-creating a deleted segment from one made the next capture see every record as
  gone and send a delete for each (issue 11, item 1). A welcome for a known segment is a no-op
  (reported as nothing new), except that its keys are kept as opening keys (below).
- A welcome's keys are only ever **opening keys** (``SegmentState.add_opening_key``): they
  may find and open a bundle and op bodies, and never seal anything. The keys this device
  trusts come from admin-signed shares inside ``member.add``, ``member.remove`` and
  ``key.rotate`` ops, checked by the pipeline. Reason: a welcome is signed by whoever sent
  it, not by an admin, so a member (or a removed one) could otherwise name its own key for an
  epoch and read everything sealed under it afterwards (item 2).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sync import ops
from sync.bodies import MemberRemove, Role, parse_membership
from sync.errors import (
    BadBundle,
    BadSignature,
    MalformedOp,
    OpTooLarge,
    PeerKeyChanged,
    UnknownPeer,
    UnverifiedPeer,
)
from sync.peers import Peer
from sync.replica import Replica
from sync.state import SegmentState
from sync.welcome import make_notice, make_welcome, open_welcome
from vault.errors import KithError


@dataclass
class Received:
    """What taking one bundle or welcome did."""

    kind: str
    applied: bool = False
    segment: bytes | None = None
    accepted: int = 0
    replayed: int = 0
    forks: list[str] = field(default_factory=list)
    error: KithError | None = None
    step: str = ""
    retryable: bool = False
    voided: int = 0
    removed_by: str | None = None
    removed_from: str | None = None
    sender_vector: dict[bytes, int] | None = None

    def __post_init__(self) -> None:
        # an error keeps only its class and detail: never the frames (and the file's bytes)
        # it was raised through, so refused files cost no memory once reported (item 8)
        if self.error is not None:
            self.error.__traceback__ = None
            self.error.__context__ = None
            self.error.__cause__ = None


def take(replica: Replica, data: bytes) -> Received:
    """Open, check and take one welcome (see the module docstring for the rules)."""
    try:
        welcome = open_welcome(replica.me, data)
    except BadBundle as exc:
        return Received("welcome", error=exc, step="welcome decryption")
    peer = replica.peer_by_key(welcome.sender)
    error: KithError | None = None
    if peer is None:
        error = UnknownPeer()
    elif peer.halted or welcome.sender in {bytes.fromhex(k) for k in replica.status.halted_keys}:
        error = PeerKeyChanged()
    elif not peer.verified:
        error = UnverifiedPeer()
    if error is not None or peer is None:
        # kept for later: the person may add, verify or re-verify the peer, then pull again
        return Received("welcome", error=error, step="peer check", retryable=True)
    state = replica.state.segments.get(welcome.segment)
    if state is not None and state.founder != welcome.founder:
        return Received("welcome", error=BadBundle(), step="welcome check")
    if welcome.removal is not None:
        return _notice(replica, state, welcome.removal)
    fresh = state is None
    if state is None:
        state = SegmentState(welcome.segment, welcome.founder)
        replica.state.segments[welcome.segment] = state
    learned = [state.add_opening_key(epoch, key) for epoch, key in welcome.keys]
    if not fresh and not any(learned):
        return Received("welcome", segment=welcome.segment)  # a replay: nothing to do
    with replica.vault.live_store.transaction():
        if fresh:
            replica.store.ensure_segment(welcome.segment, _free_name(replica, welcome.name, peer))
        replica.dirty.add(welcome.segment)
        replica.save()
    return Received("welcome", True, welcome.segment)  # new keys: files may open now


def _notice(replica: Replica, state: SegmentState | None, wire: bytes) -> Received:
    """A removal notice: told once, if it carries an authentic removal of this device."""
    try:
        op = ops.parse(wire)
        if state is None or op.segment != state.segment or op.kind is not ops.Kind.MEMBER_REMOVE:
            raise MalformedOp
        ops.verify(op)  # before anything but author and kind is used (§4.1)
        body = parse_membership(op.kind, op.body)
        if not isinstance(body, MemberRemove) or body.member != replica.me.signing_public or (
            not state.membership.may_ever(op.author, Role.ADMIN)
        ):
            raise MalformedOp
    except (MalformedOp, OpTooLarge, BadSignature):
        return Received("notice", error=BadBundle(), step="removal notice check")
    if state.segment.hex() in replica.status.removed:
        return Received("notice", segment=state.segment)  # told already
    by = replica.label_of(op.author)
    replica.status.removed[state.segment.hex()] = by
    replica.save()
    name = state.segment.hex()[:12]
    if replica.store.has_segment(state.segment):
        name = replica.vault.segments.by_id(state.segment).name
    return Received("notice", True, state.segment, removed_by=by, removed_from=name)


def queue_notice(replica: Replica, peer_sign: bytes, peer_box: bytes, state: SegmentState,
                 removal: bytes) -> None:
    """Owe a removed ``peer`` a notice of their removal (the signed ``member.remove``)."""
    notice = make_notice(replica.me, peer_sign, peer_box, state.segment, state.founder, removal)
    drop(replica, peer_sign, state.segment)
    replica.status.welcomes.append(
        {"peer": peer_sign.hex(), "segment": state.segment.hex(), "data": notice.hex(),
         "epoch": "removed"}
    )


def _free_name(replica: Replica, name: str, peer: Peer) -> str:
    taken = {s.name.casefold() for s in replica.vault.segments.all()}
    for candidate in (name, f"{name} ({peer.label})"):
        if candidate.casefold() not in taken and len(candidate) <= 64:
            return candidate
    return f"{name[:40]} {time.time_ns() % 10**8}"


def queue(replica: Replica, peer_sign: bytes, peer_box: bytes, state: SegmentState,
          name: str) -> None:
    """Owe ``peer`` a welcome to ``state`` carrying every key held (replacing an older one)."""
    welcome = make_welcome(
        replica.me, peer_sign, peer_box, state.segment, state.founder, name,
        [(e, k) for e in sorted(state.keys) for k in state.keys[e]],
    )
    drop(replica, peer_sign, state.segment)
    replica.status.welcomes.append(
        {"peer": peer_sign.hex(), "segment": state.segment.hex(), "data": welcome.hex(),
         "epoch": str(max(state.keys))}
    )


def drop(replica: Replica, peer: bytes, segment: bytes) -> None:
    """Stop delivering the welcome owed to ``peer`` for ``segment``."""
    replica.status.welcomes = [
        w for w in replica.status.welcomes
        if (w["peer"], w["segment"]) != (peer.hex(), segment.hex())
    ]


def drop_if_held(replica: Replica, peer: bytes, state: SegmentState, epoch: int) -> None:
    """Drop the welcome owed to ``peer`` once they showed they hold key ``epoch`` or newer."""
    for item in list(replica.status.welcomes):
        if (item["peer"], item["segment"]) == (peer.hex(), state.segment.hex()) and item.get(
            "epoch", "0"
        ).isdigit() and epoch >= int(item.get("epoch", "0")):
            drop(replica, peer, state.segment)
