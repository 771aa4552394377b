"""The receive pipeline: every check, in DESIGN §6 order, staged, then all or nothing.

State machine for one bundle (``docs/state-machines/pipeline.md``)::

    RECEIVED --size ok--> SIZED --key found, stream and framing ok--> OPENED
    OPENED: for each op, in bundle order:
        PARSE      strict op parse; op names this segment; membership bodies parse
        ROLE       author was ever a member (NotAMember), with a role allowing the kind
                   (RoleDenied)
        SIGNATURE  Ed25519 over the signed bytes (BadSignature)
        CHAIN      NEXT: go on | REPLAY: no-op | GAP: buffer | FORK: quarantine the author |
                   QUARANTINED: ignore
        CLOCK      hlc at most 10 minutes ahead of our physical clock (ClockSkew)
        BODY       open the sealed body or our key shares (KeyUnavailable, BadOpBody); a
                   body whose key is not held yet waits for the end of the bundle, since a
                   member.add later in it may carry that key
        STAGED     then drain the gap buffer for that author (CHAIN, CLOCK, BODY again)
    any rejection of an op of this bundle --> REJECTED: nothing is applied
    all ops staged --> COMMITTED: chains, log, buffer, forks, keys, membership, merge

Rules and reasons:
- The order is cheapest-first and keeps secrets last: a bundle must be authentic before any op
  in it is parsed, an op's author must be a member before their signature is checked (so an
  outsider cannot make us verify signatures at will), and a body is decrypted only once the op
  is known to be authentic, in order and plausibly dated.
- A bundle is one unit: if any of its ops is rejected, nothing from it is applied (not even a
  quarantine), so a damaged bundle cannot leave half a change behind. Replays, gaps, forks and
  ops of quarantined authors are not rejections: each is a normal outcome of gossip.
- Ops buffered by an *earlier* bundle that fail when the gap fills are dropped from the buffer
  and reported (``dropped``), without failing the bundle that filled the gap.
- Running the pipeline twice on one bundle changes nothing the second time: every op is then a
  replay (idempotence).
- Time is passed in (``now_ms``); the caller advances its clock with ``ReceiveOutcome.latest``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from sync import bundle, ops
from sync.bodies import (
    MemberAdd,
    Membership,
    Role,
    parse_content,
    parse_membership,
    parse_share,
)
from sync.chain import Fork, StagedChain, Verdict
from sync.errors import (
    BadBundle,
    BadOpBody,
    BadSignature,
    BundleTooLarge,
    ClockSkew,
    KeyUnavailable,
    MalformedOp,
    NotAMember,
    OpTooLarge,
    RoleDenied,
    SyncRejection,
)
from sync.hlc import Hlc, check_skew
from sync.membership import AdminOp, MembershipLog
from sync.ops import MAX_SEQ, MEMBERSHIP_KINDS, Op
from sync.state import Entry, SegmentState, SyncState
from vault.errors import IntegrityError


class Me(Protocol):
    """The local device, as the pipeline needs it: ``vault.core.identity.DeviceIdentity`` fits."""

    @property
    def signing_public(self) -> bytes: ...

    @property
    def box_public(self) -> bytes: ...

    def open_box(self, sealed: bytes) -> bytes: ...


class Step(Enum):
    """Where in the pipeline a bundle or op was stopped."""

    SIZE = "size limits"
    OPEN = "bundle decryption and framing"
    PARSE = "strict parse"
    ROLE = "membership and role"
    SIGNATURE = "signature"
    CHAIN = "sequence and chain"
    CLOCK = "clock skew"
    BODY = "body decryption"


@dataclass(frozen=True)
class Rejection:
    """Why a bundle (``author`` None) or one of its ops was refused."""

    step: Step
    error: SyncRejection
    author: bytes | None = None
    seq: int | None = None


@dataclass
class ReceiveOutcome:
    """What one run of the pipeline did."""

    applied: bool = False
    segment: bytes | None = None
    accepted: list[Op] = field(default_factory=list)
    replayed: int = 0
    buffered: int = 0
    ignored: int = 0
    forks: list[tuple[bytes, Fork]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    dropped: list[Rejection] = field(default_factory=list)
    touched: set[bytes] = field(default_factory=set)
    new_keys: list[tuple[int, bytes]] = field(default_factory=list)
    latest: Hlc | None = None
    sender_vector: dict[bytes, int] = field(default_factory=dict)

    @property
    def retryable(self) -> bool:
        """Whether the same bundle may be accepted later (every rejection is retryable)."""
        return bool(self.rejections) and all(r.error.retryable for r in self.rejections)


class _Stop(Exception):
    """Internal control flow: one op stopped the bundle at ``step`` (never leaves the module)."""

    def __init__(self, step: Step, error: SyncRejection, op: Op | None = None) -> None:
        super().__init__(step.value)
        self.step = step
        self.error = error
        self.op = op


class _Stage:
    """One pipeline run over one segment: everything staged, nothing applied until commit."""

    def __init__(self, state: SegmentState, me: Me, now_ms: int) -> None:
        self.state = state
        self.me = me
        self.now_ms = now_ms
        self.chains: dict[bytes, StagedChain] = {}
        self.membership: MembershipLog = state.membership
        self.membership_changed = False
        self.keys: list[tuple[int, bytes, bytes | None]] = []
        self.entries: list[Entry] = []
        self.deferred: list[int] = []
        self.gaps: dict[tuple[bytes, int], Op] = {}
        self.taken: set[tuple[bytes, int]] = set()
        self.outcome = ReceiveOutcome(segment=state.segment)

    def chain(self, author: bytes) -> StagedChain:
        if author not in self.chains:
            self.chains[author] = StagedChain(self.state.chain(author))
        return self.chains[author]

    # -- one op ---------------------------------------------------------------------------------

    def take(self, raw: bytes) -> None:
        """Run PARSE .. BODY for one op of this bundle; raises ``_Stop`` to reject the bundle."""
        try:
            op = ops.parse(raw)
            if op.segment != self.state.segment:
                raise MalformedOp("(an op for another segment)")
            membership = _membership_body(op)
        except (MalformedOp, OpTooLarge) as exc:
            raise _Stop(Step.PARSE, exc) from None
        needed = Role.ADMIN if membership is not None else Role.WRITER
        if not self.membership.is_known(op.author):
            raise _Stop(Step.ROLE, NotAMember())
        if not self.membership.may_ever(op.author, needed):
            raise _Stop(Step.ROLE, RoleDenied())
        try:
            ops.verify(op)
        except BadSignature as exc:
            raise _Stop(Step.SIGNATURE, exc) from None
        if self._place(op, membership, current=True):
            self._drain(op.author)

    def _place(self, op: Op, membership: Membership | None, *, current: bool) -> bool:
        """CHAIN, CLOCK, BODY and staging for one authentic op; True if it was staged."""
        chain = self.chain(op.author)
        try:
            verdict = chain.classify(op)
        except MalformedOp as exc:
            raise _Stop(Step.CHAIN, exc) from None
        if verdict is Verdict.REPLAY:
            self.outcome.replayed += 1
        elif verdict is Verdict.QUARANTINED:
            self.outcome.ignored += 1
        elif verdict is Verdict.FORK:
            self.outcome.forks.append((op.author, chain.quarantine(op)))
        elif verdict is Verdict.GAP:
            self.gaps.setdefault((op.author, op.seq), op)
        else:
            try:
                check_skew(op.hlc, self.now_ms)
            except ClockSkew as exc:
                raise _Stop(Step.CLOCK, exc) from None
            self._stage(chain, op, self._open(op, membership, current=current))
            return True
        return False

    def _drain(self, author: bytes) -> None:
        """Stage buffered successors of ``author``'s new head, while they follow on."""
        chain = self.chain(author)
        while chain.fork is None:
            key = (author, chain.head + 1)
            current = self.gaps.pop(key, None)
            if current is not None:  # from this bundle: a failure rejects the bundle
                self._place(current, _membership_body(current), current=True)
                continue
            earlier = self.state.buffer.ops.get(key)
            if earlier is None or key in self.taken:
                return
            self.taken.add(key)
            try:  # from an earlier bundle: a failure drops that op only
                self._place(earlier, _membership_body(earlier), current=False)
            except _Stop as stop:
                self.outcome.dropped.append(Rejection(stop.step, stop.error, author, key[1]))
                return

    def _open(self, op: Op, membership: Membership | None, *, current: bool) -> Entry:
        """BODY: open a content body, or the key shares of a membership op addressed to us.

        A body of this bundle sealed under a key we do not hold yet is deferred to the end of
        the bundle (``finish``): a ``member.add`` later in the bundle may bring that key.
        """
        try:
            if membership is not None:
                self._learn(op, membership)
                return Entry(op, None)
            entry = self._open_content(op)
            if entry is None and current:
                self.deferred.append(len(self.entries))
                return Entry(op, None)
            if entry is None:
                raise KeyUnavailable
            return entry
        except (KeyUnavailable, BadOpBody, MalformedOp) as exc:
            raise _Stop(Step.BODY, exc) from None

    def _open_content(self, op: Op) -> Entry | None:
        """The opened entry, None if no key of its epoch is held; ``BadOpBody`` if none opens."""
        epoch, _ = ops.sealed_epoch(op)
        # opening keys (from a welcome) may open a body: a body that opens under one was sealed
        # under it by its signed author; they are never used to seal (sync/welcomes.py)
        candidates = self.state.keys.get(epoch, []) + [k for e, k, _ in self.keys if e == epoch]
        candidates += [k for e, k in self.state.opening_keys if e == epoch and k not in candidates]
        if not candidates:
            return None
        for key in candidates:
            try:
                plain = ops.open_body(key, op)
            except IntegrityError:
                continue
            return Entry(op, parse_content(op.kind, plain), plain)
        raise BadOpBody

    def finish(self) -> None:
        """BODY for the deferred ops of this bundle, now that every key in it is staged."""
        for index in self.deferred:
            op = self.entries[index].op
            try:
                entry = self._open_content(op)
                if entry is None:
                    raise KeyUnavailable
            except (KeyUnavailable, BadOpBody, MalformedOp) as exc:
                raise _Stop(Step.BODY, exc, op) from None
            self.entries[index] = entry

    def _learn(self, op: Op, body: Membership) -> None:
        """Open the key shares addressed to us (all or none are staged)."""
        mine: list[tuple[int, bytes]] = []
        source: bytes | None = None
        if isinstance(body, MemberAdd):
            if body.member == self.me.signing_public and body.box_key == self.me.box_public:
                mine = list(body.shares)
        else:
            source = op.op_id
            mine = [(body.epoch, s) for r, s in body.shares if r == self.me.signing_public]
        learned: list[tuple[int, bytes, bytes | None]] = []
        for epoch, sealed in mine:
            try:
                plain = self.me.open_box(sealed)
            except IntegrityError:
                raise BadOpBody("(a key share does not open)") from None
            learned.append((epoch, parse_share(plain, self.state.segment, epoch), source))
        self.keys.extend(learned)

    def _stage(self, chain: StagedChain, op: Op, entry: Entry) -> None:
        chain.append(op)
        self.entries.append(entry)
        self.outcome.accepted.append(op)
        if op.kind in MEMBERSHIP_KINDS:
            body = parse_membership(op.kind, op.body)
            self.membership = self.membership.with_op(AdminOp(op.stamp, op.seq, body))
            self.membership_changed = True

    # -- commit ---------------------------------------------------------------------------------

    def commit(self) -> ReceiveOutcome:
        state, outcome = self.state, self.outcome
        for staged in self.chains.values():
            staged.commit()
        for entry in self.entries:
            state.append(entry)
        for author, seq in self.taken:
            state.buffer.pop(author, seq)
        for author, chain in self.chains.items():
            # a quarantined author's buffered ops can never be taken: forget them
            state.buffer.drop_through(author, chain.head if chain.fork is None else MAX_SEQ)
        for op in self.gaps.values():
            if self.chain(op.author).fork is None and state.buffer.add(op):
                outcome.buffered += 1
        for epoch, key, source in self.keys:
            if key not in state.keys.get(epoch, []):
                outcome.new_keys.append((epoch, key))
            state.add_key(epoch, key, source)
        if self.membership_changed:
            outcome.touched = state.rebuild()
        else:
            touched = (state.effect(entry) for entry in self.entries)
            outcome.touched = {rid for rid in touched if rid is not None}
        if outcome.accepted:
            outcome.latest = max(op.hlc for op in outcome.accepted)
        outcome.applied = True
        return outcome


def _membership_body(op: Op) -> Membership | None:
    """PARSE for the body: a membership body parses now; a content body shows its epoch."""
    if op.kind in MEMBERSHIP_KINDS:
        return parse_membership(op.kind, op.body)
    ops.sealed_epoch(op)
    return None


def receive_ops(
    state: SegmentState, wires: Sequence[bytes], me: Me, now_ms: int
) -> ReceiveOutcome:
    """Run the op steps of the pipeline over ``wires`` (already taken out of a bundle)."""
    stage = _Stage(state, me, now_ms)
    raw = b""
    try:
        for raw in wires:
            stage.take(raw)
        raw = b""
        stage.finish()
    except _Stop as stop:
        author, seq = (stop.op.author, stop.op.seq) if stop.op else _who(raw)
        return ReceiveOutcome(
            segment=state.segment, rejections=[Rejection(stop.step, stop.error, author, seq)]
        )
    return stage.commit()


def receive_bundle(sync: SyncState, data: bytes, me: Me, now_ms: int) -> ReceiveOutcome:
    """The whole pipeline for one bundle, from its bytes to committed state (or nothing)."""
    try:
        opened = bundle.open_bundle(data, sync.bundle_keys())
    except BundleTooLarge as exc:
        return ReceiveOutcome(rejections=[Rejection(Step.SIZE, exc)])
    except BadBundle as exc:
        return ReceiveOutcome(rejections=[Rejection(Step.OPEN, exc)])
    outcome = receive_ops(sync.segments[opened.segment], opened.ops, me, now_ms)
    outcome.sender_vector = opened.sender_vector
    return outcome


def _who(raw: bytes) -> tuple[bytes | None, int | None]:
    """Author and seq of a raw op for a report, if it parses that far."""
    if not raw:
        return None, None
    try:
        op = ops.parse(raw)
    except (MalformedOp, OpTooLarge):
        return None, None
    return op.author, op.seq


__all__ = ["Me", "ReceiveOutcome", "Rejection", "Step", "receive_bundle", "receive_ops"]
