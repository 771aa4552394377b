"""The persisted search index (issue 12 §3): chunks go stale with every write, whatever the path.

Each test loads the index as a fresh process would (``Vault.open`` then the chunks) and
compares it with the old full-decrypt build (``entry_for`` of every contact): equal, always.
``test_without_the_triggers_an_edit_would_show_stale_data`` shows the comparison can fail.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from tests.cli_helpers import add, run_json
from tests.conftest import PASSPHRASE, Kith
from tests.sync.pair import CONTACT, ok, pair
from vault.api import Vault
from vault.core.keytree import BUCKETS, bucket_bounds, bucket_of
from vault.core.search_chunks import ChunkStore
from vault.domain.contacts import encode
from vault.domain.model import Address, ContactDraft, Email, Phone
from vault.domain.search import Entry, SearchIndex, entry_for
from vault.domain.search_codec import encode_chunk
from vault.domain.search_store import STREAM_ABOVE


def load(vault_dir: Path) -> tuple[list[Entry], list[Entry], int]:
    """(entries from the chunks, entries from decrypting everything, chunks rebuilt)."""
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        loader = vault.search_entries()
        got = sorted((e for batch in loader.batches() for e in batch), key=lambda e: e.id)
        reference = sorted((entry_for(c) for c in vault.contacts.all()), key=lambda e: e.id)
        return got, reference, loader.rebuilt


def assert_current(vault_dir: Path) -> int:
    """The chunks agree with the records; returns how many had to be rebuilt."""
    got, reference, rebuilt = load(vault_dir)
    assert got == reference
    return rebuilt


def warm(vault_dir: Path) -> None:
    """Load once (writing every chunk back), then check that nothing is stale any more."""
    assert_current(vault_dir)
    assert assert_current(vault_dir) == 0


def stale_buckets(vault_dir: Path) -> set[int]:
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        rows = vault.live_store.execute("SELECT bucket FROM search_chunks WHERE sealed IS NULL")
        return {int(r[0]) for r in rows}


def test_a_new_vault_has_1024_stale_chunks_and_one_load_writes_them(vault: Vault) -> None:
    rows = ChunkStore(vault.live_store, vault.records.tree, vault.vault_id).rows()
    assert [b for b, _, _ in rows] == list(range(BUCKETS))
    assert all(sealed is None for _, _, sealed in rows)
    vault.contacts.add(ContactDraft(name="Zoë"))
    loader = vault.search_entries()
    assert [e.name for batch in loader.batches() for e in batch] == ["Zoë"]
    assert loader.rebuilt == BUCKETS and loader.stored == BUCKETS
    again = vault.search_entries()
    assert [e.name for batch in again.batches() for e in batch] == ["Zoë"]
    assert again.rebuilt == 0


@pytest.mark.parametrize("bucket", [0, 1, 63, 64, 511, 512, 1022, 1023])
def test_the_trigger_marks_exactly_the_bucket_of_the_written_id(vault: Vault, bucket: int) -> None:
    """The SQL bucket expression agrees with ``bucket_of`` at the edges of the id space."""
    vault.search_index()  # every chunk written
    lo, _ = bucket_bounds(bucket)
    for low_bits in (0, 0x3F):
        record_id = bytes([lo[0], lo[1] | low_bits]) + os.urandom(14)
        assert bucket_of(record_id) == bucket
        vault.records.create(
            "contact", encode(ContactDraft(name="Edge")), vault.private_segment, record_id=record_id
        )
        stale = vault.live_store.execute("SELECT bucket FROM search_chunks WHERE sealed IS NULL")
        assert [int(r[0]) for r in stale] == [bucket]
        vault.drop_indexes()
        vault.search_index()


def test_search_results_equal_the_full_decrypt_build(vault: Vault, vault_dir: Path) -> None:
    drafts = [
        ContactDraft(
            name=f"Zoë Ña{i} Straße",
            emails=(Email(f"p{i}@example.org"),),
            phones=(Phone(f"+3361234{i:04d}"),),
            addresses=(Address(locality=["Lyon", "Saint-Étienne", "Köln"][i % 3]),),
            org=["Union", "", "Gewerkschaft"][i % 3],
            tags=tuple(["press", "Bénévoles", "a,b"][: i % 4]),
        )
        for i in range(600)
    ]
    vault.contacts.add_many(drafts)
    old = SearchIndex()
    old.add_many(vault.contacts.all())
    vault.lock()
    assert_current(vault_dir)  # first load: every chunk rebuilt and written
    with Vault.open(vault_dir, PASSPHRASE) as again:
        new = again.search_index()
        for query in ("zoe", "ETIENNE", "koln", "benevoles", "0612340042", "union p1", "a,b", ""):
            assert new.search(query) == old.search(query), query
        assert new.entries(sort="updated") == old.entries(sort="updated")
        assert new.entries(tag="press") == old.entries(tag="press")
        assert new.tags() == old.tags()


def test_add_edit_delete_make_their_chunk_stale(kith: Kith, vault_dir: Path) -> None:
    ana = add(kith, "--name", "Ana", "--email", "ana@example.org")
    bob = add(kith, "--name", "Bob")
    warm(vault_dir)
    cid = add(kith, "--name", "Chloé")
    assert assert_current(vault_dir) >= 1
    assert ok(kith("edit", ana, "--name", "Anaïs", "--add-tag", "press"))
    got, _, _ = load(vault_dir)
    assert [e.name for e in got if e.id.startswith(ana)] == ["Anaïs"]
    assert assert_current(vault_dir) == 0
    ok(kith("delete", bob, "--yes"))
    assert assert_current(vault_dir) >= 1
    got, _, _ = load(vault_dir)
    assert sorted(e.name for e in got) == ["Anaïs", "Chloé"] and cid


def test_without_the_triggers_an_edit_would_show_stale_data(kith: Kith, vault_dir: Path) -> None:
    """The comparison the other tests rely on does fail when staleness is not recorded."""
    ana = add(kith, "--name", "Ana")
    warm(vault_dir)
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        vault.live_store.execute("DROP TRIGGER search_chunks_update")
    ok(kith("edit", ana, "--name", "Renamed"))
    got, reference, _ = load(vault_dir)
    assert [e.name for e in got] == ["Ana"] and [e.name for e in reference] == ["Renamed"]


def test_merge_import_and_retention_make_their_chunks_stale(
    kith: Kith, vault_dir: Path, tmp_path: Path
) -> None:
    one = add(kith, "--name", "Ana", "--email", "a@example.org")
    two = add(kith, "--name", "Ana Lima", "--phone", "0612345678")
    keep = add(kith, "--name", "Kept", "--email", "kept@example.org")
    warm(vault_dir)
    ok(kith("merge", one, two, "--into", two))
    assert assert_current(vault_dir) >= 1
    source = tmp_path / "in.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["First Name", "Last Name", "E-mail Address"])
        writer.writerow(["Imported", "Person", "imp@example.org"])
    ok(kith("import", str(source)))
    assert assert_current(vault_dir) >= 1
    got, _, _ = load(vault_dir)
    assert "Imported Person" in [e.name for e in got]
    run_json(kith, "retain", keep, "--field", "emails", "--until", "2025-03-31")
    ok(kith("expire", "--now", "2025-04-01", "--yes"))
    got, _, _ = load(vault_dir)
    kept = [e for e in got if e.id.startswith(keep)]
    assert kept and "kept@example.org" not in kept[0].haystack
    run_json(kith, "retain", keep, "--until", "2025-03-31")
    ok(kith("expire", "--now", "2025-04-01", "--yes"))
    got, _, _ = load(vault_dir)
    assert not [e for e in got if e.id.startswith(keep)]


def test_a_peers_change_applied_by_sync_makes_the_chunk_stale(
    tmp_path: Path, passphrase_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")
    alice, bob = pair(tmp_path, passphrase_file)
    usb = str(tmp_path / "usb")
    ok(alice.kith("sync", "push", usb))
    ok(bob.kith("sync", "pull", usb))
    warm(bob.vault_dir)
    [shared] = bob.contacts()
    ok(alice.kith("edit", str(shared["id"])[:12], "--name", "Renamed by alice"))
    ok(alice.kith("sync", "push", usb))
    ok(bob.kith("sync", "pull", usb))
    got, reference, rebuilt = load(bob.vault_dir)
    assert got == reference and rebuilt >= 1
    assert [e.name for e in got] == ["Renamed by alice"] != [CONTACT]
    ok(alice.kith("delete", str(shared["id"])[:12], "--yes"))
    ok(alice.kith("sync", "push", usb))
    ok(bob.kith("sync", "pull", usb))
    assert load(bob.vault_dir)[0] == []


def test_a_tampered_or_moved_chunk_is_rebuilt_not_trusted(vault: Vault, vault_dir: Path) -> None:
    vault.contacts.add_many([ContactDraft(name=f"P{i}") for i in range(300)])
    vault.search_index()
    store = vault.live_store
    full = [int(b) for (b,) in store.execute(
        "SELECT bucket FROM search_chunks WHERE length(sealed) > 100 ORDER BY bucket LIMIT 3"
    )]  # fmt: skip
    flipped, moved_to, source = full
    [(sealed,)] = store.execute("SELECT sealed FROM search_chunks WHERE bucket = ?", (flipped,))
    bad = bytearray(sealed)
    bad[len(bad) // 2] ^= 1
    store.execute("UPDATE search_chunks SET sealed = ? WHERE bucket = ?", (bytes(bad), flipped))
    [(other,)] = store.execute("SELECT sealed FROM search_chunks WHERE bucket = ?", (source,))
    store.execute("UPDATE search_chunks SET sealed = ? WHERE bucket = ?", (other, moved_to))
    vault.lock()
    assert assert_current(vault_dir) == 2
    assert assert_current(vault_dir) == 0


def test_a_well_sealed_chunk_that_disagrees_with_the_records_is_rebuilt(
    vault: Vault, vault_dir: Path
) -> None:
    """Even a chunk sealed with the right key (a write path that bypassed the triggers) is
    checked against the ids the records table lists for its bucket."""
    made = vault.contacts.add_many([ContactDraft(name="Alpha"), ContactDraft(name="Beta")])
    vault.search_index()
    bucket = bucket_of(made[0])
    chunks = ChunkStore(vault.live_store, vault.records.tree, vault.vault_id)
    [(gen,)] = vault.live_store.execute("SELECT gen FROM search_chunks WHERE bucket = ?", (bucket,))
    assert chunks.write([(bucket, int(gen), encode_chunk([]))]) == 1  # the contact left out
    vault.lock()
    got, reference, rebuilt = load(vault_dir)
    assert got == reference and rebuilt == 1 and "Alpha" in [e.name for e in got]


def test_few_stale_chunks_open_only_their_contacts(vault: Vault, vault_dir: Path) -> None:
    vault.contacts.add_many([ContactDraft(name=f"P{i}") for i in range(200)])
    vault.search_index()
    for bucket in range(STREAM_ABOVE + 1):  # one new contact in each of 65 buckets
        record_id = bucket_bounds(bucket)[0] + os.urandom(14)
        vault.records.create(
            "contact",
            encode(ContactDraft(name=f"New{bucket}")),
            vault.private_segment,
            record_id=record_id,
        )
    vault.lock()
    assert len(stale_buckets(vault_dir)) > STREAM_ABOVE  # streaming path
    assert_current(vault_dir)
    with Vault.open(vault_dir, PASSPHRASE) as again:
        again.contacts.add(ContactDraft(name="One more"))
    assert assert_current(vault_dir) == 1  # per-record path


def test_the_triggers_survive_every_migration(vault: Vault) -> None:
    """A later migration that rebuilds ``records`` must recreate them (or this fails)."""
    names = {
        str(r[0])
        for r in vault.live_store.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    assert {"search_chunks_insert", "search_chunks_update", "search_chunks_delete"} <= names


def test_a_contact_holding_a_separator_is_indexed_but_its_bucket_not_persisted(
    vault: Vault, vault_dir: Path
) -> None:
    odd = vault.contacts.add(ContactDraft(name="Odd\x1ename", tags=("x",)))
    vault.contacts.add(ContactDraft(name="Plain"))
    vault.lock()
    assert assert_current(vault_dir) == BUCKETS
    assert stale_buckets(vault_dir) == {bucket_of(bytes.fromhex(odd.id))}
    assert assert_current(vault_dir) == 1  # rebuilt from the records, every time


def test_a_first_search_before_any_sort_equals_one_after(vault: Vault) -> None:
    """The one-shot path (filter, then sort the matches) and the keystroke path (scan the
    sorted lists) give the same list, in the same order."""
    vault.contacts.add_many(
        [ContactDraft(name=n, phones=(Phone(f"+336123400{i:02d}"),)) for i, n in enumerate(
            ["Zoë B", "zoe a", "Zoe", "Ana Zoé", "Bob", "ZOË", "Zoe"] * 3
        )]
    )  # fmt: skip
    contacts = list(vault.contacts.all())
    for query in ("zoe", "zo", "a", "06 12 34 00 01", "3400", "zoe a", "nothing"):
        fresh, warmed = SearchIndex(), SearchIndex()
        fresh.add_many(contacts)
        warmed.add_many(contacts)
        warmed.entries()  # sorted now
        assert fresh.search(query) == warmed.search(query), query


def test_a_missing_chunk_row_is_stale_and_put_back(vault: Vault, vault_dir: Path) -> None:
    made = vault.contacts.add(ContactDraft(name="Kept anyway"))
    vault.search_index()
    bucket = bucket_of(bytes.fromhex(made.id))
    vault.live_store.execute("DELETE FROM search_chunks WHERE bucket = ?", (bucket,))
    vault.lock()
    got, reference, rebuilt = load(vault_dir)
    assert got == reference and [e.name for e in got] == ["Kept anyway"] and rebuilt == 1
    assert stale_buckets(vault_dir) == {bucket}  # the row is back, stale
    assert assert_current(vault_dir) == 1  # filled now, under its gen
    assert assert_current(vault_dir) == 0
