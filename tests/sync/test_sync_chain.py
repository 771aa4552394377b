"""The chain validator's state machine (docs/state-machines/chain.md), transition by transition."""

from __future__ import annotations

import pytest

from sync import ops
from sync.chain import MAX_BUFFERED_OPS, Chain, GapBuffer, StagedChain, Verdict
from sync.errors import MalformedOp
from sync.hlc import Hlc
from sync.ops import ZERO_HASH, Kind
from tests.sync.helpers import SEGMENT, identity

ME = identity("chain")


def feed(count: int, *, fork_at: int | None = None, start_wall: int = 1000) -> list[ops.Op]:
    out: list[ops.Op] = []
    prev = ZERO_HASH
    for seq in range(1, count + 1):
        body = b"other" if seq == fork_at else b"body"
        op = ops.sign(ME, SEGMENT, seq, prev, Hlc(start_wall + seq, 0), Kind.KEY_ROTATE, body)
        out.append(op)
        prev = op.op_id
    return out


def accept(chain: Chain, op: ops.Op) -> Verdict:
    staged = StagedChain(chain)
    verdict = staged.classify(op)
    if verdict is Verdict.NEXT:
        staged.append(op)
    elif verdict is Verdict.FORK:
        staged.quarantine(op)
    staged.commit()
    return verdict


def test_open_next_moves_the_head() -> None:
    chain = Chain()
    for op in feed(3):
        assert accept(chain, op) is Verdict.NEXT
    assert chain.head == 3 and chain.head_hlc == Hlc(1003, 0)


def test_replay_is_a_no_op() -> None:
    chain = Chain()
    ops_ = feed(3)
    for op in ops_:
        accept(chain, op)
    for op in ops_:
        assert accept(chain, op) is Verdict.REPLAY
    assert chain.head == 3 and chain.fork is None


def test_gap_leaves_the_head() -> None:
    chain = Chain()
    ops_ = feed(3)
    assert accept(chain, ops_[2]) is Verdict.GAP
    assert chain.head == 0


def test_same_seq_other_op_is_a_fork_and_quarantines() -> None:
    chain = Chain()
    for op in feed(3):
        accept(chain, op)
    other = feed(2, fork_at=2)[1]
    assert accept(chain, other) is Verdict.FORK
    assert chain.fork is not None
    assert chain.fork.seq == 2 and chain.fork.theirs == other.wire
    assert chain.fork.ours == chain.ids[1]
    # QUARANTINED: even the honest next op is ignored until resolved
    assert accept(chain, feed(4)[3]) is Verdict.QUARANTINED
    assert chain.head == 3
    chain.resolve()
    assert accept(chain, feed(4)[3]) is Verdict.NEXT


def test_next_seq_naming_another_predecessor_is_a_fork() -> None:
    chain = Chain()
    for op in feed(2):
        accept(chain, op)
    branch = feed(3, fork_at=2)[2]  # seq 3 whose prev is the *other* seq 2
    assert accept(chain, branch) is Verdict.FORK


def test_clock_must_rise_along_a_chain() -> None:
    chain = Chain()
    first = feed(1)[0]
    accept(chain, first)
    stale = ops.sign(ME, SEGMENT, 2, first.op_id, first.hlc, Kind.KEY_ROTATE, b"body")
    with pytest.raises(MalformedOp):
        StagedChain(chain).classify(stale)


def test_staging_changes_nothing_until_commit() -> None:
    chain = Chain()
    staged = StagedChain(chain)
    for op in feed(2):
        assert staged.classify(op) is Verdict.NEXT
        staged.append(op)
    assert chain.head == 0 and staged.head == 2
    assert staged.classify(feed(2)[0]) is Verdict.REPLAY  # a replay of a staged op
    staged.commit()
    assert chain.head == 2


def test_gap_buffer_is_bounded_and_deduplicates() -> None:
    buffer = GapBuffer()
    op = feed(1)[0]
    assert buffer.add(op) and buffer.add(op)
    assert len(buffer.ops) == 1 and buffer.size == len(op.wire)
    assert buffer.pop(op.author, 1) == op and buffer.size == 0
    full = GapBuffer({(bytes([i % 256]) * 32, i): op for i in range(MAX_BUFFERED_OPS)})
    assert not full.add(feed(2)[1])
    buffer.add(op)
    buffer.drop_through(op.author, 1)
    assert not buffer.ops
