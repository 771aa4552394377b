"""The sync CLI in-process: identities, peers and verification, sharing, folder round trips."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sync.safety import parse_invitation
from tests.sync.pair import CONTACT, EMAIL, NOTE, make_org, ok, pair


@pytest.fixture(autouse=True)
def _cheap_vaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")
    monkeypatch.delenv("KITH_PASSPHRASE_FILE", raising=False)


def test_id_show_and_invite(tmp_path: Path, passphrase_file: Path) -> None:
    org = make_org(tmp_path, "alice", passphrase_file)
    shown = ok(org.kith("id", "show")).stdout.strip()
    assert re.fullmatch(r"(\d{5} ){5}\d{5}", shown)
    invitation = parse_invitation(org.code())
    assert len(invitation.signing_public) == 32
    assert ok(org.kith("id", "show")).stdout.strip() == shown  # stable identity


def test_peer_verify_admin_and_changed_key(tmp_path: Path, passphrase_file: Path) -> None:
    alice, bob, eve = (make_org(tmp_path, n, passphrase_file) for n in ("alice", "bob", "eve"))
    ok(alice.kith("peer", "add", "bob", bob.code()))
    ok(alice.kith("segment", "create", "Tenants"))
    refused = alice.kith("segment", "share", "Tenants", "bob", "--role", "admin")
    assert refused.exit_code == 5 and "not verified" in refused.stderr
    needs = alice.kith("peer", "verify", "bob")
    assert needs.exit_code == 2  # not a terminal and no --yes
    verified = ok(alice.kith("peer", "verify", "bob", "--yes"))
    assert re.fullmatch(r"(\d{5} ){11}\d{5}", verified.stdout.strip())
    # both sides read the same digits
    ok(bob.kith("peer", "add", "alice", alice.code()))
    assert ok(bob.kith("peer", "verify", "alice", "--yes")).stdout == verified.stdout
    ok(alice.kith("segment", "share", "Tenants", "bob", "--role", "admin"))
    # bob's label now shows another key: halted until re-verified
    changed = alice.kith("peer", "add", "bob", eve.code())
    assert changed.exit_code == 6 and "verify their safety number" in changed.stderr
    listed = json.loads(ok(alice.kith("peer", "list", "--json")).stdout)
    assert listed[0]["halted"] and not listed[0]["verified"]
    pushed = ok(alice.kith("sync", "push", str(tmp_path / "usb")))
    assert "skipped segment" in pushed.stderr
    assert alice.kith("segment", "share", "Tenants", "bob").exit_code == 6
    ok(alice.kith("peer", "verify", "bob", "--yes"))
    assert not json.loads(ok(alice.kith("peer", "list", "--json")).stdout)[0]["halted"]


def test_bad_invitation_and_own_code(tmp_path: Path, passphrase_file: Path) -> None:
    alice = make_org(tmp_path, "alice", passphrase_file)
    assert alice.kith("peer", "add", "x", "KITH-0000").exit_code == 5
    assert alice.kith("peer", "add", "me", alice.code()).exit_code == 5


def test_folder_round_trip_edits_and_deletes(tmp_path: Path, passphrase_file: Path) -> None:
    alice, bob = pair(tmp_path, passphrase_file)
    usb = str(tmp_path / "usb")
    ok(alice.kith("sync", "push", usb))
    ok(bob.kith("sync", "pull", usb))
    [got] = bob.contacts()
    assert got["name"] == CONTACT
    shown = json.loads(ok(bob.kith("show", str(got["id"]), "--json")).stdout)
    assert shown["emails"][0]["value"] == EMAIL and shown["notes"] == NOTE
    assert shown["segments"] == ["Tenants"]
    # concurrent edits of different fields both survive; sets merge
    cid = str(got["id"])
    ok(alice.kith("edit", cid[:12], "--org", "Union"))
    ok(bob.kith("edit", cid[:12], "--add-email", "second@example.org", "--role", "chair"))
    for _ in range(2):
        ok(alice.kith("sync", "push", usb))
        ok(bob.kith("sync", "pull", usb))
        ok(bob.kith("sync", "push", usb))
        ok(alice.kith("sync", "pull", usb))
    a = json.loads(ok(alice.kith("show", cid[:12], "--json")).stdout)
    b = json.loads(ok(bob.kith("show", cid[:12], "--json")).stdout)
    for view in (a, b):
        assert view["org"] == "Union" and view["role"] == "chair"
        assert {e["value"] for e in view["emails"]} == {EMAIL, "second@example.org"}
    # a pull with nothing new changes nothing
    ok(bob.kith("sync", "pull", usb))
    assert json.loads(ok(bob.kith("show", cid[:12], "--json")).stdout) == b
    # delete reaches the other vault as a shred
    ok(bob.kith("delete", cid[:12], "--yes"))
    ok(bob.kith("sync", "push", usb))
    ok(alice.kith("sync", "pull", usb))
    assert alice.contacts() == []
    status = json.loads(ok(alice.kith("sync", "status", "--json")).stdout)
    assert status[0]["segment"] == "Tenants" and status[0]["members"][0]["name"] == "bob"


def test_reader_cannot_write_and_unshare_rotates(tmp_path: Path, passphrase_file: Path) -> None:
    alice, bob = pair(tmp_path, passphrase_file, role="reader")
    usb = str(tmp_path / "usb")
    ok(alice.kith("sync", "push", usb))
    ok(bob.kith("sync", "pull", usb))
    cid = str(bob.contacts()[0]["id"])
    ok(bob.kith("edit", cid[:12], "--org", "Readers edit locally"))
    ok(bob.kith("sync", "push", usb))
    ok(alice.kith("sync", "pull", usb))
    assert json.loads(ok(alice.kith("show", cid[:12], "--json")).stdout)["org"] == ""
    ok(alice.kith("segment", "unshare", "Tenants", "bob"))
    status = json.loads(ok(alice.kith("sync", "status", "--json")).stdout)
    assert status[0]["epoch"] == 1 and status[0]["members"] == []
    assert alice.kith("segment", "unshare", "Tenants", "bob").exit_code == 5


def test_a_welcome_waits_until_its_sender_is_a_known_peer(
    tmp_path: Path, passphrase_file: Path
) -> None:
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
    early = ok(bob.kith("sync", "pull", usb))
    assert "add them first" in early.stderr and "kept for the next pull" in early.stderr
    assert bob.contacts() == []
    ok(bob.kith("peer", "add", "alice", alice.code()))
    ok(bob.kith("peer", "verify", "alice", "--yes"))
    ok(bob.kith("sync", "pull", usb))
    assert [c["name"] for c in bob.contacts()] == [CONTACT]
    assert "Tenants" in ok(bob.kith("segment", "list")).stdout
    text = ok(bob.kith("sync", "status")).stdout
    assert "Tenants" in text and "alice" in text and "admin" in text
    assert "verified" in ok(bob.kith("peer", "list")).stdout


def test_deleting_a_shared_segment_here_deletes_nothing_elsewhere(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, bob = pair(tmp_path, passphrase_file)
    usb = str(tmp_path / "usb")
    ok(alice.kith("sync", "push", usb))
    ok(bob.kith("sync", "pull", usb))
    ok(bob.kith("segment", "delete", "Tenants", "--yes"))
    assert bob.contacts() == []  # it was only in that segment on bob's side
    cid = str(alice.contacts()[0]["id"])
    ok(alice.kith("edit", cid[:12], "--org", "Still here"))
    ok(bob.kith("sync", "push", usb))
    ok(alice.kith("sync", "pull", usb))
    ok(alice.kith("sync", "push", usb))
    ok(bob.kith("sync", "pull", usb))  # logged, not applied: no error
    assert [c["org"] for c in alice.contacts()] == ["Still here"]
    assert bob.contacts() == []


def test_a_cloned_device_is_reported_as_a_fork(tmp_path: Path, passphrase_file: Path) -> None:
    import shutil

    from tests.conftest import Kith
    from tests.sync.pair import Org

    alice, bob = pair(tmp_path, passphrase_file)
    usb = str(tmp_path / "usb")
    ok(alice.kith("sync", "push", usb))
    ok(bob.kith("sync", "pull", usb))
    shutil.copytree(alice.vault_dir, tmp_path / "clone")
    clone = Org("clone", Kith(tmp_path / "clone", passphrase_file))
    cid = str(alice.contacts()[0]["id"])
    ok(alice.kith("edit", cid[:12], "--org", "Branch one"))
    ok(clone.kith("edit", cid[:12], "--org", "Branch two"))
    ok(alice.kith("sync", "push", usb))
    ok(clone.kith("sync", "push", usb))
    pulled = ok(bob.kith("sync", "pull", usb))
    assert "alice signed two histories" in pulled.stderr
    assert bob.contacts()[0]["org"] in ("Branch one", "Branch two")  # one branch kept
