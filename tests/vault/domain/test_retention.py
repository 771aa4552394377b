"""Retention (issue 6): expiry dates on contacts, fields and segments; `kith expire` shreds."""

from __future__ import annotations

from datetime import date

import pytest

from tests import packed_helpers
from vault.api import Vault
from vault.core import packed
from vault.domain.dates import day_start, end_of_day, parse_day
from vault.domain.model import ContactDraft, Phone
from vault.errors import BadDate, IntegrityError


@pytest.mark.parametrize("bad", ["2025-02-30", "31/03/2025", "20250331", "2025-3-1", "", "soon"])
def test_bad_dates(bad: str) -> None:
    with pytest.raises(BadDate):
        parse_day(bad)


def test_kept_through_the_end_of_the_day() -> None:
    day = date(2025, 3, 31)
    assert end_of_day(day) - day_start(day) == 86_400


def test_field_expiry_rekeys_the_record(vault: Vault) -> None:
    contact = vault.contacts.add(
        ContactDraft(name="Ana", phones=(Phone("+33612345678"),), notes="keep me")
    )
    record_id = bytes.fromhex(contact.id)
    retention = vault.retention
    retention.retain_field(record_id, "phones", date(2025, 3, 31))
    store = vault.live_store
    old = packed.parse(packed_helpers.blob_of(store, record_id))
    assert old.versions()["notes"] == 1
    home, old_cdk = vault.records._open_cdk(record_id)
    outcome = retention.apply(retention.plan(end_of_day(date(2025, 3, 31))))
    assert outcome.fields_removed == 1
    _, new_cdk = vault.records._open_cdk(record_id)
    assert new_cdk != old_cdk
    # A copy of the old ciphertext (a backup, a journal) no longer opens with any live key.
    assert packed.open_fields(old_cdk, home, record_id, old)["notes"] == b"keep me"
    with pytest.raises(IntegrityError):
        packed.open_fields(new_cdk, home, record_id, old, frozenset({"notes"}))
    again = vault.contacts.get_by_id(record_id)
    assert again.phones == () and again.notes == "keep me"
    assert vault.records.ids_with_field("contact", "expiry") == []


def test_apply_skips_what_is_already_gone(vault: Vault) -> None:
    record_id = bytes.fromhex(vault.contacts.add(ContactDraft(name="Ana")).id)
    retention = vault.retention
    retention.retain_contact(record_id, date(2025, 1, 1))
    plan = retention.plan(end_of_day(date(2025, 1, 1)))
    vault.contacts.delete([record_id])
    outcome = retention.apply(plan)
    assert (outcome.records_shredded, outcome.fields_removed, outcome.segments_deleted) == (0, 0, 0)


def test_expired_field_names_are_sealed(vault: Vault) -> None:
    key = "Qmkfieldkey6d3"
    contact = vault.contacts.add(ContactDraft(name="Ana", fields=((key, "yes"),)))
    record_id = bytes.fromhex(contact.id)
    vault.retention.retain_field(record_id, key, date(2030, 1, 1))
    for _, found in packed_helpers.every_entry(vault.live_store):
        assert key.encode() not in found.name.encode() and key.encode() not in found.body
    vault.lock()
    for path in vault.path.iterdir():
        assert key.encode() not in path.read_bytes()


def test_vault_expire_drops_what_memory_still_shows(vault: Vault) -> None:
    record_id = bytes.fromhex(vault.contacts.add(ContactDraft(name="Qmkgone")).id)
    vault.retention.retain_contact(record_id, date(2025, 1, 1))
    assert [e.name for e in vault.search_index().search("Qmkgone")] == ["Qmkgone"]
    outcome = vault.expire(vault.retention.plan(end_of_day(date(2025, 1, 1))))
    assert outcome.records_shredded == 1
    assert vault.search_index().search("Qmkgone") == []


def test_a_rule_on_an_empty_field_waits_for_a_value(vault: Vault) -> None:
    record_id = bytes.fromhex(vault.contacts.add(ContactDraft(name="Ana")).id)
    retention = vault.retention
    retention.retain_field(record_id, "phone", date(2025, 1, 1))
    due = end_of_day(date(2025, 1, 1))
    assert retention.plan(due).empty
    draft = vault.contacts.get_by_id(record_id).draft()
    vault.contacts.update(record_id, ContactDraft(name=draft.name, phones=(Phone("+33612345678"),)))
    assert [f.field for f in retention.plan(due).fields] == ["phones"]
