"""Per (segment, author) chain validation: the append-only feed of one author's ops.

State machine (``docs/state-machines/chain.md``)::

    OPEN(head) --NEXT--> OPEN(head + 1)        seq = head + 1, prev = id(head), hlc rises
    OPEN(head) --REPLAY--> OPEN(head)          seq <= head, same op id: a no-op
    OPEN(head) --GAP--> OPEN(head)             seq > head + 1: buffered until the gap fills
    OPEN(head) --FORK--> QUARANTINED(evidence) seq <= head with another id, or seq = head + 1
                                               naming another predecessor
    QUARANTINED --any op--> QUARANTINED        ignored until a person resolves it
    QUARANTINED --resolve--> OPEN(head)        keeps the branch this replica already had

Rules and reasons:
- A fork is proof, signed by the author, that one key wrote two histories: a cloned or restored
  device, or a stolen key. Neither history can be trusted more than the other, so the author is
  quarantined (their later ops are ignored) rather than either branch being chosen silently.
  The evidence (the other op) is kept so a person can inspect it and peers can be shown it.
- A replay is a no-op, never an error: delivery may duplicate anything, any number of times.
- The HLC must rise strictly along a chain: one device's clock never repeats, so a chain whose
  clock does not rise was not written by an honest Kith (``MalformedOp``).
- Gaps are buffered, bounded by ``MAX_BUFFERED_OPS`` and ``MAX_BUFFERED_BYTES`` per segment; an
  op that does not fit is dropped, and comes again with the next bundle (the receiver's
  version vector still lacks it), so the bound costs a round trip, never data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from sync.errors import MalformedOp
from sync.hlc import ZERO, Hlc
from sync.ops import ZERO_HASH, Op

MAX_BUFFERED_OPS = 4096
MAX_BUFFERED_BYTES = 16 << 20


class Verdict(Enum):
    """What one op means for its author's chain."""

    NEXT = "next"
    REPLAY = "replay"
    GAP = "gap"
    FORK = "fork"
    QUARANTINED = "quarantined"


@dataclass(frozen=True)
class Fork:
    """Evidence of a fork: the op we hold at ``seq`` and the author's other op (its wire)."""

    seq: int
    ours: bytes
    theirs: bytes


@dataclass
class Chain:
    """One author's accepted ops in one segment: op ids by seq, the head clock, any fork."""

    ids: list[bytes] = field(default_factory=list)
    head_hlc: Hlc = ZERO
    fork: Fork | None = None

    @property
    def head(self) -> int:
        """The highest contiguous seq accepted (0 before the first op)."""
        return len(self.ids)

    def resolve(self) -> None:
        """A person looked at the fork: keep this replica's branch and reopen the chain."""
        self.fork = None


class StagedChain:
    """A chain plus ops staged by one pipeline run; ``commit`` makes them permanent."""

    def __init__(self, base: Chain) -> None:
        self.base = base
        self.extra: list[bytes] = []
        self.head_hlc = base.head_hlc
        self.fork = base.fork

    @property
    def head(self) -> int:
        """The head including staged ops."""
        return self.base.head + len(self.extra)

    def id_at(self, seq: int) -> bytes:
        """The op id at ``seq`` (1-based); ``seq`` must be at most ``head``."""
        if seq <= self.base.head:
            return self.base.ids[seq - 1]
        return self.extra[seq - self.base.head - 1]

    def classify(self, op: Op) -> Verdict:
        """Where ``op`` falls in this chain (see the module's state machine)."""
        if self.fork is not None:
            return Verdict.QUARANTINED
        if op.seq <= self.head:
            return Verdict.REPLAY if self.id_at(op.seq) == op.op_id else Verdict.FORK
        if op.seq > self.head + 1:
            return Verdict.GAP
        expected = self.id_at(self.head) if self.head else ZERO_HASH
        if op.prev != expected:
            return Verdict.FORK
        if op.hlc <= self.head_hlc:
            raise MalformedOp("(the author's clock went backwards)")
        return Verdict.NEXT

    def append(self, op: Op) -> None:
        """Stage ``op``, which ``classify`` called NEXT."""
        self.extra.append(op.op_id)
        self.head_hlc = op.hlc

    def quarantine(self, op: Op) -> Fork:
        """Stage the quarantine that a FORK verdict calls for; returns the evidence."""
        ours = self.id_at(min(op.seq, self.head)) if self.head else ZERO_HASH
        self.fork = Fork(op.seq, ours, op.wire)
        return self.fork

    def commit(self) -> None:
        """Make the staged ops and any quarantine permanent."""
        self.base.ids.extend(self.extra)
        self.base.head_hlc = self.head_hlc
        self.base.fork = self.fork
        self.extra = []


@dataclass
class GapBuffer:
    """Verified ops waiting for an earlier op of the same author (bounded)."""

    ops: dict[tuple[bytes, int], Op] = field(default_factory=dict)
    size: int = 0

    def add(self, op: Op) -> bool:
        """Keep ``op`` if it fits (False if the buffer is full); a duplicate is kept once."""
        key = (op.author, op.seq)
        if key in self.ops:
            return True
        if len(self.ops) >= MAX_BUFFERED_OPS or self.size + len(op.wire) > MAX_BUFFERED_BYTES:
            return False
        self.ops[key] = op
        self.size += len(op.wire)
        return True

    def pop(self, author: bytes, seq: int) -> Op | None:
        """Remove and return the buffered op at ``(author, seq)``, if any."""
        op = self.ops.pop((author, seq), None)
        if op is not None:
            self.size -= len(op.wire)
        return op

    def drop_through(self, author: bytes, head: int) -> None:
        """Forget buffered ops of ``author`` at or below ``head`` (now accepted or replays)."""
        for key in [k for k in self.ops if k[0] == author and k[1] <= head]:
            self.pop(*key)
