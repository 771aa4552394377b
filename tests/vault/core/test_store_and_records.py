"""The SQLCipher settings, transactions, migrations, and the sealed-record rules."""

from __future__ import annotations

import pytest

from tests import packed_helpers
from vault.api import Vault
from vault.core import packed, schema
from vault.core.records import field_ad
from vault.domain.model import ContactDraft, Email
from vault.errors import IntegrityError, NotFound


def test_database_settings(vault: Vault) -> None:
    store = vault.live_store
    assert int(str(store.pragma("cipher_version")).split(".")[0]) >= 4
    assert store.pragma("journal_mode") == "delete"
    assert store.pragma("secure_delete") == 1
    assert store.pragma("auto_vacuum") == 1  # FULL
    assert store.pragma("temp_store") == 2  # MEMORY
    assert store.pragma("foreign_keys") == 1
    # OFF by decision (docs/threat-model.md "Memory"); tests run in processes where no store
    # turned it on (SQLCipher cannot turn it off again).
    assert str(store.pragma("cipher_memory_security")) == "0"


def test_migrations_are_recorded_once(vault: Vault) -> None:
    assert schema.applied(vault.live_store) == [name for name, _ in schema.MIGRATIONS]
    assert schema.migrate(vault.live_store) == []


def test_a_failed_transaction_leaves_no_trace(vault: Vault) -> None:
    repo = vault.contacts
    repo.add(ContactDraft(name="Kept"))
    with pytest.raises(RuntimeError), vault.live_store.transaction():
        repo.add(ContactDraft(name="Gone"))
        raise RuntimeError("boom")
    assert [c.name for c in repo.all()] == ["Kept"]


def test_nested_savepoint_rolls_back_alone(vault: Vault) -> None:
    repo = vault.contacts
    with vault.live_store.transaction():
        repo.add(ContactDraft(name="Outer"))
        with pytest.raises(RuntimeError), vault.live_store.transaction():
            repo.add(ContactDraft(name="Inner"))
            raise RuntimeError("inner")
    assert [c.name for c in repo.all()] == ["Outer"]


def test_a_sealed_value_moved_to_another_row_or_field_fails(vault: Vault) -> None:
    repo = vault.contacts
    a = bytes.fromhex(repo.add(ContactDraft(name="Ana", org="Coop")).id)
    b = bytes.fromhex(repo.add(ContactDraft(name="Bob", org="Union")).id)
    store = vault.live_store
    packed_helpers.put_entry(store, b, "name", body=packed_helpers.entry(store, a, "name").body)
    with pytest.raises(IntegrityError):
        repo.get_by_id(b)
    packed_helpers.put_entry(store, a, "name", body=packed_helpers.entry(store, a, "org").body)
    with pytest.raises(IntegrityError):
        repo.get_by_id(a)


def test_an_old_version_replayed_fails(vault: Vault) -> None:
    repo = vault.contacts
    contact = repo.add(ContactDraft(name="Ana"))
    rid = bytes.fromhex(contact.id)
    old = packed_helpers.entry(vault.live_store, rid, "name")
    repo.update(rid, ContactDraft(name="Ana Lima"))
    assert packed_helpers.entry(vault.live_store, rid, "name").version == old.version + 1
    packed_helpers.put_entry(vault.live_store, rid, "name", body=old.body)
    with pytest.raises(IntegrityError):
        repo.get_by_id(rid)
    # With its old version number too: the other fields were sealed under a new seed since.
    packed_helpers.put_entry(vault.live_store, rid, "name", body=old.body, version=old.version)
    with pytest.raises(IntegrityError):
        repo.get_by_id(rid)


def test_equal_values_in_one_record_seal_to_different_bytes(vault: Vault) -> None:
    contact = vault.contacts.add(ContactDraft(name="Same", org="Same", notes="Same"))
    blob = packed_helpers.blob_of(vault.live_store, bytes.fromhex(contact.id))
    parsed = packed.parse(blob)
    assert parsed.layout == packed.LAYOUT_SEEDED
    bodies = {e.body for e in parsed.entries}
    assert len(bodies) == len(parsed.entries) == 3


def test_field_ad_uses_the_home_segment(vault: Vault) -> None:
    contact = vault.contacts.add(ContactDraft(name="Ana"))
    rid = bytes.fromhex(contact.id)
    assert field_ad(vault.private_segment, rid, "name", 1) != field_ad(
        vault.vault_id, rid, "name", 1
    )


def test_delete_shreds_the_key_and_reclaims_space(vault: Vault) -> None:
    repo = vault.contacts
    drafts = [ContactDraft(name=f"P{i}", notes="x" * 3000) for i in range(50)]
    ids = repo.add_many(drafts)
    store = vault.live_store
    pages_before = store.pragma("page_count")
    repo.delete(ids[:45])
    for rid in ids[:45]:
        assert store.execute("SELECT 1 FROM record_keys WHERE record_id = ?", (rid,)) == []
        assert store.execute("SELECT 1 FROM records WHERE id = ?", (rid,)) == []  # and its fields
        with pytest.raises(NotFound):
            repo.get_by_id(rid)
    assert store.pragma("freelist_count") == 0
    assert store.pragma("page_count") < pages_before
    assert repo.count() == 5


def test_a_missing_key_row_is_an_integrity_error(vault: Vault) -> None:
    contact = vault.contacts.add(ContactDraft(name="Ana", emails=(Email("a@example.org"),)))
    rid = bytes.fromhex(contact.id)
    vault.live_store.execute("DELETE FROM record_keys WHERE record_id = ?", (rid,))
    with pytest.raises(IntegrityError):
        vault.contacts.get_by_id(rid)


def test_dependents_are_shredded_with_their_contact(vault: Vault) -> None:
    repo = vault.contacts
    ana = bytes.fromhex(repo.add(ContactDraft(name="Ana")).id)
    note = vault.records.create("note", {"text": b"called her"}, vault.private_segment)
    vault.records.link(note, ana, "about", dependent=True)
    assert repo.delete([ana]) == 2
    with pytest.raises(NotFound):
        vault.records.get(note)
