"""Targets (issue 6): decision-makers with an institution and a stance, sealed, one per contact."""

from __future__ import annotations

import pytest

from tests import packed_helpers
from vault.api import Vault
from vault.core import packed
from vault.domain.model import ContactDraft
from vault.domain.targets import parse_stance
from vault.errors import StanceOutOfRange


@pytest.mark.parametrize("bad", ["0", "6", "-1", "2.5", "high", "", "²", " 7 "])
def test_stance_out_of_range(bad: str) -> None:
    with pytest.raises(StanceOutOfRange):
        parse_stance(bad)


def test_deleting_the_contact_shreds_its_target(vault: Vault) -> None:
    contact = bytes.fromhex(vault.contacts.add(ContactDraft(name="Mayor")).id)
    target = vault.targets.set(contact, institution="Council", stance=5)
    vault.contacts.delete([contact])
    assert vault.records.type_of(target.id) is None
    assert vault.targets.all() == []


def test_target_follows_its_contact_into_segments(vault: Vault) -> None:
    contact = bytes.fromhex(vault.contacts.add(ContactDraft(name="Mayor")).id)
    campaign = vault.segments.create("Rent campaign")
    vault.segments.add(campaign, [contact])
    target = vault.targets.set(contact, institution="Council", stance=4)
    assert set(vault.records.segments_of(target.id)) == {vault.private_segment, campaign.id}
    vault.segments.remove(campaign, [contact])
    assert vault.records.segments_of(target.id) == [vault.private_segment]
    vault.segments.add(campaign, [contact])
    assert set(vault.records.segments_of(target.id)) == {vault.private_segment, campaign.id}


def test_institution_and_stance_are_sealed(vault: Vault) -> None:
    marker = "Qmkinstitution3h8"
    contact = bytes.fromhex(vault.contacts.add(ContactDraft(name="Mayor")).id)
    target = vault.targets.set(contact, institution=marker, stance=5, notes=marker + "n")
    blob = packed_helpers.blob_of(vault.live_store, target.id)
    assert {e.name for e in packed.parse(blob).entries} == {"institution", "stance", "notes"}
    assert marker.encode() not in blob
    vault.lock()
    for path in vault.path.iterdir():
        assert marker.encode() not in path.read_bytes()
