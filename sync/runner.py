"""The one sync runner: the only sync module (with ``sync/transports/``) that reads the clock.

    replica = Replica(vault)
    received = receive(replica, data, now_ms())          # a bundle or a welcome, all or nothing
    share(replica, "Tenants", "sam", Role.WRITER, now)    # member.add + a welcome for sam
    unshare(replica, "Tenants", "sam", now)               # member.remove, rotating the key
    push_folder(replica, path) / pull_folder(replica, path)
    (direct sessions: ``sync/session.py``)

Rules and reasons:
- Local edits are captured (``sync.local.capture``) before anything is received, so a remote
  change never overwrites an edit that has not become an op yet.
- One bundle is one transaction: the pipeline runs on the in-memory state, then every
  resulting record change and the new segment state are written in one vault transaction.
  A failure (or a crash) before commit leaves the vault and its stored state as before, and
  the process exits without the in-memory changes.
- An op without effect (a removed member's late edit) is logged, as the protocol says, and
  counted (``Received.voided``) so the person syncing is told; it is never refused, because a
  member who took it before hearing of the removal forwards it, and refusing it would refuse
  every later bundle from that member (issue 11, item 3).
- A bundle carrying an op signed by a halted key is kept, not taken, until a person verifies
  again (spec §2.3); a welcome is taken by ``sync/welcomes.py`` under its own rules.
- Sharing needs a verified peer; removing a member (or taking someone else's removal) queues
  a welcome with the new key for every remaining member who is a verified peer, since bundles
  are never sealed under a key older than the latest removal
  (``MembershipLog.epoch_known_to``).
- A segment deleted on this device (``kith segment delete``) is never captured (that would
  send a delete for every record) and received changes for it are logged but not applied.
- Nothing is sent to a peer whose key changed (halted), nor for a segment they are not a
  current member of; a folder push skips a segment while any of its members is halted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from sync import bundle, local, welcomes
from sync import sending as outbox
from sync.bodies import KeyRotate, MemberRemove, Role, parse_membership
from sync.changes import changes_for
from sync.errors import (
    BadBundle,
    BundleTooLarge,
    MalformedOp,
    NotShared,
    OpTooLarge,
    PeerKeyChanged,
    UnknownPeer,
    UnverifiedPeer,
)
from sync.ops import MEMBERSHIP_KINDS, Kind, Op, parse, sealed_epoch
from sync.peers import Peer
from sync.pipeline import receive_ops
from sync.replica import Replica
from sync.state import SegmentState
from sync.transports import folder as folder_transport
from sync.welcomes import Received

__all__ = ["Received"]


def now_ms() -> int:
    """The physical clock, in milliseconds (the runner is the one place that reads it)."""
    return int(time.time() * 1000)


# -- receiving ----------------------------------------------------------------------------------


def receive(replica: Replica, data: bytes, now: int) -> Received:
    """Take one bundle or welcome through every check, then apply it in one transaction."""
    try:
        opened = bundle.open_bundle(data, replica.state.bundle_keys())
    except (BadBundle, BundleTooLarge) as exc:
        if isinstance(exc, BadBundle) and exc.detail != bundle.DAMAGED:
            got = welcomes.take(replica, data)  # no key's hint matched: perhaps a welcome
            if got.error is None or not isinstance(got.error, BadBundle):
                return got
        step = "size limits" if isinstance(exc, BundleTooLarge) else "bundle decryption"
        return Received("bundle", error=exc, step=step)
    state = replica.state.segments[opened.segment]
    if _from_halted_key(replica, opened.ops):
        # kept: once a person verifies the new number, the next pull takes it
        return Received("bundle", segment=state.segment, error=PeerKeyChanged(),
                        step="membership and role", retryable=True)
    was_member = replica.me.signing_public in state.membership.members()
    outcome = receive_ops(state, opened.ops, replica.me, now)
    if not outcome.applied:
        first = outcome.rejections[0]
        return Received("bundle", segment=state.segment, error=first.error,
                        step=first.step.value, retryable=outcome.retryable,
                        sender_vector=opened.sender_vector)
    if outcome.latest is not None:
        replica.state.clock.observe(outcome.latest, now)
    with replica.vault.live_store.transaction():
        shredded = False
        if _held_here(replica, state.segment):  # a segment deleted here keeps only its log
            shredded = local.apply(replica, state, changes_for(state, outcome.touched))
        replica.dirty.add(state.segment)
        for op in outcome.accepted:
            if op.author != replica.me.signing_public:
                replica.status.heard[op.author.hex()] = now
                _note_epoch_held(replica, state, op)
        if any(op.kind is Kind.MEMBER_REMOVE for op in outcome.accepted):
            _pass_new_key_on(replica, state)
        replica.save()
    if shredded:
        replica.vault.live_store.vacuum()
    replica.vault.drop_indexes()
    removed_by, removed_from = _membership_news(replica, state, was_member)
    return Received(
        "bundle", True, state.segment, len(outcome.accepted), outcome.replayed,
        [replica.label_of(author) for author, _ in outcome.forks],
        voided=sum(1 for op in outcome.accepted if not state.has_effect(op)),
        removed_by=removed_by, removed_from=removed_from, sender_vector=opened.sender_vector,
    )


def _membership_news(
    replica: Replica, state: SegmentState, was_member: bool
) -> tuple[str | None, str | None]:
    """(remover, segment name) if this bundle removed this device (told once); also clears a
    removal once this device is a member again."""
    me = replica.me.signing_public
    if me in state.membership.members():
        if replica.status.removed.pop(state.segment.hex(), None) is not None:
            replica.save()  # added back: capture and send again
        return None, None
    if not was_member or state.segment.hex() in replica.status.removed:
        return None, None
    removed_by = replica.label_of(_remover(state, me))
    replica.status.removed[state.segment.hex()] = removed_by
    replica.save()
    name = state.segment.hex()[:12]
    if _held_here(replica, state.segment):
        name = replica.vault.segments.by_id(state.segment).name
    return removed_by, name


def _from_halted_key(replica: Replica, wires: list[bytes]) -> bool:
    """Whether an op in ``wires`` is by a key whose label is halted (spec §2.3).

    Only the author is looked at (no seq, no clock): nothing else in an op may be used
    before its signature is checked (§4.1).
    """
    halted = {bytes.fromhex(k) for k in replica.status.halted_keys}
    halted |= {p.signing_public for p in replica.peers.peers.values() if p.halted}
    if not halted:
        return False
    for raw in wires:
        try:
            if parse(raw).author in halted:
                return True
        except (MalformedOp, OpTooLarge):
            return False  # the pipeline reports it
    return False


def _note_epoch_held(replica: Replica, state: SegmentState, op: Op) -> None:
    """An op by a peer shows which key they hold: their pending welcome may be done."""
    if op.kind in MEMBERSHIP_KINDS:
        body = parse_membership(op.kind, op.body)
        epoch = body.epoch if isinstance(body, (MemberRemove, KeyRotate)) else -1
    else:
        epoch = sealed_epoch(op)[0]
    if epoch >= 0:
        welcomes.drop_if_held(replica, op.author, state, epoch)


def _pass_new_key_on(replica: Replica, state: SegmentState) -> None:
    """After learning of a removal, owe a welcome with every key held to each remaining member
    who is a verified peer here: bundles are sealed under the new epoch (§9), and a member who
    is not the remover's peer could otherwise never get the key to open them."""
    if replica.me.signing_public not in state.membership.members() or not _held_here(
        replica, state.segment
    ):
        return
    floor = state.membership.removal_floor()[1]
    if not state.keys.get(floor):
        return
    name = replica.vault.segments.by_id(state.segment).name
    for peer in replica.peers.peers.values():  # replaces an older pending welcome, if any
        key = peer.signing_public
        if key in state.membership.members() and key != replica.me.signing_public and (
            peer.verified and not peer.halted
        ):
            welcomes.queue(replica, key, peer.box_public, state, name)


def _remover(state: SegmentState, member: bytes) -> bytes:
    """The author of the effective removal of ``member`` (the latest one)."""
    for admin_op in reversed(state.membership.ops):
        body = admin_op.body
        if isinstance(body, MemberRemove) and body.member == member and (
            state.membership.is_effective(admin_op.stamp.op_id)
        ):
            return admin_op.author
    return state.founder


# -- local changes and membership ---------------------------------------------------------------


def _held_here(replica: Replica, segment_id: bytes) -> bool:
    """Whether the vault still has this segment (``kith segment delete`` removes it)."""
    return replica.store.has_segment(segment_id)


def capture_all(replica: Replica, now: int) -> int:
    """Capture local edits in every shared segment that still exists here."""
    sent = 0
    for segment_id, state in sorted(replica.state.segments.items()):
        if segment_id.hex() in replica.status.removed:
            continue  # an admin's signed notice said this device was removed
        if _held_here(replica, segment_id):  # never turn a deleted segment into deletes
            sent += local.capture(replica, state, now)
    return sent


def _peer(replica: Replica, label: str) -> Peer:
    """The peer ``label``, which must be verified and not halted (spec §2.2, §2.3)."""
    peer = replica.peers.peers.get(label)
    if peer is None:
        raise UnknownPeer
    if peer.halted:
        raise PeerKeyChanged
    if not peer.verified:
        raise UnverifiedPeer()
    return peer


def share(replica: Replica, name: str, label: str, role: Role, now: int) -> SegmentState:
    """Share a segment with a peer: ``member.add`` (founding it first), and a welcome."""
    found = replica.vault.segments.find(name)
    peer = _peer(replica, label)
    capture_all(replica, now)
    state = replica.state.segments.get(found.id)
    if state is None:
        state = replica.writer.create_segment(found.id, now)
        replica.state.segments[found.id] = state
        local.capture(replica, state, now)
    replica.writer.add_member(state, peer, role, now)
    welcomes.queue(replica, peer.signing_public, peer.box_public, state, found.name)
    replica.dirty.add(found.id)
    replica.save()
    return state


def unshare(replica: Replica, name: str, label: str, now: int) -> SegmentState:
    """Remove a peer from a segment; the same signed op rotates the segment key."""
    found = replica.vault.segments.find(name)
    peer = replica.peers.peers.get(label)
    if peer is None:
        raise UnknownPeer
    state = replica.state.segments.get(found.id)
    if state is None or peer.signing_public not in state.membership.members():
        raise NotShared
    capture_all(replica, now)
    removal = replica.writer.remove_member(state, peer.signing_public, now)
    welcomes.drop(replica, peer.signing_public, found.id)
    if peer.verified and not peer.halted:  # tell them, with the signed op as proof
        welcomes.queue_notice(replica, peer.signing_public, peer.box_public, state, removal.wire)
    for other in replica.peers.peers.values():  # the new key reaches stale members (§9.1)
        if other.signing_public in state.membership.members() and other.verified and (
            not other.halted and other.signing_public != replica.me.signing_public
        ):
            welcomes.queue(replica, other.signing_public, other.box_public, state, found.name)
    replica.dirty.add(found.id)
    replica.save()
    return state


def _halted_member(replica: Replica, state: SegmentState) -> bool:
    members = state.membership.members()
    if any(bytes.fromhex(key) in members for key in replica.status.halted_keys):
        return True
    return any(p.halted and p.signing_public in members for p in replica.peers.peers.values())


def add_peer(replica: Replica, label: str, signing_public: bytes, box_public: bytes) -> Peer:
    """Record the keys ``label`` shows; a change halts it (saved, then ``PeerKeyChanged``)."""
    before = replica.peers.peers.get(label)
    try:
        return replica.peers.observe(label, signing_public, box_public)
    except PeerKeyChanged:
        if before is not None and before.signing_public != signing_public:
            replica.status.halted_keys[before.signing_public.hex()] = label
        raise
    finally:
        replica.save()


def verify_peer(replica: Replica, label: str, number: str) -> Peer:
    """Mark ``label`` verified (the person compared ``number``); lifts its halt."""
    if label not in replica.peers.peers:
        raise UnknownPeer
    mine = (replica.me.signing_public, replica.me.box_public)
    peer = replica.peers.verify(label, mine, number)
    replica.status.halted_keys = {
        k: v for k, v in replica.status.halted_keys.items() if v != label
    }
    replica.save()
    return peer


# -- folder -------------------------------------------------------------------------------------


@dataclass
class FolderReport:
    """What one push or pull did."""

    written: int = 0
    taken: list[Received] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unopened: int = 0
    ignored: int = 0


MAX_KEPT = 1024
"""Files kept for a later pull, per folder: beyond it the oldest are dropped, so junk that
looks like a bundle cannot make every pull re-read an unbounded folder."""


def _lower_written(replica: Replica, folder: str, got: Received | None) -> None:
    """A reader's bundle shows what it held: never believe the folder gave it more.

    ``folders`` records what this device wrote to a folder, so a push sends only the rest;
    but a file can be lost, damaged or refused on the way. Each bundle carries its sender's
    vector, so when one shows an author's ops this device wrote there are not held by its
    sender, the record is lowered to match and the next push sends them again (issue 11,
    item 3: a refused bundle never advances what is recorded). Costs duplicates at most.
    """
    if got is None or got.segment is None or got.sender_vector is None:
        return
    written = replica.status.folders.get(folder, {}).get(got.segment.hex())
    if not written:
        return
    for author, seq in list(written.items()):
        held = got.sender_vector.get(bytes.fromhex(author), 0)
        if held < seq:
            if held:
                written[author] = held
            else:
                del written[author]


def _kept(got: Received) -> bool:
    """Whether a file may still be taken later (kept), rather than taken or dropped now."""
    if got.applied:
        return False
    if got.retryable:
        return True
    return (
        got.kind == "bundle" and isinstance(got.error, BadBundle)
        and got.error.detail != bundle.DAMAGED
    )


def push_folder(replica: Replica, path: Path) -> FolderReport:
    """Write every op not yet written to ``path``, and pending welcomes, as sealed files."""
    now = now_ms()
    capture_all(replica, now)
    report = FolderReport()
    key = str(path.resolve())
    written = replica.status.folders.setdefault(key, {})
    mine: list[str] = []  # our own files: never taken back
    try:
        for segment_id, state in sorted(replica.state.segments.items()):
            if replica.me.signing_public not in state.membership.members() or (
                segment_id.hex() in replica.status.removed
            ):
                continue
            if _halted_member(replica, state):
                report.skipped.append(segment_id.hex())
                continue
            before = {bytes.fromhex(a): s for a, s in written.get(segment_id.hex(), {}).items()}
            for data in outbox.bundles_for(state, before):
                mine.append(folder_transport.write(path, data))
                report.written += 1
            written[segment_id.hex()] = {a.hex(): s for a, s in state.vector().items()}
        for item in replica.status.welcomes:
            marker = f"welcome:{item['peer']}:{item['segment']}:{item.get('epoch', '0')}"
            if marker not in written:
                mine.append(folder_transport.write(path, bytes.fromhex(item["data"])))
                written[marker] = {}
                report.written += 1
        replica.status.processed[key] = sorted({*replica.status.processed.get(key, []), *mine})
        replica.save()
    except BaseException:
        # A full folder or an interrupt: take back this push's files, since the state that
        # would record them was not saved (the next push writes them again). Nothing changed.
        for name in mine:
            (path / name).unlink(missing_ok=True)
        raise
    return report


def pull_folder(replica: Replica, path: Path) -> FolderReport:
    """Take every complete file in ``path`` not taken before (in as many passes as needed).

    Each file is taken once or dropped once (``status.processed``): a file that is not a Kith
    file or is too large is dropped after an 8-byte peek (``ignored``); a welcome for someone
    else, a bundle for a segment held here that fails to open (damaged), and a bundle refused
    for a lasting reason are dropped and reported once. Only what may open or pass later is
    kept for the next pull: a bundle no key here opens yet (a key may arrive), and a retryable
    refusal; at most ``MAX_KEPT`` files per folder are kept, the oldest dropped first.
    """
    now = now_ms()
    capture_all(replica, now)
    replica.save()
    report = FolderReport()
    key = str(path.resolve())
    processed = set(replica.status.processed.get(key, []))
    pending: list[str] = []
    for name in folder_transport.complete(path):
        if name in processed:
            continue
        why = folder_transport.peek(path, name)
        if why is None:
            pending.append(name)
        elif why != folder_transport.GONE:
            processed.add(name)
            report.ignored += 1
    last: dict[str, Received] = {}
    progress = True
    while pending and progress:
        progress = False
        for name in list(pending):
            data = folder_transport.read(path, name)
            got = receive(replica, data, now) if data is not None else None
            del data  # one file in memory at a time
            _lower_written(replica, key, got)
            if got is not None and _kept(got):
                last[name] = got
                continue
            processed.add(name)
            pending.remove(name)
            if got is not None and (got.applied or got.error is not None) and not (
                got.kind == "welcome" and isinstance(got.error, BadBundle)  # someone else's
            ):
                report.taken.append(got)
            progress = progress or (got is not None and got.applied)
    for name in pending[:-MAX_KEPT] if len(pending) > MAX_KEPT else []:
        processed.add(name)
        pending.remove(name)
    for name in pending:  # kept for the next pull: report why, once
        got = last[name]
        if isinstance(got.error, BadBundle):
            report.unopened += 1
        else:
            report.taken.append(got)
    replica.status.processed[key] = sorted(processed)
    replica.save()
    return report
