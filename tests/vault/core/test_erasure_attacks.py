"""Issue 12 §1: after a shred, no older state of the database opens the shredded record.

The attacker holds the passphrase and the CURRENT header, and an older copy of ``vault.db`` (a
copy made before the delete, a leftover backup snapshot, or a rollback journal recovered from
free blocks and put back as a hot journal). Two things are checked:

- Kith refuses the older database (``RolledBack``, exit 6), through real processes;
- more to the point, the keys themselves do not open it: with every key the current header and
  database yield (the VMK, the header's root, the current bucket keys), the deleted record's
  wrapped CDK in the old copy stays shut. Each test first shows the same attack SUCCEEDS on the
  copy before the shred (with the header of that time), so it cannot pass by accident.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, run_kith_process
from vault.api import Vault
from vault.core import header_v2
from vault.core.keyring import sqlcipher_key
from vault.core.keytree import cdk_ad2, open_table
from vault.core.store import Store
from vault.crypto import aead, kdf
from vault.domain.model import ContactDraft
from vault.errors import IntegrityError, RolledBack

SECRET = (PASSPHRASE + "\n").encode()


def attacker_opens(header_bytes: bytes, old_db: Path, record_id: bytes) -> bool:
    """True if ``header_bytes`` + the passphrase open ``record_id``'s CDK in ``old_db``."""
    hdr = header_v2.parse(header_bytes)
    vmk = header_v2.unwrap(hdr, kdf.argon2id(PASSPHRASE.encode(), hdr.salt, hdr.params))
    state = header_v2.open_state(hdr, header_v2.state_key(vmk, hdr.vault_id))
    try:
        store = Store(old_db, sqlcipher_key(vmk, hdr.vault_id))
    except IntegrityError:
        return False
    try:
        row = store.one("SELECT buckets FROM keytree")
        wraps = store.execute(
            "SELECT segment_id, epoch, wrapped_cdk FROM record_keys WHERE record_id = ?",
            (record_id,),
        )
    finally:
        store.close()
    assert row is not None and wraps, "the old copy must still hold the record"
    tables = []
    for root in {state.root_lo, state.root_hi}:
        try:
            tables.append(open_table(root, bytes(row[0]), hdr.vault_id))
        except IntegrityError:
            continue
    for table in tables:
        for key in table:
            for segment_id, epoch, wrapped in wraps:
                try:
                    aead.open_exact(
                        key, bytes(wrapped), cdk_ad2(bytes(segment_id), epoch, record_id)
                    )
                    return True
                except IntegrityError:
                    continue
    return False


def current_tables_open(vault_dir: Path, old_db: Path, record_id: bytes) -> bool:
    """True if a bucket key of the CURRENT database opens the old copy's wrap of the record."""
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        keys = vault.records.tree.table()
    hdr = header_v2.parse((vault_dir / "vault.hdr").read_bytes())
    vmk = header_v2.unwrap(hdr, kdf.argon2id(PASSPHRASE.encode(), hdr.salt, hdr.params))
    store = Store(old_db, sqlcipher_key(vmk, hdr.vault_id))
    try:
        wraps = store.execute(
            "SELECT segment_id, epoch, wrapped_cdk FROM record_keys WHERE record_id = ?",
            (record_id,),
        )
    finally:
        store.close()
    for key in keys:
        for segment_id, epoch, wrapped in wraps:
            try:
                aead.open_exact(key, bytes(wrapped), cdk_ad2(bytes(segment_id), epoch, record_id))
                return True
            except IntegrityError:
                continue
    return False


# -- through real processes ----------------------------------------------------------------------


def _kith(
    env: dict[str, str], *args: str, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    full = {**env, **(extra or {})}
    return run_kith_process("--passphrase-file", "-", *args, env=full, input=SECRET)


def _vault_with_two(tmp_path: Path) -> tuple[dict[str, str], Path, str]:
    env = {"KITH_VAULT": str(tmp_path / "vault")}
    done = _kith(env, "init", "--kdf-memory", "8", "--kdf-time", "1")
    assert done.returncode == 0, done.stderr
    _kith(env, "add", "--name", "Ana")
    done = _kith(env, "add", "--name", "Bruno Secret", "--note", "shred-me", "--json")
    assert done.returncode == 0, done.stderr
    bruno = json.loads(done.stdout)["id"]
    return env, tmp_path / "vault", bruno


def test_a_copy_of_the_database_made_before_a_delete_stays_shut(tmp_path: Path) -> None:
    env, vault_dir, bruno = _vault_with_two(tmp_path)
    old = tmp_path / "old.db"
    shutil.copy2(vault_dir / "vault.db", old)
    header_then = (vault_dir / "vault.hdr").read_bytes()
    assert attacker_opens(header_then, old, bytes.fromhex(bruno))  # the attack works before
    assert _kith(env, "delete", bruno, "--yes").returncode == 0

    header_now = (vault_dir / "vault.hdr").read_bytes()
    assert not attacker_opens(header_now, old, bytes.fromhex(bruno))
    assert not current_tables_open(vault_dir, old, bytes.fromhex(bruno))
    # Put the old database (or a leftover snapshot of it) back beside the current header.
    shutil.copy2(old, vault_dir / "vault.db")
    shown = _kith(env, "show", bruno)
    assert shown.returncode == 6
    assert b"older than its header" in shown.stderr
    assert b"shred-me" not in shown.stdout + shown.stderr


def test_the_hot_journal_of_a_delete_put_back_stays_shut(tmp_path: Path) -> None:
    env, vault_dir, bruno = _vault_with_two(tmp_path)
    # A delete killed just before COMMIT leaves the hot journal that every delete writes
    # (and unlinks without overwriting): it holds the pages as they were before the delete.
    killed = _kith(env, "delete", bruno, "--yes", extra={"KITH_TEST_CRASH_AT": "commit-before-db"})
    assert killed.returncode == -9
    journal = vault_dir / "vault.db-journal"
    assert journal.exists() and journal.stat().st_size > 0
    saved = tmp_path / "saved"
    saved.mkdir()
    for name in ("vault.db", "vault.db-journal"):
        shutil.copy2(vault_dir / name, saved / name)
    # The delete is run again and completes.
    assert _kith(env, "delete", bruno, "--yes").returncode == 0
    assert not journal.exists()
    # The recovered journal and its database are put back beside the current header.
    for name in ("vault.db", "vault.db-journal"):
        shutil.copy2(saved / name, vault_dir / name)
    shown = _kith(env, "show", bruno)
    assert shown.returncode == 6
    assert b"shred-me" not in shown.stdout + shown.stderr
    # The same files opened directly with every key the current header yields.
    rolled = tmp_path / "rolled"
    rolled.mkdir()
    for name in ("vault.db", "vault.db-journal"):
        shutil.copy2(saved / name, rolled / name)
    assert not attacker_opens(
        (vault_dir / "vault.hdr").read_bytes(), rolled / "vault.db", bytes.fromhex(bruno)
    )


def test_a_rolled_back_database_is_refused(tmp_path: Path) -> None:
    """Issue 12 §2 rollback: a withdrawn do-not-contact must not come back silently."""
    env, vault_dir, bruno = _vault_with_two(tmp_path)
    assert _kith(env, "prefs", bruno, "--do-not-contact").returncode == 0
    old = tmp_path / "old.db"
    shutil.copy2(vault_dir / "vault.db", old)
    assert _kith(env, "prefs", bruno, "--clear-do-not-contact").returncode == 0
    shutil.copy2(old, vault_dir / "vault.db")
    for command in (("prefs", bruno), ("check",), ("list",)):
        done = _kith(env, *command)
        assert done.returncode == 6, command
        assert b"older than its header" in done.stderr


# -- every shred path goes through the key tree (in process) -------------------------------------


def _shred_paths() -> dict[str, Callable[[Vault, bytes], None]]:
    def delete(vault: Vault, record_id: bytes) -> None:
        vault.contacts.delete([record_id])

    def expire(vault: Vault, record_id: bytes) -> None:
        vault.retention.retain_contact(record_id, date(2000, 1, 1))
        vault.expire(vault.retention.plan(now=2_000_000_000))

    def merge(vault: Vault, record_id: bytes) -> None:
        from vault.interchange.contact_merge import merge_contacts

        keep = vault.contacts.add(ContactDraft(name="Keeper"))
        merge_contacts(vault, bytes.fromhex(keep.id), [record_id], now=2_000_000_000)

    def segment_delete(vault: Vault, record_id: bytes) -> None:
        segment = vault.segments.create("Peers")
        vault.segments.add(segment, [record_id])
        vault.records.remove_from_segment(record_id, vault.private_segment)
        vault.segments.delete(vault.segments.by_id(segment.id), vacuum=False)

    def field_retention(vault: Vault, record_id: bytes) -> None:
        vault.retention.retain_field(record_id, "notes", date(2000, 1, 1))
        vault.expire(vault.retention.plan(now=2_000_000_000))

    def interaction_delete(vault: Vault, record_id: bytes) -> None:
        vault.records.shred([record_id])

    return {
        "delete": delete,
        "expire": expire,
        "merge": merge,
        "segment-delete": segment_delete,
        "field-retention": field_retention,
        "records.shred (outreach, interactions, saved searches)": interaction_delete,
    }


@pytest.mark.parametrize("path", sorted(_shred_paths()))
def test_every_shred_path_re_keys_the_tree(vault_dir: Path, tmp_path: Path, path: str) -> None:
    with Vault.create(vault_dir, PASSPHRASE, params=kdf.TEST_PARAMS, allow_weak=True) as vault:
        vault.contacts.add(ContactDraft(name="Ana"))
        target = vault.contacts.add(ContactDraft(name="Bruno", notes="shred-me"))
    old = tmp_path / "old.db"
    shutil.copy2(vault_dir / "vault.db", old)
    header_then = (vault_dir / "vault.hdr").read_bytes()
    record_id = bytes.fromhex(target.id)
    assert attacker_opens(header_then, old, record_id)
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        _shred_paths()[path](vault, record_id)
    assert not attacker_opens((vault_dir / "vault.hdr").read_bytes(), old, record_id)
    assert not current_tables_open(vault_dir, old, record_id)


def test_an_old_header_put_back_is_refused(vault_dir: Path) -> None:
    """The other half of a rollback: the header older than its database."""
    with Vault.create(vault_dir, PASSPHRASE, params=kdf.TEST_PARAMS, allow_weak=True) as vault:
        gone = vault.contacts.add(ContactDraft(name="Bruno"))
    saved = {n: (vault_dir / n).read_bytes() for n in ("vault.hdr", "vault.hdr.bak")}
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        vault.contacts.delete([bytes.fromhex(gone.id)])
    for name, data in saved.items():
        (vault_dir / name).write_bytes(data)
    with pytest.raises(RolledBack):
        Vault.open(vault_dir, PASSPHRASE)
