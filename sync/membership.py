"""Who is in a segment, with which role, and which key epochs exist: a fold over admin ops.

The admin log is the set of membership ops (``member.add``, ``member.remove``,
``key.rotate``), each in its author's hash chain, ordered by ``Stamp`` (hlc, author, op id).
Membership is a pure function of that set, so every replica that holds the same ops agrees.

    state before any op:  {founder: admin}
    for each op in Stamp order, if its author is an admin at that point (and not cut off):
        member.add(m, role)        m's role becomes ``role`` (a re-add changes the role)
        member.remove(m, cutoff)   m has no role; m's ops with seq > cutoff dated before this
                                   removal are void; a new epoch key starts
        key.rotate                 a new epoch key starts

Rules and reasons:
- Roles: a reader reads; a writer also writes records; an admin also changes membership.
  Admission (``may_ever``) asks whether the author *ever* held a sufficient role: cheap, before
  the signature is checked, and it refuses outsiders and readers who write. The effect of an op
  (``allows``) asks whether the author held the role *when the op is dated*: a writer removed
  at noon keeps edits dated before noon, and an op dated after has no effect (it stays in the
  log, so the author's chain stays whole).
- The ``cutoff`` of a removal is the last seq of the removed member the remover had seen. A
  removed member could otherwise keep writing ops dated just before the removal forever; with
  it, every replica voids those ops alike. Edits the remover had not seen are voided too: the
  remover decides with what they saw.
- Two passes make cutoffs deterministic: the first fold finds the removals, the second folds
  again without the ops they void. The result depends on the op set only.
- Removing a member always starts a new epoch in the same op (``member.remove`` carries the new
  key's shares): writes after it use a key the removed member never held.
- Concurrent rotations may give two keys one epoch number; readers try each key of the number
  (at most a few), writers use the key of the latest rotation (``write_epoch``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sync.bodies import KeyRotate, MemberAdd, MemberRemove, Membership, Role
from sync.ops import Stamp

_RANK = {Role.READER: 1, Role.WRITER: 2, Role.ADMIN: 3}
_BEFORE_ALL = Stamp(-1, 0, b"", b"")
MAX_EPOCHS = 250


def sufficient(held: Role | None, needed: Role) -> bool:
    """Whether ``held`` includes what ``needed`` allows."""
    return held is not None and _RANK[held] >= _RANK[needed]


@dataclass(frozen=True)
class AdminOp:
    """One membership op as the fold sees it."""

    stamp: Stamp
    seq: int
    body: Membership

    @property
    def author(self) -> bytes:
        """The op's author (part of its stamp)."""
        return self.stamp.author


@dataclass
class Roster:
    """The result of the fold: role timelines, box keys, cutoffs, epochs."""

    timeline: dict[bytes, list[tuple[Stamp, Role | None]]] = field(default_factory=dict)
    box_keys: dict[bytes, bytes] = field(default_factory=dict)
    cutoffs: dict[bytes, list[tuple[Stamp, int]]] = field(default_factory=dict)
    epochs: list[tuple[int, Stamp, int]] = field(default_factory=list)
    removals: list[tuple[Stamp, int]] = field(default_factory=list)
    effective: set[bytes] = field(default_factory=set)

    def role_at(self, member: bytes, stamp: Stamp) -> Role | None:
        """``member``'s role just before ``stamp``."""
        role: Role | None = None
        for when, value in self.timeline.get(member, ()):
            if when >= stamp:
                break
            role = value
        return role

    def cut_off(self, member: bytes, seq: int, stamp: Stamp) -> bool:
        """Whether a removal voids ``member``'s op at ``seq`` dated ``stamp``."""
        return any(seq > cutoff and stamp < when for when, cutoff in self.cutoffs.get(member, ()))


def _fold(founder: bytes, ops: list[AdminOp], voided: Roster | None) -> Roster:
    roster = Roster(
        timeline={founder: [(_BEFORE_ALL, Role.ADMIN)]}, epochs=[(0, _BEFORE_ALL, 0)]
    )
    for op in ops:
        if voided is not None and voided.cut_off(op.author, op.seq, op.stamp):
            continue
        if not sufficient(roster.role_at(op.author, op.stamp), Role.ADMIN):
            continue
        roster.effective.add(op.stamp.op_id)
        match op.body:
            case MemberAdd(member, box_key, role, _):
                roster.timeline.setdefault(member, []).append((op.stamp, role))
                roster.box_keys[member] = box_key
            case MemberRemove(member, cutoff, epoch, _):
                roster.timeline.setdefault(member, []).append((op.stamp, None))
                roster.cutoffs.setdefault(member, []).append((op.stamp, cutoff))
                roster.epochs.append((epoch, op.stamp, op.seq))
                roster.removals.append((op.stamp, epoch))
            case KeyRotate(epoch, _):
                roster.epochs.append((epoch, op.stamp, op.seq))
    return roster


class MembershipLog:
    """The admin ops of one segment and the roster they fold to."""

    def __init__(self, founder: bytes, ops: Iterable[AdminOp] = ()) -> None:
        self.founder = founder
        self.ops: list[AdminOp] = sorted(ops, key=lambda op: op.stamp)
        self.roster = self._compute()

    def _compute(self) -> Roster:
        first = _fold(self.founder, self.ops, None)
        return _fold(self.founder, self.ops, first)

    def with_op(self, op: AdminOp) -> MembershipLog:
        """A new log with one more admin op (the pipeline stages on copies)."""
        return MembershipLog(self.founder, [*self.ops, op])

    # -- questions ----------------------------------------------------------------------------

    def may_ever(self, member: bytes, needed: Role) -> bool:
        """Admission: did ``member`` ever hold a role that allows ``needed``?"""
        return any(sufficient(role, needed) for _, role in self.roster.timeline.get(member, ()))

    def is_known(self, member: bytes) -> bool:
        """Whether ``member`` was ever added (or is the founder)."""
        return member in self.roster.timeline

    def allows(self, member: bytes, seq: int, stamp: Stamp, needed: Role) -> bool:
        """Effect: may ``member``'s op at ``seq``, dated ``stamp``, do what ``needed`` allows?"""
        if self.roster.cut_off(member, seq, stamp):
            return False
        return sufficient(self.roster.role_at(member, stamp), needed)

    def is_effective(self, op_id: bytes) -> bool:
        """Whether the admin op ``op_id`` took effect."""
        return op_id in self.roster.effective

    def current_role(self, member: bytes) -> Role | None:
        """``member``'s role after every known op."""
        timeline = self.roster.timeline.get(member)
        return timeline[-1][1] if timeline else None

    def members(self) -> dict[bytes, Role]:
        """Current members and their roles."""
        out: dict[bytes, Role] = {}
        for member in self.roster.timeline:
            role = self.current_role(member)
            if role is not None:
                out[member] = role
        return out

    def box_key(self, member: bytes) -> bytes | None:
        """The X25519 key ``member`` was last added with (the founder's is set by the caller)."""
        return self.roster.box_keys.get(member)

    def write_epoch(self) -> int:
        """The epoch new writes are sealed under: the latest rotation's number."""
        return max(self.roster.epochs, key=lambda item: item[1])[0]

    def next_epoch(self) -> int:
        """The number a new rotation takes: one above every epoch known."""
        return max(epoch for epoch, _, _ in self.roster.epochs) + 1

    def epoch_known_to(self, vector: Mapping[bytes, int]) -> tuple[int, bytes]:
        """The epoch to seal a bundle under for a replica with ``vector``: (epoch, op id).

        The newest epoch whose rotation that replica holds, so it can open the bundle and
        learn newer keys from the rotations inside, but never one older than the latest
        removal (``removal_floor``): a removed member holds every older key, and a bundle
        sealed under one would show them the op headers and membership ops written after
        their removal. A current member that lacks the removal opens the bundle with the
        key a welcome brought them (``sync/welcomes.py``).
        """
        floor = self.removal_floor()
        held = [
            (stamp, epoch)
            for epoch, stamp, seq in self.roster.epochs
            if (seq == 0 or vector.get(stamp.author, 0) >= seq) and stamp >= floor[0]
        ]
        stamp, epoch = max(held) if held else floor
        return epoch, stamp.op_id

    def removal_floor(self) -> tuple[Stamp, int]:
        """(stamp, epoch) of the latest effective removal; epoch 0 if there was none."""
        return max(self.roster.removals, default=(_BEFORE_ALL, 0))
