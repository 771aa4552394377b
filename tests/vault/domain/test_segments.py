"""Segments (issue 6): key boundaries, membership as wrapped CDKs, sealed names, safe deletion."""

from __future__ import annotations

import pytest

from tests.cli_helpers import add, files, run_json
from tests.conftest import Kith
from vault.api import Vault
from vault.core.keytree import cdk_ad2
from vault.core.records import field_ad
from vault.crypto import aead
from vault.domain.model import ContactDraft
from vault.errors import (
    IntegrityError,
    InvalidInput,
    LastSegment,
    NoSuchSegment,
    SegmentNameTaken,
)


def test_create_list_show_rename(kith: Kith) -> None:
    made = run_json(kith, "segment", "create", "March action")
    assert isinstance(made, dict)
    assert made["name"] == "March action" and made["epoch"] == 0 and made["contacts"] == 0
    assert len(made["id"]) == 32 and made["until"] is None
    run_json(kith, "segment", "create", "Tenants")
    listed = run_json(kith, "segment", "list")
    assert [s["name"] for s in listed] == ["March action", "Tenants"]  # type: ignore[union-attr,index]
    renamed = run_json(kith, "segment", "rename", "march ACTION", "April action")
    assert isinstance(renamed, dict)
    assert renamed["name"] == "April action" and renamed["id"] == made["id"]
    shown = run_json(kith, "segment", "show", "april action")
    assert isinstance(shown, dict) and shown["members"] == []
    human = kith("segment", "list")
    assert "April action" in human.stdout and "private" not in human.stdout


def test_the_private_segment_is_never_listed_or_reachable(kith: Kith) -> None:
    assert run_json(kith, "segment", "list") == []
    assert kith("segment", "show", "private").exit_code == 4
    assert kith("segment", "create", "Private").exit_code == 5
    assert kith("segment", "delete", "private", "--yes").exit_code == 4


def test_add_and_remove_members_show_on_the_contact(kith: Kith) -> None:
    ana, bob = add(kith, "--name", "Ana"), add(kith, "--name", "Bob")
    run_json(kith, "segment", "create", "Tenants")
    run_json(kith, "segment", "create", "Union")
    added = run_json(kith, "segment", "add", "tenants", ana, bob[:8])
    assert isinstance(added, dict) and added["changed"] == 2 and added["contacts"] == 2
    again = run_json(kith, "segment", "add", "tenants", ana)
    assert isinstance(again, dict) and again["changed"] == 0
    run_json(kith, "segment", "add", "Union", ana)
    shown = run_json(kith, "show", ana)
    assert isinstance(shown, dict) and shown["segments"] == ["Tenants", "Union"]
    listed = run_json(kith, "list")
    assert isinstance(listed, list)
    assert {c["name"]: c["segments"] for c in listed} == {
        "Ana": ["Tenants", "Union"],
        "Bob": ["Tenants"],
    }
    members = run_json(kith, "segment", "show", "Tenants")
    assert isinstance(members, dict)
    assert [m["name"] for m in members["members"]] == ["Ana", "Bob"]
    removed = run_json(kith, "segment", "remove", "Tenants", bob)
    assert isinstance(removed, dict) and removed["changed"] == 1 and removed["contacts"] == 1
    assert run_json(kith, "show", bob)["segments"] == []  # type: ignore[index]
    assert kith("show", bob).exit_code == 0  # still in the private segment


def test_invalid_membership_changes_nothing(kith: Kith) -> None:
    ana = add(kith, "--name", "Ana")
    run_json(kith, "segment", "create", "Tenants")
    before = files(kith.vault_dir)
    unknown = kith("segment", "add", "Tenants", ana, "ffffffffffff")
    assert unknown.exit_code == 4 and unknown.stderr.startswith("kith: ")
    assert kith("segment", "add", "Tenants", ana, "not-hex").exit_code == 5
    assert kith("segment", "add", "Nowhere", ana).exit_code == 4
    assert kith("segment", "add", "Tenants").exit_code == 2
    assert files(kith.vault_dir) == before
    assert run_json(kith, "segment", "show", "Tenants")["members"] == []  # type: ignore[index]


def test_bad_names_are_refused(kith: Kith) -> None:
    run_json(kith, "segment", "create", "Tenants")
    before = files(kith.vault_dir)
    taken = kith("segment", "create", "TENANTS")
    assert taken.exit_code == 5 and "already exists" in taken.stderr
    assert kith("segment", "create", "  ").exit_code == 5
    assert kith("segment", "create", "x" * 65).exit_code == 5
    assert kith("segment", "create", "bad\x1bname").exit_code == 5
    assert files(kith.vault_dir) == before
    run_json(kith, "segment", "create", "Union")
    assert kith("segment", "rename", "Union", "tenants").exit_code == 5
    assert kith("segment", "rename", "Nope", "Other").exit_code == 4
    names = [s["name"] for s in run_json(kith, "segment", "list")]  # type: ignore[union-attr]
    assert names == ["Tenants", "Union"]


def test_delete_keeps_contacts_made_here(kith: Kith) -> None:
    ana = add(kith, "--name", "Ana")
    run_json(kith, "segment", "create", "Tenants")
    run_json(kith, "segment", "add", "Tenants", ana)
    refused = kith("segment", "delete", "Tenants")
    assert refused.exit_code == 2
    assert len(run_json(kith, "segment", "list")) == 1  # type: ignore[arg-type]
    done = run_json(kith, "segment", "delete", "tenants", "--yes")
    assert done == {"deleted": "Tenants", "kept": 1, "shredded": 0}
    assert run_json(kith, "segment", "list") == []
    assert run_json(kith, "show", ana)["segments"] == []  # type: ignore[index]


def test_membership_is_a_cdk_wrapped_for_the_segment(vault: Vault) -> None:
    """Format 2: one wrapped CDK per segment, under the record's bucket key, bound by the AD."""
    contact = vault.contacts.add(ContactDraft(name="Ana"))
    record_id = bytes.fromhex(contact.id)
    segment = vault.segments.create("Tenants")
    vault.segments.add(segment, [record_id])
    row = vault.live_store.one(
        "SELECT epoch, wrapped_cdk FROM record_keys WHERE record_id = ? AND segment_id = ?",
        (record_id, segment.id),
    )
    assert row is not None and row[0] == segment.epoch
    key = vault.records.tree.key(record_id)
    cdk = aead.open_exact(key, row[1], cdk_ad2(segment.id, segment.epoch, record_id))
    with pytest.raises(IntegrityError):
        aead.open_exact(key, row[1], cdk_ad2(vault.private_segment, segment.epoch, record_id))
    sealed = vault.live_store.one(
        "SELECT version, sealed FROM fields WHERE record_id = ? AND name = 'name'", (record_id,)
    )
    assert sealed is not None
    home = vault.private_segment
    assert aead.open_sealed(cdk, sealed[1], field_ad(home, record_id, "name", sealed[0])) == b"Ana"


def test_segment_names_are_sealed(vault: Vault) -> None:
    vault.segments.create("Qmksegment7x1")
    rows = vault.live_store.execute("SELECT name_sealed FROM segments")
    assert all(b"Qmksegment7x1" not in bytes(r[0]) for r in rows)
    vault.lock()
    for path in vault.path.iterdir():
        assert b"Qmksegment7x1" not in path.read_bytes()


def test_a_record_is_never_left_without_a_key(vault: Vault) -> None:
    segment = vault.segments.create("Peers")
    # A record that came from a peer: homed in the shared segment, wrapped only for it.
    peer = vault.records.create("contact", {"name": b"From a peer"}, segment.id)
    with pytest.raises(LastSegment):
        vault.segments.remove(segment, [peer])
    assert vault.contacts.get_by_id(peer).name == "From a peer"


def test_removing_a_records_home_segment_reseals_it(vault: Vault) -> None:
    segment = vault.segments.create("Peers")
    peer = vault.records.create("contact", {"name": b"Shared"}, segment.id)
    vault.records.add_to_segment(peer, vault.private_segment)
    vault.segments.remove(segment, [peer])
    record = vault.records.get(peer)
    assert record.home_segment == vault.private_segment
    assert record.segments == (vault.private_segment,)
    assert record.fields["name"] == b"Shared"


def test_delete_shreds_records_only_in_that_segment(vault: Vault) -> None:
    segment = vault.segments.create("Peers")
    mine = bytes.fromhex(vault.contacts.add(ContactDraft(name="Mine")).id)
    vault.segments.add(segment, [mine])
    peer_only = vault.records.create("contact", {"name": b"Peer only"}, segment.id)
    peer_also_mine = vault.records.create("contact", {"name": b"Peer and mine"}, segment.id)
    vault.records.add_to_segment(peer_also_mine, vault.private_segment)
    done = vault.segments.delete(segment)
    assert (done.kept, done.shredded) == (2, 1)
    assert sorted(c.name for c in vault.contacts.all()) == ["Mine", "Peer and mine"]
    assert vault.records.type_of(peer_only) is None
    assert vault.live_store.one(
        "SELECT count(*) FROM segment_keys WHERE segment_id = ?", (segment.id,)
    ) == (0,)
    with pytest.raises(NoSuchSegment):
        vault.segments.find("Peers")


def test_repository_rules(vault: Vault) -> None:
    vault.segments.create("Tenants")
    with pytest.raises(SegmentNameTaken):
        vault.segments.create(" tenants ")
    with pytest.raises(InvalidInput):
        vault.segments.create("")
    assert [s.name for s in vault.segments.all()] == ["Tenants"]
