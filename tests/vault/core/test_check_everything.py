"""Issue 12: `kith check` opens every sealed value the vault holds, not only contacts.

A vault is built once with one of everything (every record type, a shared segment, sync state,
the device identity); each test flips one byte of one sealed value of one kind, through the
store as the other tamper tests do, and `kith check` must exit 6 with the one-line error.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from outreach.outbox import Outbox
from tests.cli_helpers import add, run_json
from tests.conftest import PASSPHRASE, Kith
from vault.api import Vault
from vault.core import header, header_v2
from vault.domain.sync_state import SyncStore
from vault.errors import IntegrityError

RECORDS = "type = '{}'"
SHARED = "segment_id IN (SELECT id FROM segments WHERE kind = 'shared')"
PRIVATE = "segment_id IN (SELECT id FROM segments WHERE kind = 'private')"
# kind -> (table, sealed column, which rows); a record's sealed fields are its packed value
KINDS: dict[str, tuple[str, str, str]] = {
    **{
        kind: ("records", "packed", RECORDS.format(kind))
        for kind in (
            "contact", "interaction", "event", "relationship", "target", "preferences",
            "saved_search", "outreach_config", "outreach_message", "outreach_delivery",
        )
    },
    "note (an interaction of kind note)": (
        "records", "packed",
        RECORDS.format("interaction") + " AND id = (SELECT max(id) FROM records WHERE "
        + RECORDS.format("interaction") + ")",
    ),
    "record key in its home segment": ("record_keys", "wrapped_cdk", PRIVATE),
    "record key in a second segment": ("record_keys", "wrapped_cdk", SHARED),
    "bucket table (key tree)": ("keytree", "buckets", "id = 1"),
    "stored local-wrap key (key tree)": ("keytree", "lwk", "id = 1"),
    "private segment name": ("segments", "name_sealed", "kind = 'private'"),
    "shared segment name": ("segments", "name_sealed", "kind = 'shared'"),
    "segment key": ("segment_keys", "wrapped_key", SHARED),
    "sync blob": ("sync_blobs", "sealed", "name = 'clock'"),
    "sync log item": ("sync_log", "sealed", "idx = 1"),
    "sync segment key": ("sync_keys", "wrapped", "1"),
    "device identity": ("identity", "sealed_seeds", "1"),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A vault holding one of every kind above (built once, copied per test)."""
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")
    monkeypatch.delenv("KITH_PASSPHRASE_FILE", raising=False)
    root = tmp_path_factory.mktemp("check")
    secret = root / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    kith = Kith(root / "vault", secret)
    try:
        assert kith("init", "--kdf-memory", "8", "--kdf-time", "1", "--region", "FR").exit_code == 0
        ana = add(kith, "--name", "Ana Lima", "--email", "ana@example.org", "--note", "n")
        bob = add(kith, "--name", "Bob Diaz", "--phone", "+33612345678")
        assert kith("log", ana, "--kind", "call", "--summary", "hi").exit_code == 0
        assert kith("log", ana, "--kind", "note", "--summary", "a note").exit_code == 0
        event = kith("event", "create", "--name", "Assembly", "--date", "2026-06-20T18:30")
        assert event.exit_code == 0, event.stderr
        run_json(kith, "relate", bob, "recruited by", ana)
        run_json(kith, "target", "set", bob, "--institution", "Council", "--stance", "2")
        run_json(kith, "prefs", ana, "--allow", "email", "--consent-source", "form")
        assert kith("search", "Ana", "--save", "anas").exit_code == 0
        assert kith("segment", "create", "Tenants").exit_code == 0
        assert kith("segment", "add", "Tenants", ana).exit_code == 0
        config = kith("outreach", "config", "email", "--host", "127.0.0.1", "--port", "2525",
                      "--from", "org@example.org", "--security", "none")
        assert config.exit_code == 0, config.stderr
    finally:
        monkeypatch.undo()
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        outbox = Outbox(vault.records, vault.private_segment)
        message = outbox.create({"channel": "email", "kind": "news", "subject": "s", "body": "b"})
        outbox.freeze(bytes.fromhex(message.id), [(vault.contacts.resolve(ana), "ana@example.org")])
        shared = vault.segments.find("Tenants").id
        sync = SyncStore(vault.live_store, vault.keyring)
        sync.put_blob("clock", b"\x00" * 12)
        sync.append_log(shared, 0, [b"op zero", b"op one"])
        sync.add_keys(shared, [(1, os.urandom(32))])
        vault.identity  # noqa: B018 - created on first use
    return kith.vault_dir


def _copy(template: Path, tmp_path: Path) -> Kith:
    target = tmp_path / "vault"
    shutil.copytree(template, target)
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    return Kith(target, secret)


def test_the_template_holds_every_record_type_and_passes(template: Path, tmp_path: Path) -> None:
    kith = _copy(template, tmp_path)
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        types = {r[0] for r in vault.live_store.execute("SELECT DISTINCT type FROM records")}
        for kind, (table, column, where) in KINDS.items():
            found = vault.live_store.execute(f"SELECT {column} FROM {table} WHERE {where}")
            assert found, kind
    assert types <= set(KINDS), f"a record type without a tamper case: {types - set(KINDS)}"
    result = kith("check")
    assert result.exit_code == 0, result.stderr
    assert "Vault intact" in result.stderr


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_flipped_byte_in_any_sealed_value_fails_check(
    template: Path, tmp_path: Path, kind: str
) -> None:
    kith = _copy(template, tmp_path)
    table, column, where = KINDS[kind]
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        store = vault.live_store
        row = store.one(f"SELECT rowid, {column} FROM {table} WHERE {where} LIMIT 1")
        assert row is not None, kind
        damaged = bytearray(row[1])
        damaged[len(damaged) // 2] ^= 0x01
        store.execute(
            f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (bytes(damaged), row[0])
        )

    result = kith("check")

    assert result.exit_code == 6, (kind, result.stderr)
    assert result.stderr.startswith("kith: Integrity check failed")
    assert result.stderr.count("\n") == 1


# The key tree as ``check`` must see it, not as the unlocked vault holds it in memory: each case
# damages what is on disk after the unlock, and ``check_all`` in the same process must fail.
ON_DISK: dict[str, tuple[str, str, str]] = {
    kind: KINDS[kind]
    for kind in (
        "bucket table (key tree)",
        "stored local-wrap key (key tree)",
        "record key in its home segment",
        "record key in a second segment",
    )
}


@pytest.mark.parametrize("kind", list(ON_DISK))
def test_check_opens_the_key_tree_afresh_not_from_memory(
    template: Path, tmp_path: Path, kind: str
) -> None:
    kith = _copy(template, tmp_path)
    table, column, where = ON_DISK[kind]
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        assert vault.check_all()["record key"] > 0
        store = vault.live_store
        row = store.one(f"SELECT rowid, {column} FROM {table} WHERE {where} LIMIT 1")
        assert row is not None, kind
        damaged = bytearray(row[1])
        damaged[len(damaged) // 2] ^= 0x01
        store.execute(
            f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (bytes(damaged), row[0])
        )
        with pytest.raises(IntegrityError):
            vault.check_all()


@pytest.mark.parametrize("name", [header.HEADER_NAME, header.BACKUP_NAME])
@pytest.mark.parametrize("offset", [20, 70, 140, 200, 247, 300])
def test_a_damaged_header_copy_fails_check(
    template: Path, tmp_path: Path, name: str, offset: int
) -> None:
    """Parameters, wrapped VMK, state nonce, sealed state, its tag, the zero tail: in either
    copy. (Unlock would repair the copy from the other one; check reports it as it is.)"""
    kith = _copy(template, tmp_path)
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        path = kith.vault_dir / name
        data = bytearray(path.read_bytes())
        data[offset] ^= 0x01
        path.write_bytes(bytes(data))
        with pytest.raises(IntegrityError):
            vault.check_all()
        path.unlink()
        with pytest.raises(IntegrityError):
            vault.check_all()


def test_a_header_state_for_another_counter_fails_check(template: Path, tmp_path: Path) -> None:
    """An authentic state that no longer accepts the database (an old header put back)."""
    kith = _copy(template, tmp_path)
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        old = (kith.vault_dir / header.BACKUP_NAME).read_bytes()
        vault.set_setting("x", "1")
        vault.set_setting("x", "2")  # two commits: the old state accepts neither counter
        (kith.vault_dir / header.BACKUP_NAME).write_bytes(old)
        assert header_v2.parse(old).sealed_state  # an intact, authentic copy
        with pytest.raises(IntegrityError):
            vault.check_all()


def test_an_authentic_wrap_of_another_key_or_a_missing_home_wrap_fails_check(
    template: Path, tmp_path: Path
) -> None:
    """Structure, not just tags: one record's wraps must hold one CDK, and every record must
    have a wrap for its home segment."""
    kith = _copy(template, tmp_path)
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        store = vault.live_store
        rid, sid, epoch = store.one(
            f"SELECT record_id, segment_id, epoch FROM record_keys WHERE {SHARED} LIMIT 1"
        ) or ()
        forged = vault.records.tree.wrap(bytes(rid), bytes(sid), int(epoch), os.urandom(32))
        store.execute(
            "UPDATE record_keys SET wrapped_cdk = ? WHERE record_id = ? AND segment_id = ?",
            (forged, rid, sid),
        )
        with pytest.raises(IntegrityError, match="differ"):
            vault.check_all()
    kith = _copy(template, tmp_path / "second")
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        vault.live_store.execute(f"DELETE FROM record_keys WHERE {PRIVATE}")
        with pytest.raises(IntegrityError, match="missing"):
            vault.check_all()
