"""Fake collaborators for the sync core: devices with injected clocks, no I/O anywhere.

A ``Device`` is one replica: an identity (``vault.core.identity.DeviceIdentity``, fixed seeds so
runs are reproducible), a ``SyncState``, a ``Writer`` and a physical clock the test sets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sync import bundle, ops, vv
from sync import sending as outbox
from sync.author import Writer
from sync.bodies import Role, encode_content, encode_membership, kind_of
from sync.hlc import Hlc
from sync.ops import ZERO_HASH
from sync.peers import Peer
from sync.pipeline import ReceiveOutcome, receive_bundle
from sync.state import SegmentState, SyncState
from vault.core.identity import DeviceIdentity

SEGMENT = bytes(range(16))
T0 = 1_750_000_000_000  # a fixed "now" in ms (June 2025)


def identity(name: str) -> DeviceIdentity:
    seed = hashlib.sha256(name.encode()).digest()
    return DeviceIdentity.from_seeds(seed, hashlib.sha256(seed).digest())


def peer_of(device: Device, *, verified: bool = True) -> Peer:
    return Peer(device.name, device.me.signing_public, device.me.box_public, verified=verified)


@dataclass
class Device:
    name: str
    now: int = T0
    me: DeviceIdentity = field(init=False)
    sync: SyncState = field(init=False)
    writer: Writer = field(init=False)

    def __post_init__(self) -> None:
        self.me = identity(self.name)
        self.sync = SyncState()
        self.writer = Writer(self.me, self.sync.clock)

    @property
    def pub(self) -> bytes:
        return self.me.signing_public

    def seg(self, segment: bytes = SEGMENT) -> SegmentState:
        return self.sync.segments[segment]

    def found(self, segment: bytes = SEGMENT) -> SegmentState:
        state = self.writer.create_segment(segment, self.now)
        self.sync.segments[segment] = state
        return state

    def join(self, founder: Device, segment: bytes = SEGMENT) -> SegmentState:
        """Phase 2's welcome, faked: hold the founder's epoch keys, then sync normally."""
        state = SegmentState(segment, founder.pub)
        for epoch, keys in founder.seg(segment).keys.items():
            for key in keys:
                state.add_key(epoch, key)
        self.sync.segments[segment] = state
        return state

    def bundles_for(self, other: Device, segment: bytes = SEGMENT) -> list[bytes]:
        return outbox.bundles_for(self.seg(segment), other.seg(segment).vector())

    def bundles_since(self, theirs: vv.Vector, segment: bytes = SEGMENT) -> list[bytes]:
        return outbox.bundles_for(self.seg(segment), theirs)

    def receive(self, data: bytes) -> ReceiveOutcome:
        outcome = receive_bundle(self.sync, data, self.me, self.now)
        if outcome.latest is not None:
            self.sync.clock.observe(outcome.latest, self.now)
        return outcome


def group(*names: str, role: Role = Role.WRITER) -> list[Device]:
    """A founder (the first name) and members, all synced once."""
    devices = [Device(n) for n in names]
    founder = devices[0]
    founder.found()
    for other in devices[1:]:
        founder.writer.add_member(founder.seg(), peer_of(other), role, founder.now)
    for other in devices[1:]:
        other.join(founder)
        for data in founder.bundles_for(other):
            outcome = other.receive(data)
            assert outcome.applied, outcome.rejections
    return devices


def welcome(sender: Device, to: Device, segment: bytes = SEGMENT) -> None:
    """Phase 2's welcome to a current member, faked: ``sender``'s keys as opening keys."""
    for epoch, keys in sender.seg(segment).keys.items():
        for key in keys:
            to.seg(segment).add_opening_key(epoch, key)


def sync_all(devices: list[Device], segment: bytes = SEGMENT, rounds: int = 4) -> None:
    """Full pairwise exchange until nothing is left to send (welcomes to current members)."""
    for _ in range(rounds):
        moved = False
        for a in devices:
            for b in devices:
                if a is b:
                    continue
                if b.pub in a.seg(segment).membership.members():
                    welcome(a, b, segment)
                for data in a.bundles_for(b, segment):
                    outcome = b.receive(data)
                    moved = moved or bool(outcome.accepted)
        if not moved:
            return


def craft(
    device: Device,
    body: object,
    *,
    segment: bytes = SEGMENT,
    seq: int | None = None,
    prev: bytes | None = None,
    wall: int | None = None,
    key: bytes | None = None,
    epoch: int | None = None,
) -> ops.Op:
    """An op signed by ``device`` with any fields the test wants (no role check, not applied)."""
    state = device.sync.segments.get(segment) or SegmentState(segment, device.pub)
    chain = state.chain(device.pub)
    seq = chain.head + 1 if seq is None else seq
    if prev is None:
        prev = chain.ids[seq - 2] if 1 < seq <= chain.head + 1 else ZERO_HASH
    hlc = Hlc(device.now if wall is None else wall, 0)
    kind = kind_of(body)  # type: ignore[arg-type]
    if kind in ops.CONTENT_KINDS:
        write = state.write_key() if key is None else None
        raw_key = key if key is not None else write.key  # type: ignore[union-attr]
        use_epoch = epoch if epoch is not None else (write.epoch if write else 0)
        payload = ops.seal_body(
            raw_key,
            segment,
            device.pub,
            seq,
            use_epoch,
            kind,
            encode_content(body),  # type: ignore[arg-type]
        )
    else:
        payload = encode_membership(body)  # type: ignore[arg-type]
    return ops.sign(device.me, segment, seq, prev, hlc, kind, payload)


def seal(
    holder: Device, wires: list[bytes], segment: bytes = SEGMENT, epoch: int | None = None
) -> bytes:
    """A bundle of ``wires`` under ``holder``'s current key (or its key of ``epoch``)."""
    key = holder.seg(segment).write_key()
    if epoch is not None:
        key = bundle.SegmentKey(segment, epoch, holder.seg(segment).keys[epoch][-1])
    return bundle.seal(key, wires, {})
