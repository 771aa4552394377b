"""The command line for leftovers, through click's runner.

The vault-level tests are in tests/vault/core/test_leftovers.py.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import PASSPHRASE, Kith
from vault.api import Vault
from vault.core import folder_lock, leftovers
from vault.domain.model import ContactDraft


def _plant_snapshot(vault_dir: Path) -> Path:
    """What a `kith backup create` killed after its snapshot leaves: a keyed copy of the DB,
    holding a contact that is deleted afterwards."""
    with Vault.open(vault_dir, PASSPHRASE) as opened:
        contact = opened.contacts.add(ContactDraft(name="Zed Deleted", notes="old secret"))
        snapshot = vault_dir / f"{leftovers.SNAPSHOT_PREFIX}0123456789abcdef.db"
        opened.live_store.snapshot(snapshot)
        opened.contacts.delete([bytes.fromhex(contact.id)])
    return snapshot


def test_a_leftover_snapshot_is_overwritten_and_removed_at_the_next_unlock(
    kith: Kith, vault_dir: Path, tmp_path: Path
) -> None:
    snapshot = _plant_snapshot(vault_dir)
    header_tmp = vault_dir / ".vault.hdr.tmp"
    header_tmp.write_bytes((vault_dir / "vault.hdr").read_bytes())
    # A second name for the same inode, outside the vault folder: it shows whether the blocks
    # were overwritten or only unlinked.
    witness = tmp_path / "witness"
    os.link(snapshot, witness)
    size = witness.stat().st_size
    assert any(witness.read_bytes())

    result = kith("list")  # any command that unlocks, through the CLI

    assert result.exit_code == 0, result.stderr
    assert not snapshot.exists() and not header_tmp.exists()
    assert sorted(p.name for p in vault_dir.iterdir()) == ["vault.db", "vault.hdr", "vault.hdr.bak"]
    assert witness.read_bytes() == bytes(size)  # overwritten in place, every byte


def test_a_planted_link_is_removed_never_followed(
    kith: Kith, vault_dir: Path, tmp_path: Path
) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_bytes(b"not Kith's to overwrite")
    link = vault_dir / f"{leftovers.SNAPSHOT_PREFIX}evil.db"
    link.symlink_to(precious)

    assert kith("list").exit_code == 0

    assert not link.is_symlink()
    assert precious.read_bytes() == b"not Kith's to overwrite"


def test_a_snapshot_in_use_by_a_running_backup_is_left_alone(kith: Kith, vault_dir: Path) -> None:
    live = vault_dir / f"{leftovers.SNAPSHOT_PREFIX}fedcba9876543210.db"
    live.write_bytes(b"a backup is reading this")
    with folder_lock.in_use(vault_dir):  # what backup.create holds while its snapshot exists
        assert kith("list").exit_code == 0
        assert live.read_bytes() == b"a backup is reading this"
    assert kith("list").exit_code == 0
    assert not live.exists()


def test_a_wrong_passphrase_sweeps_nothing(kith: Kith, vault_dir: Path, tmp_path: Path) -> None:
    planted = vault_dir / f"{leftovers.SNAPSHOT_PREFIX}0000000000000000.db"
    planted.write_bytes(b"x" * 100)
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase\n")
    assert Kith(vault_dir, wrong)("list").exit_code == 3
    assert planted.exists()


def test_a_stale_rekeyed_copy_is_overwritten_and_removed_at_the_next_unlock(
    kith: Kith, vault_dir: Path, tmp_path: Path
) -> None:
    """What a passphrase change killed before its header write leaves: a full copy of the
    database under a key no header holds. It is not used, so it is destroyed like a snapshot."""
    stale = vault_dir / leftovers.REKEY_NAME
    stale.write_bytes((vault_dir / "vault.db").read_bytes())
    witness = tmp_path / "witness"
    os.link(stale, witness)
    size = witness.stat().st_size

    assert kith("list").exit_code == 0

    assert not stale.exists()
    assert witness.read_bytes() == bytes(size)
