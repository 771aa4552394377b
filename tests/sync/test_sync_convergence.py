"""Three replicas edit the same records offline, then gossip bundles in a random order with
duplicates and drops: they converge, and no acknowledged edit is lost.

The model (hypothesis ``RuleBasedStateMachine``): ana (admin), ben and cai (writers) share one
segment. Rules edit scalar fields, add and remove emails, write and replace notes, delete
records, rotate the segment key, move each device's clock (kept within 5 minutes of each other,
inside the 10-minute skew bound), and make bundles from either the receiver's true vector or a
stale one the sender remembers. Bundles sit in a network list from which they are delivered in
any order, delivered again, or dropped. At the end everyone syncs fully, and:

- every replica holds the same ops and the same merged state;
- that state is exactly the merge of every op any replica acknowledged (applied locally), so
  nothing acknowledged was lost, whatever the delivery order;
- each acknowledged scalar write is either the final value or was superseded by a later stamp,
  unless its record was deleted.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from sync import vv
from sync.bodies import AddElement, ClearField, Content, RecordPut, RemoveElement, SetField
from sync.changes import snapshot
from sync.merge import MergeState
from sync.ops import Stamp
from tests.sync.helpers import Device, group, sync_all

RECORDS = [bytes([i]) * 16 for i in range(1, 5)]
SKEW_KEPT_MS = 5 * 60 * 1000

devices = st.integers(0, 2)
records = st.sampled_from(RECORDS)
values = st.sampled_from([b"a", b"b", b"c"])


class Gossip(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.devices: list[Device] = group("ana", "ben", "cai")
        self.network: list[tuple[int, int, bytes]] = []
        self.known: dict[tuple[int, int], dict[bytes, int]] = {}
        self.acknowledged: list[tuple[Stamp, Content]] = []

    def _ack(self, index: int) -> None:
        entry = self.devices[index].seg().log[-1]
        assert entry.content is not None
        self.acknowledged.append((entry.op.stamp, entry.content))

    # -- editing --------------------------------------------------------------------------------

    @rule(
        d=devices,
        r=records,
        name=st.sampled_from(["name", "org"]),
        value=values,
        clear=st.booleans(),
    )
    def edit(self, d: int, r: bytes, name: str, value: bytes, clear: bool) -> None:
        dev = self.devices[d]
        change = ClearField(name) if clear else SetField(name, value)
        if self._deleted(dev, r):
            return
        dev.writer.put(dev.seg(), r, "contact", [change], dev.now)
        self._ack(d)

    @rule(d=devices, r=records, value=values)
    def add_email(self, d: int, r: bytes, value: bytes) -> None:
        dev = self.devices[d]
        if self._deleted(dev, r):
            return
        dev.writer.put(dev.seg(), r, "contact", [AddElement("emails", value)], dev.now)
        self._ack(d)

    @rule(d=devices, r=records, data=st.data())
    def remove_emails(self, d: int, r: bytes, data: st.DataObject) -> None:
        dev = self.devices[d]
        record = dev.seg().merge.get(r)
        if record is None or record.deleted or not record.sets.get("emails"):
            return
        seen = [element for element, _ in record.sets["emails"].elements()]
        if not seen:
            return
        chosen = data.draw(st.lists(st.sampled_from(seen), min_size=1, unique=True))
        dev.writer.put(
            dev.seg(), r, "contact", [RemoveElement("emails", e) for e in chosen], dev.now
        )
        self._ack(d)

    @rule(
        d=devices,
        r=records,
        text=st.sampled_from(["met at vigil", "call back", "moved"]),
        replace=st.booleans(),
    )
    def note(self, d: int, r: bytes, text: str, replace: bool) -> None:
        dev = self.devices[d]
        record = dev.seg().merge.get(r)
        if record is not None and record.deleted:
            return
        replaces = [n for n, _ in record.notes.elements()] if record and replace else []
        dev.writer.note(dev.seg(), r, "contact", text, dev.now, replaces)
        self._ack(d)

    @rule(d=devices, r=records, roll=st.integers(0, 5))
    def delete(self, d: int, r: bytes, roll: int) -> None:
        dev = self.devices[d]
        if roll or self._deleted(dev, r):
            return  # rarer than edits, so most records live long enough to conflict
        dev.writer.delete(dev.seg(), r, dev.now)
        self._ack(d)

    @rule(roll=st.integers(0, 3))
    def rotate(self, roll: int) -> None:
        if not roll:
            ana = self.devices[0]
            ana.writer.rotate_key(ana.seg(), ana.now)

    @rule(d=devices, ms=st.integers(0, 120_000))
    def tick(self, d: int, ms: int) -> None:
        others = min(dev.now for i, dev in enumerate(self.devices) if i != d)
        dev = self.devices[d]
        dev.now = max(dev.now, min(dev.now + ms, others + SKEW_KEPT_MS))

    # -- gossip ---------------------------------------------------------------------------------

    @rule(src=devices, dst=devices, stale=st.booleans())
    def send(self, src: int, dst: int, stale: bool) -> None:
        if src == dst:
            return
        theirs = self.known.get((src, dst), {}) if stale else self.devices[dst].seg().vector()
        for data in self.devices[src].bundles_since(theirs):
            self.network.append((src, dst, data))

    @precondition(lambda self: bool(self.network))
    @rule(data=st.data(), again=st.booleans())
    def deliver(self, data: st.DataObject, again: bool) -> None:
        index = data.draw(st.integers(0, len(self.network) - 1))
        src, dst, bundle = self.network[index]
        if not again:
            self.network.pop(index)
        outcome = self.devices[dst].receive(bundle)
        assert outcome.applied, outcome.rejections
        assert not outcome.forks and not outcome.dropped
        known = self.known.get((dst, src), {})
        self.known[(dst, src)] = vv.merge(known, outcome.sender_vector)

    @precondition(lambda self: bool(self.network))
    @rule(data=st.data())
    def drop(self, data: st.DataObject) -> None:
        self.network.pop(data.draw(st.integers(0, len(self.network) - 1)))

    # -- the end --------------------------------------------------------------------------------

    def teardown(self) -> None:
        latest = max(dev.now for dev in self.devices)
        for dev in self.devices:
            dev.now = latest
        sync_all(self.devices, rounds=6)
        segs = [dev.seg() for dev in self.devices]
        assert segs[0].vector() == segs[1].vector() == segs[2].vector()
        assert snapshot(segs[0]) == snapshot(segs[1]) == snapshot(segs[2])
        reference = MergeState()
        for stamp, content in self.acknowledged:
            reference.apply(stamp, content)
        for seg in segs:
            assert seg.merge.records == reference.records
            assert seg.rebuild() == set()
        for stamp, content in self.acknowledged:
            if not isinstance(content, RecordPut):
                continue
            final = reference.records[content.record_id]
            for change in content.changes:
                if final.deleted is None and isinstance(change, SetField | ClearField):
                    assert final.scalars[change.name].stamp >= stamp

    @staticmethod
    def _deleted(dev: Device, record_id: bytes) -> bool:
        record = dev.seg().merge.get(record_id)
        return record is not None and record.deleted is not None


Gossip.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_three_replicas_converge = Gossip.TestCase
