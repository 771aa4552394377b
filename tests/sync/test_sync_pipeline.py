"""The receive pipeline, adversarially: every documented rejection, and nothing half-applied.

Each test builds real devices (tests/sync/helpers.py), so the ops are really signed and the
bundles really sealed; only the clocks are fake.
"""

from __future__ import annotations

from sync import bundle
from sync.bodies import MemberAdd, RecordPut, Role, SetField
from sync.changes import snapshot
from sync.errors import (
    BadBundle,
    BadOpBody,
    BadSignature,
    BundleTooLarge,
    ClockSkew,
    KeyUnavailable,
    MalformedOp,
    NotAMember,
    RoleDenied,
)
from sync.hlc import MAX_SKEW_MS
from sync.pipeline import Step, receive_ops
from tests.sync.helpers import Device, craft, group, peer_of, seal, sync_all

R1 = b"\x01" * 16
R2 = b"\x02" * 16


def put(name: bytes, record: bytes = R1) -> RecordPut:
    return RecordPut(record, "contact", (SetField("name", name),))


def fingerprint(device: Device) -> tuple[object, ...]:
    seg = device.seg()
    return (
        seg.vector(),
        len(seg.log),
        snapshot(seg),
        dict(seg.buffer.ops),
        seg.forks(),
        {e: list(k) for e, k in seg.keys.items()},
    )


def test_valid_bundle_applies_and_applying_it_again_changes_nothing() -> None:
    ana, ben = group("ana", "ben")
    ana.writer.put(ana.seg(), R1, "contact", [SetField("name", b"Ada")], ana.now)
    [data] = ana.bundles_for(ben)
    first = ben.receive(data)
    assert first.applied and first.touched == {R1} and not first.rejections
    before = fingerprint(ben)
    second = ben.receive(data)
    assert second.applied and second.accepted == [] and second.replayed == len(first.accepted)
    assert fingerprint(ben) == before
    assert snapshot(ben.seg())[R1].fields == {"name": b"Ada"}


def test_every_flipped_byte_of_a_bundle_is_rejected_and_applies_nothing() -> None:
    ana, ben = group("ana", "ben")
    ana.writer.put(ana.seg(), R1, "contact", [SetField("name", b"Ada")], ana.now)
    [data] = ana.bundles_for(ben)
    before = fingerprint(ben)
    for index in range(len(data)):
        flipped = data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]
        outcome = ben.receive(flipped)
        assert not outcome.applied, index
        assert isinstance(outcome.rejections[0].error, BadBundle), index
        assert outcome.rejections[0].step is Step.OPEN
    for cut in (0, 8, 64, 65, 100, len(data) - 17, len(data) - 1):
        assert not ben.receive(data[:cut]).applied
    assert not ben.receive(data + b"\x00").applied
    assert fingerprint(ben) == before
    assert ben.receive(data).applied  # the untouched bundle still works


def test_bundle_size_limit_is_checked_before_anything_else() -> None:
    (ana,) = group("ana")
    outcome = ana.receive(b"\x00" * (bundle.MAX_BUNDLE_BYTES + 1))
    assert isinstance(outcome.rejections[0].error, BundleTooLarge)
    assert outcome.rejections[0].step is Step.SIZE


def test_ops_from_a_non_member_are_rejected() -> None:
    ana, ben = group("ana", "ben")
    mallory = Device("mallory")
    mallory.join(ana)  # holds the segment key (leaked), but was never added
    op = craft(mallory, put(b"pwned"))
    outcome = ben.receive(seal(ana, [op.wire]))
    assert not outcome.applied
    [rejection] = outcome.rejections
    assert isinstance(rejection.error, NotAMember) and rejection.step is Step.ROLE
    assert rejection.author == mallory.pub and R1 not in ben.seg().merge.records


def test_a_reader_cannot_write_and_a_writer_cannot_change_membership() -> None:
    ana, rita = group("ana", "rita", role=Role.READER)
    wes = Device("wes")
    ana.writer.add_member(ana.seg(), peer_of(wes), Role.WRITER, ana.now)
    wes.join(ana)
    sync_all([ana, rita, wes])
    written = craft(rita, put(b"reader wrote this"))
    outcome = ana.receive(seal(ana, [written.wire]))
    assert isinstance(outcome.rejections[0].error, RoleDenied)
    grab = craft(wes, MemberAdd(wes.pub, wes.me.box_public, Role.ADMIN, ()))
    outcome = ana.receive(seal(ana, [grab.wire]))
    assert isinstance(outcome.rejections[0].error, RoleDenied)
    assert ana.seg().membership.current_role(wes.pub) is Role.WRITER


def test_a_bad_signature_rejects_the_whole_bundle() -> None:
    ana, ben, cai = group("ana", "ben", "cai")
    good = ben.writer.put(ben.seg(), R1, "contact", [SetField("name", b"Ben")], ben.now)
    forged = craft(cai, put(b"Cai", R2))
    tampered = forged.wire[:-1] + bytes([forged.wire[-1] ^ 1])
    outcome = ana.receive(seal(ana, [good.wire, tampered]))
    assert not outcome.applied
    assert isinstance(outcome.rejections[0].error, BadSignature)
    assert outcome.rejections[0].step is Step.SIGNATURE
    assert R1 not in ana.seg().merge.records  # the good op in the same bundle did not apply


def test_an_op_for_another_segment_is_malformed() -> None:
    ana, ben = group("ana", "ben")
    elsewhere = craft(ben, put(b"x"), segment=b"\xee" * 16, key=bytes(32), epoch=0)
    outcome = ana.receive(seal(ana, [elsewhere.wire]))
    assert isinstance(outcome.rejections[0].error, MalformedOp)
    assert outcome.rejections[0].step is Step.PARSE


def test_a_fork_quarantines_its_author_and_the_rest_of_the_bundle_applies() -> None:
    ana, ben, cai = group("ana", "ben", "cai")
    ben.writer.put(ben.seg(), R1, "contact", [SetField("name", b"one")], ben.now)
    sync_all([ana, ben, cai])
    seq = ben.seg().chain(ben.pub).head
    twin = craft(ben, put(b"other history"), seq=seq)  # same seq, same prev, other content
    cai_op = cai.writer.put(cai.seg(), R2, "contact", [SetField("name", b"Cai")], cai.now)
    outcome = ana.receive(seal(ana, [twin.wire, cai_op.wire]))
    assert outcome.applied and [a for a, _ in outcome.forks] == [ben.pub]
    assert outcome.accepted == [cai_op]
    assert ana.seg().forks()[ben.pub].theirs == twin.wire
    later = ben.writer.put(ben.seg(), R1, "contact", [SetField("name", b"two")], ben.now + 1)
    ignored = ana.receive(seal(ana, [later.wire]))
    assert ignored.applied and ignored.ignored == 1 and ignored.accepted == []
    assert snapshot(ana.seg())[R1].fields == {"name": b"one"}
    ana.seg().chain(ben.pub).resolve()
    assert ana.receive(seal(ana, [later.wire])).accepted == [later]


def test_a_clock_far_in_the_future_is_rejected_until_ours_catches_up() -> None:
    ana, ben = group("ana", "ben")
    ben.now += MAX_SKEW_MS + 60_000
    ben.writer.put(ben.seg(), R1, "contact", [SetField("name", b"from the future")], ben.now)
    [data] = ben.bundles_for(ana)
    outcome = ana.receive(data)
    assert not outcome.applied and outcome.retryable
    assert isinstance(outcome.rejections[0].error, ClockSkew)
    assert outcome.rejections[0].step is Step.CLOCK
    ana.now += 60_001
    assert ana.receive(data).applied


def test_bodies_that_do_not_open_are_rejected() -> None:
    ana, ben = group("ana", "ben")
    wrong_key = craft(ben, put(b"x"), key=b"\x09" * 32, epoch=0)
    outcome = ana.receive(seal(ana, [wrong_key.wire]))
    assert isinstance(outcome.rejections[0].error, BadOpBody)
    assert outcome.rejections[0].step is Step.BODY and not outcome.retryable
    unknown_epoch = craft(ben, put(b"x"), key=b"\x09" * 32, epoch=7)
    outcome = ana.receive(seal(ana, [unknown_epoch.wire]))
    assert isinstance(outcome.rejections[0].error, KeyUnavailable) and outcome.retryable
    assert outcome.rejections[0].author == ben.pub and outcome.rejections[0].seq == 1


def test_gaps_are_buffered_then_drained_in_order() -> None:
    ana, ben = group("ana", "ben")
    start = ana.seg().vector()
    ops_ = [
        ben.writer.put(ben.seg(), R1, "contact", [SetField("n", bytes([i]))], ben.now + i)
        for i in range(4)
    ]
    del start
    late = seal(ana, [op.wire for op in ops_[2:]])
    early = seal(ana, [op.wire for op in ops_[:2]])
    first = ana.receive(late)
    assert first.applied and first.buffered == 2 and first.accepted == []
    assert ana.seg().vector().get(ben.pub, 0) == 0
    second = ana.receive(early)
    assert second.accepted == ops_ and not ana.seg().buffer.ops
    assert snapshot(ana.seg())[R1].fields == {"n": b"\x03"}


def test_out_of_order_ops_inside_one_bundle_are_taken() -> None:
    ana, ben = group("ana", "ben")
    ops_ = [
        ben.writer.put(ben.seg(), R1, "contact", [SetField("n", bytes([i]))], ben.now + i)
        for i in range(3)
    ]
    outcome = ana.receive(seal(ana, [ops_[2].wire, ops_[0].wire, ops_[1].wire]))
    assert outcome.accepted == ops_ and outcome.buffered == 0


def test_a_bad_op_buffered_earlier_is_dropped_without_failing_the_filling_bundle() -> None:
    ana, ben = group("ana", "ben")
    first = ben.writer.put(ben.seg(), R1, "contact", [SetField("n", b"1")], ben.now)
    bad_second = craft(ben, put(b"2"), key=b"\x09" * 32, epoch=0, wall=ben.now + 1)  # seq 2
    assert ana.receive(seal(ana, [bad_second.wire])).buffered == 1
    outcome = ana.receive(seal(ana, [first.wire]))
    assert outcome.applied and outcome.accepted == [first]
    [dropped] = outcome.dropped
    assert isinstance(dropped.error, BadOpBody) and dropped.seq == 2
    assert not ana.seg().buffer.ops


def test_receive_ops_rejects_before_committing_anything() -> None:
    ana, ben = group("ana", "ben")
    good = ben.writer.put(ben.seg(), R1, "contact", [SetField("n", b"1")], ben.now)
    before = fingerprint(ana)
    outcome = receive_ops(ana.seg(), [good.wire, b"garbage"], ana.me, ana.now)
    assert not outcome.applied and outcome.rejections[0].step is Step.PARSE
    assert outcome.rejections[0].author is None
    assert fingerprint(ana) == before


def test_removed_member_cannot_read_new_writes_and_their_later_ops_do_nothing() -> None:
    ana, ben, cai = group("ana", "ben", "cai")
    cai.writer.put(cai.seg(), R1, "contact", [SetField("name", b"before removal")], cai.now)
    sync_all([ana, ben, cai])
    ana.now += 1000
    ana.writer.remove_member(ana.seg(), cai.pub, ana.now)
    sync_all([ana, ben])
    assert ana.seg().membership.write_epoch() == 1 and ben.seg().keys.get(1)
    ana.now += 1000
    ana.writer.put(ana.seg(), R2, "contact", [SetField("name", b"secret plan")], ana.now)
    # cai, unaware, writes after the removal: its op is in the chain but has no effect
    cai.now = ana.now + 1000
    late = cai.writer.put(cai.seg(), R1, "contact", [SetField("name", b"after removal")], cai.now)
    outcome = ana.receive(seal(cai, [late.wire]))
    assert outcome.applied and outcome.accepted == [late] and outcome.touched == set()
    assert snapshot(ana.seg())[R1].fields == {"name": b"before removal"}
    # whatever reaches cai is sealed under a key cai never got (never under an older epoch)
    for data in ana.bundles_for(cai):
        got = cai.receive(data)
        assert not got.applied and isinstance(got.rejections[0].error, BadBundle)
    assert R2 not in cai.seg().merge.records


def test_removal_cutoff_voids_backdated_ops_everywhere() -> None:
    ana, ben, cai = group("ana", "ben", "cai")
    sync_all([ana, ben, cai])
    ana.now += 10_000
    ana.writer.remove_member(ana.seg(), cai.pub, ana.now)
    # cai backdates an op to before the removal, with a seq the remover never saw
    backdated = craft(cai, put(b"sneaky"), wall=ana.now - 5000)
    outcome = ana.receive(seal(ana, [backdated.wire]))
    assert outcome.applied and outcome.accepted == [backdated] and outcome.touched == set()
    sync_all([ana, ben])
    for device in (ana, ben):
        assert device.seg().chain(cai.pub).head == 1
        assert R1 not in device.seg().merge.records


def test_every_flipped_byte_of_an_op_inside_an_authentic_bundle_is_rejected() -> None:
    ana, ben = group("ana", "ben")
    op = ben.writer.put(ben.seg(), R1, "contact", [SetField("name", b"Ben")], ben.now)
    before = fingerprint(ana)
    for index in range(len(op.wire)):
        flipped = op.wire[:index] + bytes([op.wire[index] ^ 0x01]) + op.wire[index + 1 :]
        outcome = ana.receive(seal(ana, [flipped]))
        assert not outcome.applied, index
        assert outcome.rejections[0].step in {Step.PARSE, Step.ROLE, Step.SIGNATURE}, index
    assert fingerprint(ana) == before


def test_a_removal_learned_late_retracts_the_voided_op() -> None:
    ana, ben, cai = group("ana", "ben", "cai")
    sync_all([ana, ben, cai])
    ana.now += 10_000
    removal = ana.writer.remove_member(ana.seg(), cai.pub, ana.now)
    backdated = craft(cai, put(b"sneaky"), wall=ana.now - 5000)
    first = ben.receive(seal(ana, [backdated.wire], epoch=0))  # ben has not heard of it yet
    assert first.touched == {R1} and snapshot(ben.seg())[R1].fields == {"name": b"sneaky"}
    second = ben.receive(seal(ana, [removal.wire], epoch=0))
    assert second.accepted == [removal] and R1 in second.touched
    assert R1 not in ben.seg().merge.records
    assert snapshot(ben.seg()) == snapshot(ana.seg())


def test_a_fork_forgets_the_authors_buffered_ops() -> None:
    ana, ben = group("ana", "ben")
    ops_ = [ben.writer.put(ben.seg(), R1, "contact", [SetField("n", bytes([i]))], ben.now + i)
            for i in range(3)]
    assert ana.receive(seal(ana, [ops_[2].wire])).buffered == 1
    ana.receive(seal(ana, [ops_[0].wire]))
    twin = craft(ben, put(b"twin"), seq=1, wall=ben.now + 50)
    outcome = ana.receive(seal(ana, [twin.wire]))
    assert outcome.forks and not ana.seg().buffer.ops
