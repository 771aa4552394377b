"""Fake collaborators for the sync core: devices with injected clocks, no I/O anywhere.

A ``Device`` is one replica: an identity (``vault.identity.DeviceIdentity``, from fixed seeds so
runs are reproducible), a ``SyncState``, a ``Writer`` and a physical clock the test sets.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sync import outbox, vv
from sync.author import Writer
from sync.bodies import Role
from sync.peers import Peer
from sync.pipeline import Outcome, receive_bundle
from sync.state import SegmentState, SyncState
from vault.identity import DeviceIdentity

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

    def receive(self, data: bytes) -> Outcome:
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


def sync_all(devices: list[Device], segment: bytes = SEGMENT, rounds: int = 4) -> None:
    """Full pairwise exchange until nothing is left to send."""
    for _ in range(rounds):
        moved = False
        for a in devices:
            for b in devices:
                if a is b:
                    continue
                for data in a.bundles_for(b, segment):
                    outcome = b.receive(data)
                    moved = moved or bool(outcome.accepted)
        if not moved:
            return
