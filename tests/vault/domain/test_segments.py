"""Segments (issue 6): key boundaries, membership as wrapped CDKs, sealed names, safe deletion."""

from __future__ import annotations

import pytest

from tests import packed_helpers
from vault.api import Vault
from vault.core import packed
from vault.core.keytree import cdk_ad2
from vault.crypto import aead
from vault.domain.model import ContactDraft
from vault.errors import (
    IntegrityError,
    InvalidInput,
    LastSegment,
    NoSuchSegment,
    SegmentNameTaken,
)


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
    parsed = packed.parse(packed_helpers.blob_of(vault.live_store, record_id))
    home = vault.private_segment
    assert packed.open_fields(cdk, home, record_id, parsed, frozenset({"name"})) == {"name": b"Ana"}


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
