"""Everything one replica knows about its shared segments, and its one strict serialization.

A ``SegmentState`` holds the op log (every accepted op, in acceptance order, with the opened
plaintext of content bodies), the chains, the gap buffer, membership and the merged content.
Everything but the log, the buffer and the fork evidence is *derived*: membership and merge are
folds over the log, so a stored state is just those three lists, and loading it re-folds.

Stored layout (``to_bytes``; phase 2 keeps it as one sealed record, so it is authentic)::

    segment state = frame(enc("kith/segment-state/1", segment id, founder, log count,
                              buffer count, fork count),
                          enc(op wire, opened content plaintext or empty) x log count,
                          op wire x buffer count,
                          enc(author, seq, our op id, their op wire) x fork count)
    sync state    = frame(enc("kith/sync-state/1", hlc wall, hlc counter, segment count),
                          segment state x segment count)

Rules and reasons:
- Loading is strict (``BadSyncState`` on any malformation) and re-checks every chain link, so a
  damaged store cannot smuggle in an op out of order; signatures are not re-verified, since the
  sealed record around the state already proves it is the one this device wrote.
- Segment keys are never in the state: they live in the vault keyring, wrapped under the
  local-wrap key; the caller adds them with ``add_key`` after loading.
- ``MAX_LOG_OPS`` (1 Mi ops per segment) bounds what a load will allocate.
- The opened plaintext of a deleted record's puts and notes is dropped (``redact``): the
  log then holds only their sealed bodies, so the local copy of a deleted contact's text is
  not kept in the clear-after-unlock state (see docs/sync.md for what remains).
- An op's *effect* is decided when membership is folded (``effect``): an op that is in the log
  can still do nothing (its author lacked the role at its date, or was cut off).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sync import vv
from sync.bodies import Content, RecordDelete, Role, parse_content, parse_membership
from sync.bundle import SegmentKey
from sync.chain import Chain, Fork, GapBuffer, StagedChain, Verdict
from sync.errors import BadSyncState, KeyUnavailable
from sync.framing import frame, unframe
from sync.hlc import Hlc, HybridClock
from sync.membership import AdminOp, MembershipLog
from sync.merge import MergeState, RecordState
from sync.ops import CONTENT_KINDS, MAX_OP_BYTES, MEMBERSHIP_KINDS, Op, parse
from vault.encoding import decode, enc
from vault.errors import KithError

SEGMENT_LABEL = "kith/segment-state/1"
STATE_LABEL = "kith/sync-state/1"
MAX_LOG_OPS = 1 << 20
MAX_SEGMENTS = 1024
_MAX_ITEM = 2 * MAX_OP_BYTES + 64


@dataclass(frozen=True)
class Entry:
    """One accepted op, with its opened content (None for a membership op)."""

    op: Op
    content: Content | None
    plain: bytes = b""


class SegmentState:
    """One segment as this replica holds it."""

    def __init__(self, segment: bytes, founder: bytes) -> None:
        self.segment = segment
        self.founder = founder
        self.log: list[Entry] = []
        self.positions: dict[bytes, list[int]] = {}
        self.chains: dict[bytes, Chain] = {}
        self.buffer = GapBuffer()
        self.membership = MembershipLog(founder)
        self.merge = MergeState()
        self.keys: dict[int, list[bytes]] = {}
        self.key_sources: dict[bytes, bytes] = {}
        self.opening_keys: list[tuple[int, bytes]] = []

    # -- chains and vectors ---------------------------------------------------------------------

    def chain(self, author: bytes) -> Chain:
        """``author``'s chain (empty if never seen)."""
        return self.chains.setdefault(author, Chain())

    def vector(self) -> dict[bytes, int]:
        """This replica's version vector for the segment."""
        return vv.of_heads((author, chain.head) for author, chain in self.chains.items())

    def forks(self) -> dict[bytes, Fork]:
        """Quarantined authors and their fork evidence."""
        return {a: c.fork for a, c in self.chains.items() if c.fork is not None}

    def lacking(self, theirs: vv.Vector) -> list[Op]:
        """The ops a replica with vector ``theirs`` lacks, in this replica's acceptance order.

        Acceptance order puts every op after what it needs (its chain predecessor, and the
        ``member.add`` that admitted its author), so the receiver can take them in one pass.
        """
        indexes: list[int] = []
        for author, positions in self.positions.items():
            indexes.extend(positions[theirs.get(author, 0) :])
        return [self.log[i].op for i in sorted(indexes)]

    # -- keys -----------------------------------------------------------------------------------

    def add_key(self, epoch: int, key: bytes, source: bytes | None = None) -> None:
        """Remember a segment key (from the keyring, or learned from a share).

        ``source`` is the op id of the rotation that made it, when known: it picks the right
        key when concurrent rotations gave one epoch number two keys.
        """
        known = self.keys.setdefault(epoch, [])
        if key not in known:
            known.append(key)
        if source is not None:
            self.key_sources[source] = key

    def add_opening_key(self, epoch: int, key: bytes) -> bool:
        """Remember a key from a welcome: it may open bundles, and is trusted for nothing else.

        A welcome's keys are the sender's word, not an admin's signed share: a member (or a
        removed one) could name any key. Such a key only helps open a bundle and op bodies
        (whose ops are checked one by one: signature, role, chain); nothing is ever sealed
        under it, only under keys learned from admin-signed shares (``add_key``). Returns
        whether the key was new.
        """
        if (epoch, key) in self.opening_keys or key in self.keys.get(epoch, []):
            return False
        self.opening_keys.append((epoch, key))
        return True

    def bundle_keys(self) -> list[SegmentKey]:
        """Every key a bundle for this segment may be sealed under, newest epoch first."""
        trusted = [
            SegmentKey(self.segment, epoch, key)
            for epoch in sorted(self.keys, reverse=True)
            for key in reversed(self.keys[epoch])
        ]
        held = {(k.epoch, k.key) for k in trusted}
        return trusted + [
            SegmentKey(self.segment, epoch, key)
            for epoch, key in sorted(self.opening_keys, reverse=True)
            if (epoch, key) not in held
        ]

    def key_for(self, theirs: vv.Vector) -> SegmentKey:
        """The key to seal a bundle for a replica with vector ``theirs`` (``epoch_known_to``)."""
        epoch, source = self.membership.epoch_known_to(theirs)
        key = self.key_sources.get(source)
        if key is None and self.keys.get(epoch):
            key = self.keys[epoch][-1]
        if key is None:
            raise KeyUnavailable
        return SegmentKey(self.segment, epoch, key)

    def write_key(self) -> SegmentKey:
        """The key new content and bundles are sealed under; ``KeyUnavailable`` if not held."""
        epoch = self.membership.write_epoch()
        if not self.keys.get(epoch):
            raise KeyUnavailable
        return SegmentKey(self.segment, epoch, self.keys[epoch][-1])

    # -- applying -------------------------------------------------------------------------------

    def append(self, entry: Entry) -> None:
        """Add an accepted entry to the log (its chain is committed by the caller)."""
        self.positions.setdefault(entry.op.author, []).append(len(self.log))
        self.log.append(entry)

    def effect(self, entry: Entry) -> bytes | None:
        """Merge one content entry if its author could write at its date; the record id."""
        op = entry.op
        if entry.content is None or not self.membership.allows(
            op.author, op.seq, op.stamp, Role.WRITER
        ):
            return None
        return self.merge.apply(op.stamp, entry.content)

    def has_effect(self, op: Op) -> bool:
        """Whether an op in the log takes effect (its author held the role at its date)."""
        if op.kind in MEMBERSHIP_KINDS:
            return self.membership.is_effective(op.op_id)
        return self.membership.allows(op.author, op.seq, op.stamp, Role.WRITER)

    def rebuild(self) -> set[bytes]:
        """Re-fold membership and merge from the log; returns the records whose state changed."""
        before: dict[bytes, RecordState] = dict(self.merge.records)
        self.membership = MembershipLog(
            self.founder,
            (
                AdminOp(e.op.stamp, e.op.seq, parse_membership(e.op.kind, e.op.body))
                for e in self.log
                if e.op.kind in MEMBERSHIP_KINDS
            ),
        )
        self.merge = MergeState()
        for entry in self.log:
            self.effect(entry)
        after = self.merge.records
        return {rid for rid in before.keys() | after.keys() if before.get(rid) != after.get(rid)}

    def redact(self, record_ids: set[bytes]) -> list[int]:
        """Forget the opened plaintext of every put and note of deleted ``record_ids``.

        The op (its sealed body and signature) stays, so the chain can still be verified and
        forwarded to members who lack it; the delete op itself is kept whole, so re-folding
        still tombstones the record. Returns the log indexes that changed.
        """
        changed: list[int] = []
        for index, entry in enumerate(self.log):
            content = entry.content
            if (
                content is not None and content.record_id in record_ids
                and not isinstance(content, RecordDelete)
            ):
                self.log[index] = Entry(entry.op, None, b"")
                changed.append(index)
        return changed

    # -- storage --------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The strict serialization (see the module docstring)."""
        head, rest = self.head_and_rest()
        return frame([head, *(self.entry_bytes(i) for i in range(len(self.log))), *rest])

    def entry_bytes(self, index: int) -> bytes:
        """The stored item of log entry ``index`` (lets a store append the log incrementally)."""
        entry = self.log[index]
        return enc(entry.op.wire, entry.plain)

    def head_and_rest(self) -> tuple[bytes, list[bytes]]:
        """The stored head item and the buffer and fork items (everything but the log).

        ``frame([head, *entry items, *rest])`` is ``to_bytes()``: a store may keep the
        append-only log as separate items and rewrite only this small part.
        """
        forks = self.forks()
        head = enc(
            SEGMENT_LABEL, self.segment, self.founder, len(self.log), len(self.buffer.ops),
            len(forks),
        )
        rest = [
            *(op.wire for op in self.buffer.ops.values()),
            *(enc(a, f.seq, f.ours, f.theirs) for a, f in sorted(forks.items())),
        ]
        return head, rest

    @classmethod
    def from_bytes(cls, data: bytes) -> SegmentState:
        """Load what ``to_bytes`` wrote; anything else is ``BadSyncState``."""
        try:
            return cls._load(data)
        except (ValueError, KeyError, IndexError, KithError) as exc:
            raise BadSyncState from exc

    @classmethod
    def _load(cls, data: bytes) -> SegmentState:
        items, end = unframe(data, max_items=3 * MAX_LOG_OPS + 1, max_item=_MAX_ITEM)
        if end != len(data) or not items:
            raise ValueError("trailing bytes")
        head = decode(items[0], max_parts=6)
        if len(head) != 6 or head[0] != SEGMENT_LABEL.encode() or len(head[2]) != 32:
            raise ValueError("bad head")
        n_log, n_buf, n_fork = (_u64(p) for p in head[3:6])
        if n_log > MAX_LOG_OPS or len(items) != 1 + n_log + n_buf + n_fork:
            raise ValueError("bad counts")
        state = cls(head[1], head[2])
        staged: dict[bytes, StagedChain] = {}
        for raw in items[1 : 1 + n_log]:
            wire, plain = _pair(raw)
            op = parse(wire)
            chain = staged.setdefault(op.author, StagedChain(state.chain(op.author)))
            if op.segment != state.segment or chain.classify(op) is not Verdict.NEXT:
                raise ValueError("broken chain")
            chain.append(op)
            # an empty plaintext on a content op is a redacted entry (its record was deleted)
            content = parse_content(op.kind, plain) if op.kind in CONTENT_KINDS and plain else None
            if content is None and plain:
                raise ValueError("plaintext on a membership op")
            state.append(Entry(op, content, plain))
        for chain in staged.values():
            chain.commit()
        for raw in items[1 + n_log : 1 + n_log + n_buf]:
            if not state.buffer.add(parse(raw)):
                raise ValueError("buffer overflow")
        for raw in items[1 + n_log + n_buf :]:
            parts = decode(raw, max_parts=4)
            if len(parts) != 4 or parts[0] not in state.chains:
                raise ValueError("bad fork")
            state.chains[parts[0]].fork = Fork(_u64(parts[1]), parts[2], parts[3])
        state.rebuild()
        return state


def _u64(raw: bytes) -> int:
    if len(raw) != 8:
        raise ValueError("bad integer")
    return int.from_bytes(raw, "big")


def _pair(raw: bytes) -> tuple[bytes, bytes]:
    parts = decode(raw, max_parts=2)
    if len(parts) != 2:
        raise ValueError("bad entry")
    return parts[0], parts[1]


class SyncState:
    """Every shared segment of one replica, plus its hybrid logical clock."""

    def __init__(self, clock: HybridClock | None = None) -> None:
        self.clock = clock or HybridClock()
        self.segments: dict[bytes, SegmentState] = {}

    def bundle_keys(self) -> list[SegmentKey]:
        """Every key any incoming bundle may be sealed under."""
        return [key for seg in self.segments.values() for key in seg.bundle_keys()]

    def to_bytes(self) -> bytes:
        """The strict serialization (keys excluded; see the module docstring)."""
        head = enc(STATE_LABEL, self.clock.last.wall_ms, self.clock.last.counter,
                   len(self.segments))
        return frame([head, *(s.to_bytes() for _, s in sorted(self.segments.items()))])

    @classmethod
    def from_bytes(cls, data: bytes, keys: Iterable[SegmentKey] = ()) -> SyncState:
        """Load what ``to_bytes`` wrote, then add ``keys``; anything else is ``BadSyncState``."""
        try:
            items, end = unframe(data, max_items=MAX_SEGMENTS + 1, max_item=len(data))
            head = decode(items[0], max_parts=4) if items else []
            if (
                end != len(data) or len(head) != 4 or head[0] != STATE_LABEL.encode()
                or _u64(head[3]) != len(items) - 1
            ):
                raise ValueError("bad head")
            state = cls(HybridClock(Hlc(_u64(head[1]), _u64(head[2]))))
        except ValueError as exc:
            raise BadSyncState from exc
        for raw in items[1:]:
            segment = SegmentState.from_bytes(raw)
            if segment.segment in state.segments:
                raise BadSyncState
            state.segments[segment.segment] = segment
        for key in keys:
            if key.segment in state.segments:
                state.segments[key.segment].add_key(key.epoch, key.key)
        return state
