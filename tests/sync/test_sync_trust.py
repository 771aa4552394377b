"""Issue 11, "sync you can trust": each numbered attack or sequence, replayed through real vaults
(the CLI in-process; TCP and serve through real ``kith`` processes in test_sync_session.py).

Setup for all: alice, bob and carol paired and verified; alice shares Tenants (5 contacts) with
bob and carol as writers through a folder.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import pytest

from sync import bundle
from sync.replica import Replica
from sync.transports import folder as folder_transport
from sync.welcome import make_welcome
from tests.conftest import PASSPHRASE
from tests.sync.pair import CONTACT, Org, ok, pair
from vault.api import Vault

EXTRA = ["Qmktenantb01", "Qmktenantc02", "Qmktenantd03", "Qmktenante04"]


@pytest.fixture(autouse=True)
def _cheap_vaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")
    monkeypatch.delenv("KITH_PASSPHRASE_FILE", raising=False)


def names(org: Org) -> set[str]:
    return {str(c["name"]) for c in org.contacts()}


def group(tmp_path: Path, passphrase_file: Path) -> tuple[Org, Org, Org, str]:
    """alice, bob, carol; Tenants holds 5 contacts; everyone pulled once through ``usb``."""
    alice, bob, carol = pair(tmp_path, passphrase_file, "carol", everyone=True)
    for name in EXTRA:
        cid = ok(alice.kith("add", "--name", name)).stdout.strip()
        ok(alice.kith("segment", "add", "Tenants", cid))
    usb = str(tmp_path / "usb")
    ok(alice.kith("sync", "push", usb))
    for org in (bob, carol):
        ok(org.kith("sync", "pull", usb))
        assert names(org) == {CONTACT, *EXTRA}
    return alice, bob, carol, usb


def contact_id(org: Org, name: str) -> str:
    return next(str(c["id"]) for c in org.contacts() if c["name"] == name)


def segment_id(org: Org) -> bytes:
    with Vault.open(org.vault_dir, PASSPHRASE) as vault:
        return vault.segments.find("Tenants").id


# -- 1. a replayed or pending welcome never resurrects a deleted segment ------------------------


def test_item1_pending_or_replayed_welcome_after_segment_delete_loses_nothing(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, bob, carol, usb = group(tmp_path, passphrase_file)
    old = tmp_path / "old"
    shutil.copytree(usb, old)  # every file, the welcome included, as an attacker could keep it
    ok(bob.kith("segment", "delete", "Tenants", "--yes"))
    f2 = str(tmp_path / "f2")
    ok(alice.kith("sync", "push", f2))  # rewrites alice's pending welcome for bob
    ok(bob.kith("sync", "pull", f2))
    ok(bob.kith("sync", "push", f2))
    for org in (alice, carol):
        ok(org.kith("sync", "pull", f2))
        assert names(org) == {CONTACT, *EXTRA}
    assert "Tenants" not in ok(bob.kith("segment", "list")).stdout
    # the old welcome, copied under new names into a new folder, with no key at all
    f3 = tmp_path / "f3"
    f3.mkdir()
    for path in old.iterdir():
        folder_transport.write(f3, path.read_bytes())
    ok(bob.kith("sync", "pull", str(f3)))
    ok(bob.kith("sync", "push", str(f3)))
    for org in (alice, carol):
        ok(org.kith("sync", "pull", str(f3)))
        assert names(org) == {CONTACT, *EXTRA}
    assert "Tenants" not in ok(bob.kith("segment", "list")).stdout
    assert bob.contacts() == []


# -- 2. a welcome never plants a key in an existing segment -------------------------------------


def test_item2_removed_member_cannot_plant_a_segment_key_through_a_welcome(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, bob, carol, usb = group(tmp_path, passphrase_file)
    ok(alice.kith("segment", "unshare", "Tenants", "carol"))
    ok(alice.kith("sync", "push", usb))
    seg = segment_id(alice)
    planted = b"\x42" * 32
    with Vault.open(carol.vault_dir, PASSPHRASE) as vault:
        replica = Replica(vault)
        bob_peer = replica.peers.peers["bob"]
        founder = replica.state.segments[seg].founder
        forged = make_welcome(replica.me, bob_peer.signing_public, bob_peer.box_public, seg,
                              founder, "Tenants", [(1, planted)])
    folder_transport.write(Path(usb), forged)
    ok(bob.kith("sync", "pull", usb))
    ok(bob.kith("edit", contact_id(bob, CONTACT)[:12], "--org", "Qmkafterplant"))
    mine = set(Path(usb).iterdir())
    ok(bob.kith("sync", "push", usb))
    for path in set(Path(usb).iterdir()) - mine:  # nothing bob wrote opens under carol's key
        with pytest.raises(bundle.BadBundle):
            bundle.open_bundle(path.read_bytes(), [bundle.SegmentKey(seg, 1, planted)])
    ok(alice.kith("sync", "pull", usb))
    assert json.loads(ok(alice.kith("show", contact_id(alice, CONTACT)[:12], "--json")).stdout)[
        "org"] == "Qmkafterplant"


# -- 4. removing a contact from a shared segment keeps your own copy -----------------------------


def test_item4_removing_a_contact_keeps_your_copy_when_a_late_edit_arrives(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, bob, _carol, usb = group(tmp_path, passphrase_file)
    target = contact_id(alice, EXTRA[0])
    ok(alice.kith("segment", "remove", "Tenants", target[:12]))
    ok(alice.kith("sync", "push", usb))
    ok(bob.kith("edit", target[:12], "--org", "Qmklateedit"))  # bob has not pulled yet
    ok(bob.kith("sync", "push", usb))
    ok(alice.kith("sync", "pull", usb))
    shown = json.loads(ok(alice.kith("show", target[:12], "--json")).stdout)
    assert shown["name"] == EXTRA[0] and "Tenants" not in shown["segments"]
    ok(bob.kith("sync", "pull", usb))  # for bob the contact is gone from Tenants (delete wins)
    assert EXTRA[0] not in names(bob)


# -- 5. nothing is shared with, accepted from, or synced with an unverified peer ----------------


def test_item5_sharing_with_an_unverified_peer_is_refused(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, _bob, _carol, _usb = group(tmp_path, passphrase_file)
    from tests.sync.pair import make_org

    dave = make_org(tmp_path, "dave", passphrase_file)
    ok(alice.kith("peer", "add", "dave", dave.code()))
    for role in ("reader", "writer", "admin"):
        refused = alice.kith("segment", "share", "Tenants", "dave", "--role", role)
        assert refused.exit_code == 5, refused
        assert "kith peer verify" in refused.stderr
    status = json.loads(ok(alice.kith("sync", "status", "--json")).stdout)
    assert "dave" not in {m["name"] for m in status[0]["members"]}


def test_item5_a_welcome_from_an_unverified_peer_waits_until_verified(
    tmp_path: Path, passphrase_file: Path
) -> None:
    from tests.sync.pair import make_org

    alice, bob = make_org(tmp_path, "alice", passphrase_file), make_org(
        tmp_path, "bob", passphrase_file
    )
    ok(alice.kith("peer", "add", "bob", bob.code()))
    ok(alice.kith("peer", "verify", "bob", "--yes"))
    ok(alice.kith("segment", "create", "Tenants"))
    cid = ok(alice.kith("add", "--name", CONTACT)).stdout.strip()
    ok(alice.kith("segment", "add", "Tenants", cid))
    ok(alice.kith("segment", "share", "Tenants", "bob"))
    usb = str(tmp_path / "usb")
    ok(alice.kith("sync", "push", usb))
    ok(bob.kith("peer", "add", "alice", alice.code()))  # added, never verified
    early = ok(bob.kith("sync", "pull", usb))
    assert "kith peer verify" in early.stderr and "kept for the next pull" in early.stderr
    assert bob.contacts() == [] and "Tenants" not in ok(bob.kith("segment", "list")).stdout
    ok(bob.kith("peer", "verify", "alice", "--yes"))
    ok(bob.kith("sync", "pull", usb))
    assert names(bob) == {CONTACT}


# -- 7. a halted peer's key cannot write through a folder ---------------------------------------


def test_item7_a_halted_peers_changes_are_not_taken_by_a_pull(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, bob, _carol, usb = group(tmp_path, passphrase_file)
    from tests.sync.pair import make_org

    other = make_org(tmp_path, "other", passphrase_file)
    changed = alice.kith("peer", "add", "bob", other.code())  # bob's label shows a new key
    assert changed.exit_code == 6
    ok(bob.kith("edit", contact_id(bob, CONTACT)[:12], "--org", "Qmkhaltedwrite"))
    ok(bob.kith("sync", "push", usb))
    pulled = alice.kith("sync", "pull", usb)
    assert "verify their safety number" in pulled.stderr
    assert json.loads(ok(alice.kith("show", contact_id(alice, CONTACT)[:12], "--json")).stdout)[
        "org"] == ""
    # bob's real key re-verified: the kept file is taken on the next pull
    assert alice.kith("peer", "add", "bob", bob.code()).exit_code == 6  # still halted
    ok(alice.kith("peer", "verify", "bob", "--yes"))
    ok(alice.kith("sync", "pull", usb))
    assert json.loads(ok(alice.kith("show", contact_id(alice, CONTACT)[:12], "--json")).stdout)[
        "org"] == "Qmkhaltedwrite"


# -- 6. after a removal, nothing is sealed under an older epoch ----------------------------------


def test_item6_bundles_after_a_removal_are_sealed_under_the_new_epoch(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, bob, carol, _usb = group(tmp_path, passphrase_file)
    ok(alice.kith("segment", "unshare", "Tenants", "carol"))
    fresh = tmp_path / "fresh"  # a new folder: alice knows nothing of what is there
    ok(alice.kith("sync", "push", str(fresh)))
    with Vault.open(carol.vault_dir, PASSPHRASE) as vault:
        carol_keys = Replica(vault).state.bundle_keys()
    for path in fresh.iterdir():
        data = path.read_bytes()
        if data[:8] == bundle.MAGIC:
            with pytest.raises(bundle.BadBundle):
                bundle.open_bundle(data, carol_keys)
    ok(carol.kith("sync", "pull", str(fresh)))
    # bob, stale, opens it thanks to the welcome alice queued with the new key, then syncs on
    ok(bob.kith("sync", "pull", str(fresh)))
    ok(bob.kith("edit", contact_id(bob, CONTACT)[:12], "--org", "Qmkepochone"))
    ok(bob.kith("sync", "push", str(fresh)))
    ok(alice.kith("sync", "pull", str(fresh)))
    assert json.loads(ok(alice.kith("show", contact_id(alice, CONTACT)[:12], "--json")).stdout)[
        "org"] == "Qmkepochone"
    ok(carol.kith("sync", "pull", str(fresh)))
    assert json.loads(ok(carol.kith("show", contact_id(carol, CONTACT)[:12], "--json")).stdout)[
        "org"] == ""


# -- 3. a removed member's late edit, forwarded by a member, partitions no one -----------------


def test_item3_a_removed_members_unseen_edit_forwarded_by_a_member_is_logged_without_effect(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, bob, carol, usb = group(tmp_path, passphrase_file)
    ok(carol.kith("edit", contact_id(carol, CONTACT)[:12], "--org", "Qmkcarollate"))
    ok(carol.kith("sync", "push", usb))
    ok(bob.kith("sync", "pull", usb))  # bob holds carol's edit; alice has not seen it
    ok(alice.kith("segment", "unshare", "Tenants", "carol"))
    f2 = str(tmp_path / "f2")  # alice never reads usb again: carol's edit reaches her via bob
    ok(alice.kith("sync", "push", f2))
    ok(bob.kith("sync", "pull", f2))
    ok(bob.kith("edit", contact_id(bob, EXTRA[1])[:12], "--org", "Qmkbobafter"))
    ok(bob.kith("sync", "push", f2))
    taken = ok(alice.kith("sync", "pull", f2))
    assert "logged without effect" in taken.stderr
    shown = {c["name"]: c["org"] for c in alice.contacts()}
    assert shown[EXTRA[1]] == "Qmkbobafter"  # bob's edit is taken
    assert shown[CONTACT] == ""  # carol's edit, made after her cutoff, has no effect
    ok(bob.kith("sync", "pull", f2))
    assert {c["name"]: c["org"] for c in bob.contacts()}[CONTACT] == ""  # voided there too


# -- 8 and 11. junk and damaged files: bounded memory, dropped once -----------------------------


def test_item8_junk_files_are_peeked_not_read_and_refused_files_keep_no_data(
    tmp_path: Path, passphrase_file: Path
) -> None:
    import tracemalloc

    _alice, bob, _carol, usb = group(tmp_path, passphrase_file)
    size = 60 << 20
    for index in range(6):  # sparse: 60 MiB each on paper, no disk
        with open(Path(usb) / f"{index:032x}.kith", "wb") as handle:
            handle.write(bundle.MAGIC if index % 2 else b"junkjunk")
            handle.truncate(size)
    with open(Path(usb) / f"{99:032x}.kith", "wb") as handle:
        handle.truncate(65 << 20)  # over the limit: never read
    tracemalloc.start()
    try:
        pulled = ok(bob.kith("sync", "pull", usb))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"folder pull of 6 x 60 MiB files and a 65 MiB one: traced peak {peak} bytes")
    assert peak < 3 * size, peak  # 3 x 60 MiB were opened; one at a time, none kept
    assert "4 file(s) are not Kith sync files or are over 64 MiB" in pulled.stderr
    # 3 files here, and the welcome for carol: each might be for a key still to come
    assert "4 file(s) could not be opened" in pulled.stderr
    again = ok(bob.kith("sync", "pull", usb))
    assert "not Kith sync files" not in again.stderr  # said once


def test_item11_a_damaged_bundle_for_a_held_segment_is_refused_once_not_retried(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, bob, _carol, _usb = group(tmp_path, passphrase_file)
    ok(alice.kith("edit", contact_id(alice, CONTACT)[:12], "--org", "Qmkdamaged"))
    f2 = tmp_path / "f2"
    ok(alice.kith("sync", "push", str(f2)))
    with Vault.open(alice.vault_dir, PASSPHRASE) as vault:
        keys = Replica(vault).state.bundle_keys()
    for path in f2.iterdir():
        data = bytearray(path.read_bytes())
        with contextlib.suppress(bundle.BadBundle):  # welcomes (for bob, carol) do not open
            bundle.open_bundle(bytes(data), keys)
            data[-5] ^= 1
            path.write_bytes(bytes(data))
    refused = bob.kith("sync", "pull", str(f2))
    assert refused.exit_code == 6 and "damaged" in refused.stderr
    again = ok(bob.kith("sync", "pull", str(f2)))
    assert "refused 0" in again.stderr  # dropped, not retried
    assert "could not be opened" in again.stderr  # only carol's welcome is kept


# -- 11. smaller spec items, in the sync core -----------------------------------------------------


def test_item11_an_op_over_1_mib_in_an_authentic_bundle_is_op_too_large(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sync.errors import OpTooLarge
    from sync.ops import MAX_OP_BYTES
    from tests.sync.helpers import group as devices
    from tests.sync.helpers import seal

    ana, ben = devices("ana", "ben")
    monkeypatch.setattr(bundle, "MAX_OP_BYTES", 2 * MAX_OP_BYTES)  # a sender ignoring the limit
    outcome = ben.receive(seal(ana, [b"\x01" * (MAX_OP_BYTES + 1)]))
    assert not outcome.applied and isinstance(outcome.rejections[0].error, OpTooLarge)


def test_item11_a_removal_that_hands_the_removed_member_the_new_key_is_refused() -> None:
    from sync import ops
    from sync.errors import MalformedOp
    from sync.hlc import Hlc
    from tests.sync.helpers import SEGMENT, seal
    from tests.sync.helpers import group as devices
    from vault.crypto import keys as crypto_keys
    from vault.encoding import enc

    ana, ben, cai = devices("ana", "ben", "cai")
    shares = [
        enc(who.pub, crypto_keys.box_seal(who.me.box_public, b"k" * 32))
        for who in sorted((ana, cai), key=lambda d: d.pub)
    ]
    bodies = [
        enc("member.remove", cai.pub, 0, 1, *shares),  # the removed member gets the new key
        enc("member.remove", cai.pub, 0, 0, shares[0]),  # no new epoch
    ]
    chain = ana.seg().chain(ana.pub)
    for body in bodies:
        op = ops.sign(ana.me, SEGMENT, chain.head + 1, chain.ids[-1], Hlc(ana.now + 5, 0),
                      ops.Kind.MEMBER_REMOVE, body)
        outcome = ben.receive(seal(ana, [op.wire]))
        assert not outcome.applied and isinstance(outcome.rejections[0].error, MalformedOp)
    assert cai.pub in ben.seg().membership.members()


def test_item11_a_removed_member_is_told_once_and_stops_sending(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, _bob, carol, usb = group(tmp_path, passphrase_file)
    ok(alice.kith("segment", "unshare", "Tenants", "carol"))
    ok(alice.kith("sync", "push", usb))
    told = ok(carol.kith("sync", "pull", usb))
    assert "you were removed from Tenants by alice" in told.stderr
    f2 = str(tmp_path / "f2")
    ok(alice.kith("sync", "push", f2))  # the notice again, in another folder
    again = ok(carol.kith("sync", "pull", f2))
    assert "you were removed" not in again.stderr  # said once
    ok(carol.kith("edit", contact_id(carol, CONTACT)[:12], "--org", "Qmkcarolstill"))
    assert "wrote 0 file(s)" in ok(carol.kith("sync", "push", f2)).stderr  # stops sending
    assert CONTACT in names(carol)  # what she held, she keeps


def test_item11_a_removal_notice_from_a_non_admin_is_refused(
    tmp_path: Path, passphrase_file: Path
) -> None:
    from sync.welcome import make_notice

    alice, bob, carol, usb = group(tmp_path, passphrase_file)
    seg = segment_id(alice)
    with Vault.open(bob.vault_dir, PASSPHRASE) as vault:  # bob, a writer, forges a removal
        replica = Replica(vault)
        state = replica.state.segments[seg]
        carol_peer = replica.peers.peers["carol"]
        from sync import ops
        from sync.bodies import MemberRemove, encode_membership
        from sync.hlc import Hlc
        from vault.crypto import keys as crypto_keys

        chain = state.chain(replica.me.signing_public)
        share = (replica.me.signing_public, crypto_keys.box_seal(replica.me.box_public, b"k"))
        body = encode_membership(MemberRemove(carol_peer.signing_public, 0, 9, (share,)))
        forged = ops.sign(replica.me, seg, chain.head + 1, chain.ids[-1] if chain.ids else
                          ops.ZERO_HASH, Hlc(2**40, 0), ops.Kind.MEMBER_REMOVE, body)
        notice = make_notice(replica.me, carol_peer.signing_public, carol_peer.box_public, seg,
                             state.founder, forged.wire)
    folder_transport.write(Path(usb), notice)
    pulled = ok(carol.kith("sync", "pull", usb))
    assert "you were removed" not in pulled.stderr
    assert "wrote 0 file(s)" not in ok(carol.kith("sync", "push", usb)).stderr


def test_welcome_keys_open_a_first_sync_split_over_many_bundles(
    tmp_path: Path, passphrase_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new member's member.add (the trusted key) comes last: earlier bundles open with the
    welcome's opening keys, or the first sync of a large segment would never complete."""
    from sync import sending as outbox

    real_split = bundle.split
    monkeypatch.setattr(outbox.bundle, "split", lambda ops: real_split(ops, budget=1500))
    from tests.sync.pair import make_org

    alice, bob = (make_org(tmp_path, n, passphrase_file) for n in ("alice", "bob"))
    for a, b in ((alice, bob), (bob, alice)):
        ok(a.kith("peer", "add", b.name, b.code()))
        ok(a.kith("peer", "verify", b.name, "--yes"))
    ok(alice.kith("segment", "create", "Tenants"))
    for name in EXTRA:
        cid = ok(alice.kith("add", "--name", name, "--note", "Qmknote" * 30)).stdout.strip()
        ok(alice.kith("segment", "add", "Tenants", cid))
    ok(alice.kith("segment", "share", "Tenants", "bob"))  # member.add comes after the contacts
    usb = tmp_path / "usb"
    ok(alice.kith("sync", "push", str(usb)))
    assert len(list(usb.iterdir())) > 4
    ok(bob.kith("sync", "pull", str(usb)))
    assert names(bob) == set(EXTRA)


def test_item6_a_stale_member_who_is_not_the_removers_peer_gets_the_new_key_from_another(
    tmp_path: Path, passphrase_file: Path
) -> None:
    """carol was added by bob (an admin) and never met alice: after alice removes dave, bob
    passes the new key on to carol, or she could never open a bundle again."""
    from tests.sync.pair import make_org

    alice, bob, dave = pair(tmp_path, passphrase_file, "dave", role="writer")
    ok(alice.kith("segment", "share", "Tenants", "bob", "--role", "admin"))
    carol = make_org(tmp_path, "carol", passphrase_file)
    for a, b in ((bob, carol), (carol, bob)):
        ok(a.kith("peer", "add", b.name, b.code()))
        ok(a.kith("peer", "verify", b.name, "--yes"))
    usb = str(tmp_path / "usb")
    ok(alice.kith("sync", "push", usb))
    ok(bob.kith("sync", "pull", usb))
    ok(bob.kith("segment", "share", "Tenants", "carol"))
    ok(bob.kith("sync", "push", usb))
    ok(carol.kith("sync", "pull", usb))
    assert names(carol) == {CONTACT}
    ok(alice.kith("segment", "unshare", "Tenants", "dave"))
    new = ok(alice.kith("add", "--name", "Qmkafterdave")).stdout.strip()
    ok(alice.kith("segment", "add", "Tenants", new))
    f2 = str(tmp_path / "f2")
    ok(alice.kith("sync", "push", f2))
    ok(bob.kith("sync", "pull", f2))
    ok(bob.kith("sync", "push", f2))
    ok(carol.kith("sync", "pull", f2))
    assert names(carol) == {CONTACT, "Qmkafterdave"}
    ok(dave.kith("sync", "pull", f2))
    assert "Qmkafterdave" not in names(dave)


def test_a_removed_member_added_back_reads_and_writes_again(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, bob, carol, usb = group(tmp_path, passphrase_file)
    ok(alice.kith("segment", "unshare", "Tenants", "carol"))
    new = ok(alice.kith("add", "--name", "Qmkwhileaway")).stdout.strip()
    ok(alice.kith("segment", "add", "Tenants", new))
    ok(alice.kith("sync", "push", usb))
    assert "you were removed" in ok(carol.kith("sync", "pull", usb)).stderr
    assert "Qmkwhileaway" not in names(carol)
    ok(alice.kith("segment", "share", "Tenants", "carol"))
    ok(alice.kith("sync", "push", usb))
    ok(carol.kith("sync", "pull", usb))
    assert "Qmkwhileaway" in names(carol)
    ok(carol.kith("edit", contact_id(carol, CONTACT)[:12], "--org", "Qmkback"))
    ok(carol.kith("sync", "push", usb))
    for org in (alice, bob):
        ok(org.kith("sync", "pull", usb))
        assert {c["name"]: c["org"] for c in org.contacts()}[CONTACT] == "Qmkback"


def test_item3_a_bundle_refused_in_a_folder_is_sent_again_once_a_reader_shows_it_lacks_it(
    tmp_path: Path, passphrase_file: Path
) -> None:
    """What a folder was written never counts as what its readers hold: a reader's own bundle
    shows what it lacks, and the writer sends that again."""
    alice, bob, _carol, _usb = group(tmp_path, passphrase_file)
    ok(alice.kith("edit", contact_id(alice, CONTACT)[:12], "--org", "Qmkresent"))
    f2 = tmp_path / "f2"
    ok(alice.kith("sync", "push", str(f2)))
    with Vault.open(alice.vault_dir, PASSPHRASE) as vault:
        keys = Replica(vault).state.bundle_keys()
    for path in f2.iterdir():  # the carrier damages alice's bundle
        data = bytearray(path.read_bytes())
        with contextlib.suppress(bundle.BadBundle):
            bundle.open_bundle(bytes(data), keys)
            data[-5] ^= 1
            path.write_bytes(bytes(data))
    assert bob.kith("sync", "pull", str(f2)).exit_code == 6  # refused once, dropped
    ok(bob.kith("edit", contact_id(bob, EXTRA[0])[:12], "--org", "Qmkbobnote"))
    ok(bob.kith("sync", "push", str(f2)))  # bob's bundle carries what bob holds
    ok(alice.kith("sync", "pull", str(f2)))
    ok(alice.kith("sync", "push", str(f2)))  # alice sends again what bob showed he lacks
    ok(bob.kith("sync", "pull", str(f2)))
    assert {c["name"]: c["org"] for c in bob.contacts()}[CONTACT] == "Qmkresent"
