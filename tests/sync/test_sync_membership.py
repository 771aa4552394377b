"""Membership: roles, role at an op's date, removal rotating the key, concurrent admins."""

from __future__ import annotations

import pytest

from sync.bodies import MemberRemove, Role, SetField
from sync.changes import snapshot
from sync.errors import NotAllowedLocally, UnverifiedPeer
from sync.membership import sufficient
from sync.ops import Kind
from sync.state import SegmentState
from tests.sync.helpers import SEGMENT, Device, group, peer_of, seal, sync_all

R1 = b"\x01" * 16
R2 = b"\x02" * 16


def test_founder_is_admin_and_members_get_their_roles() -> None:
    ana, ben, rita = group("ana", "ben", "rita")
    ana.writer.add_member(ana.seg(), peer_of(rita), Role.READER, ana.now)
    sync_all([ana, ben, rita])
    for device in (ana, ben, rita):
        assert device.seg().membership.members() == {
            ana.pub: Role.ADMIN,
            ben.pub: Role.WRITER,
            rita.pub: Role.READER,
        }


def test_roles_include_each_other() -> None:
    assert sufficient(Role.ADMIN, Role.WRITER) and sufficient(Role.WRITER, Role.READER)
    assert not sufficient(Role.READER, Role.WRITER) and not sufficient(None, Role.READER)


def test_local_role_checks_come_before_signing() -> None:
    ana, rita = group("ana", "rita", role=Role.READER)
    head = rita.seg().chain(rita.pub).head
    with pytest.raises(NotAllowedLocally):
        rita.writer.put(rita.seg(), R1, "contact", [SetField("n", b"x")], rita.now)
    with pytest.raises(NotAllowedLocally):
        rita.writer.add_member(rita.seg(), peer_of(ana), Role.READER, rita.now)
    assert rita.seg().chain(rita.pub).head == head


def test_only_verified_peers_can_become_admins() -> None:
    ana, ben = group("ana", "ben")
    with pytest.raises(UnverifiedPeer):
        ana.writer.add_member(ana.seg(), peer_of(ben, verified=False), Role.ADMIN, ana.now)
    ana.writer.add_member(ana.seg(), peer_of(ben, verified=True), Role.ADMIN, ana.now)
    assert ana.seg().membership.current_role(ben.pub) is Role.ADMIN


def test_demotion_keeps_earlier_edits_and_voids_later_ones() -> None:
    ana, ben, cai = group("ana", "ben", "cai")
    ben.writer.put(ben.seg(), R1, "contact", [SetField("name", b"early")], ben.now)
    sync_all([ana, ben, cai])
    ana.now += 1000
    ana.writer.add_member(ana.seg(), peer_of(ben), Role.READER, ana.now)
    ben.now = ana.now + 1000  # ben has not heard, and writes again
    ben.writer.put(ben.seg(), R1, "contact", [SetField("name", b"late")], ben.now)
    cai.now = ben.now
    sync_all([ana, ben, cai])
    for device in (ana, ben, cai):
        assert snapshot(device.seg())[R1].fields == {"name": b"early"}


def test_removal_rotates_the_key_in_the_same_op() -> None:
    ana, ben, cai = group("ana", "ben", "cai")
    op = ana.writer.remove_member(ana.seg(), cai.pub, ana.now)
    assert op.kind is Kind.MEMBER_REMOVE
    entry = ana.seg().log[-1]
    assert entry.op == op
    from sync.bodies import parse_membership

    body = parse_membership(op.kind, op.body)
    assert isinstance(body, MemberRemove) and body.epoch == 1
    assert {r for r, _ in body.shares} == {ana.pub, ben.pub}
    assert ana.seg().membership.write_epoch() == 1
    sync_all([ana, ben])
    assert ben.seg().write_key().key == ana.seg().write_key().key
    assert ben.seg().membership.members() == {ana.pub: Role.ADMIN, ben.pub: Role.WRITER}


def test_a_new_member_learns_every_epoch_and_reads_the_history() -> None:
    ana, _ = group("ana", "ben")
    ana.writer.put(ana.seg(), R1, "contact", [SetField("name", b"epoch 0")], ana.now)
    ana.writer.rotate_key(ana.seg(), ana.now)
    ana.writer.put(ana.seg(), R2, "contact", [SetField("name", b"epoch 1")], ana.now)
    dee = Device("dee")
    ana.writer.add_member(ana.seg(), peer_of(dee), Role.READER, ana.now)
    # the welcome gives dee the epoch-0 key only; every later key comes in member.add shares
    dee.sync.segments[SEGMENT] = SegmentState(SEGMENT, ana.pub)
    dee.seg().add_key(0, ana.seg().keys[0][0])
    for data in ana.bundles_for(dee):
        outcome = dee.receive(data)
        assert outcome.applied, outcome.rejections
        assert (1, ana.seg().keys[1][0]) in outcome.new_keys
    assert snapshot(dee.seg()) == snapshot(ana.seg())


def test_concurrent_rotations_by_two_admins_converge_and_both_keys_open() -> None:
    ana, bob, cai = group("ana", "bob", "cai")
    ana.writer.add_member(ana.seg(), peer_of(bob), Role.ADMIN, ana.now)
    sync_all([ana, bob, cai])
    ana.writer.rotate_key(ana.seg(), ana.now + 10)
    bob.writer.rotate_key(bob.seg(), bob.now + 20)
    ana.writer.put(ana.seg(), R1, "contact", [SetField("name", b"under ana's key")], ana.now + 30)
    bob.writer.put(bob.seg(), R2, "contact", [SetField("name", b"under bob's key")], bob.now + 40)
    for device in (ana, bob, cai):
        device.now += 100
    sync_all([ana, bob, cai])
    views = [snapshot(d.seg()) for d in (ana, bob, cai)]
    assert views[0] == views[1] == views[2] and len(views[0]) == 2
    assert len(cai.seg().keys[1]) == 2  # one epoch number, two keys
    epochs = {d.seg().membership.write_epoch() for d in (ana, bob, cai)}
    assert epochs == {1}


def test_a_removed_device_refuses_to_write_once_it_knows() -> None:
    ana, _, cai = group("ana", "ben", "cai")
    removal = ana.writer.remove_member(ana.seg(), cai.pub, ana.now)
    outcome = cai.receive(seal(ana, [removal.wire], epoch=0))
    assert outcome.applied and outcome.new_keys == []
    assert cai.seg().membership.current_role(cai.pub) is None
    with pytest.raises(NotAllowedLocally):
        cai.writer.put(cai.seg(), R1, "contact", [SetField("n", b"x")], cai.now)
