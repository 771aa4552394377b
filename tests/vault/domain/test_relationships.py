"""Relationships (issue 6): typed, two-way, sealed, shredded with either contact."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import packed_helpers
from tests.conftest import isolated_env
from vault.api import Vault
from vault.core import packed
from vault.domain.model import ContactDraft
from vault.domain.relationships import parse_kind
from vault.errors import InvalidInput, UnknownRelationKind


@pytest.mark.parametrize(
    ("typed", "kind", "swap"),
    [
        ("works-with", "works-with", False),
        ("Works With", "works-with", False),
        ("lives_with", "lives-with", False),
        ("recruited by", "recruited-by", False),
        ("recruited", "recruited-by", True),
        ("member of organization", "member-of", False),
        ("has member", "member-of", True),
        ("reports-to", "reports-to", False),
        ("manages", "reports-to", True),
    ],
)
def test_kinds_and_their_inverses(typed: str, kind: str, swap: bool) -> None:
    assert parse_kind(typed) == (kind, swap)


def test_unknown_kind() -> None:
    with pytest.raises(UnknownRelationKind):
        parse_kind("married to")


def test_deleting_either_contact_shreds_the_relationship(vault: Vault) -> None:
    ana = bytes.fromhex(vault.contacts.add(ContactDraft(name="Ana")).id)
    bob = bytes.fromhex(vault.contacts.add(ContactDraft(name="Bob")).id)
    cy = bytes.fromhex(vault.contacts.add(ContactDraft(name="Cy")).id)
    rels = vault.relationships
    first, _ = rels.relate(ana, "works-with", bob, "note one")
    second, _ = rels.relate(cy, "recruited-by", bob)
    vault.contacts.delete([bob])
    assert vault.records.type_of(first.id) is None
    assert vault.records.type_of(second.id) is None
    assert rels.relations(ana) == [] and rels.relations(cy) == []
    assert vault.records.count("relationship") == 0


def test_repository_refuses_self_and_unknown(vault: Vault) -> None:
    ana = bytes.fromhex(vault.contacts.add(ContactDraft(name="Ana")).id)
    with pytest.raises(InvalidInput):
        vault.relationships.relate(ana, "works-with", ana)
    assert vault.records.count("relationship") == 0


def test_marker_kind_and_note_never_reach_disk_in_plaintext(vault: Vault) -> None:
    marker = "Qmkrelnote5k2"
    ana = bytes.fromhex(vault.contacts.add(ContactDraft(name="Ana")).id)
    bob = bytes.fromhex(vault.contacts.add(ContactDraft(name="Bob")).id)
    rel, _ = vault.relationships.relate(ana, "recruited-by", bob, marker)
    store = vault.live_store
    blob = packed_helpers.blob_of(store, rel.id)
    assert {e.name for e in packed.parse(blob).entries} == {"kind", "note"}
    assert marker.encode() not in blob and b"recruited" not in blob
    # Nothing in the decrypted database holds the note or the kind as plain text.
    for table in ("records", "links", "indexed_fields", "settings", "record_keys"):
        for row in store.execute(f"SELECT * FROM {table}"):
            for cell in row:
                raw = cell if isinstance(cell, bytes) else str(cell).encode()
                assert marker.encode() not in raw and b"recruited-by" not in raw
    vault.lock()
    for path in vault.path.iterdir():
        data = path.read_bytes()
        for needle in (marker.encode(), marker.encode("utf-16-le"), b"recruited-by"):
            assert needle not in data


ORGANIZING_MARKERS = {
    "segment": "Qmkseg4n7",
    "renamed": "Qmkren2q8",
    "rel_note": "Qmkrel9w3",
    "institution": "Qmkinst6e1",
    "target_note": "Qmktnote3r5",
    "target_role": "Qmktrole8y2",
    "field_key": "Qmkfkey1u4",
}


@pytest.mark.slow
def test_organizing_text_never_reaches_disk(tmp_path: Path) -> None:
    """Real processes: segments, relationships, targets, retention; then scan every file."""
    from tests.conftest import PASSPHRASE, run_kith_process

    env, vault_dir, tmp, home = isolated_env(tmp_path)
    secret = (PASSPHRASE + "\n").encode()

    def kith(*args: str) -> str:
        done = run_kith_process("--passphrase-file", "-", *args, env=env, input=secret)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode()

    m = ORGANIZING_MARKERS
    kith("init", "--kdf-memory", "8", "--kdf-time", "1", "--region", "FR")
    ana = kith("add", "--name", "Ana", "--field", f"{m['field_key']}=x").strip()
    bob = kith("add", "--name", "Bob").strip()
    kith("segment", "create", m["segment"])
    kith("segment", "add", m["segment"], ana, bob)
    kith("segment", "rename", m["segment"], m["renamed"])
    kith("relate", ana, "recruited-by", bob, "--note", m["rel_note"])
    kith(
        "target",
        "set",
        bob,
        "--institution",
        m["institution"],
        "--stance",
        "5",
        "--note",
        m["target_note"],
        "--role",
        m["target_role"],
    )
    kith("retain", ana, "--field", m["field_key"], "--until", "2030-01-01")
    kith("retain", f"segment:{m['renamed']}", "--until", "2030-01-01")
    assert m["rel_note"] in kith("relations", ana, "--json")
    assert m["institution"] in kith("target", "list", "--json")
    assert m["renamed"] in kith("segment", "show", m["renamed"], "--json")
    kith("expire", "--dry-run", "--now", "2030-01-02")
    wanted = [v.encode(enc) for v in m.values() for enc in ("utf-8", "utf-16-le", "utf-16-be")]
    wanted += [b"recruited-by", b"strong opponent"]
    found = [
        f"{path}: {needle!r}"
        for root in (vault_dir, tmp, home)
        for path in root.rglob("*")
        if path.is_file()
        for needle in wanted
        if needle in path.read_bytes()
    ]
    assert found == []
