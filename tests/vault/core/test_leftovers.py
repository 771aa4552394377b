"""Issue 12: scratch files a killed process left in the vault folder are overwritten, then
removed, at every unlock (not after 24 hours, not only by a later backup)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSPHRASE
from vault.api import Vault
from vault.core import folder_lock, leftovers
from vault.crypto import kdf
from vault.domain.model import ContactDraft
from vault.errors import VaultReplaced


def test_an_unlock_during_a_live_passphrase_change_leaves_its_copy_alone(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another unlock between a passphrase change's export and its rename must not take the
    re-keyed copy away (the change would fail after writing its first header)."""
    Vault.create(vault_dir, PASSPHRASE, params=kdf.TEST_PARAMS, allow_weak=True).lock()
    changer = Vault.open(vault_dir, PASSPHRASE)
    changer.contacts.add(ContactDraft(name="Ana"))
    store = changer.live_store
    real_export = store.export
    staged = vault_dir / leftovers.REKEY_NAME

    def export_then_another_unlock(*args: Any, **kwargs: Any) -> None:
        real_export(*args, **kwargs)
        Vault.open(vault_dir, PASSPHRASE).lock()  # another Kith process, in effect
        assert staged.exists()

    monkeypatch.setattr(store, "export", export_then_another_unlock)
    changer.change_passphrase(PASSPHRASE, "a new passphrase", allow_weak=True)
    changer.lock()

    with Vault.open(vault_dir, "a new passphrase") as reopened:
        assert [c.name for c in reopened.contacts.all()] == ["Ana"]
    assert sorted(p.name for p in vault_dir.iterdir()) == ["vault.db", "vault.hdr", "vault.hdr.bak"]


def test_a_live_passphrase_change_holds_the_folder_alone(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between its export and its rename, a passphrase change holds the folder lock exclusively:
    a second passphrase change (or an upgrade, or a backup) waits instead of overwriting
    ``vault.db.rekey`` under it, and a sweep skips the folder."""
    import fcntl

    Vault.create(vault_dir, PASSPHRASE, params=kdf.TEST_PARAMS, allow_weak=True).lock()
    changer = Vault.open(vault_dir, PASSPHRASE)
    store = changer.live_store
    real_export = store.export
    seen: list[bool] = []

    def export_then_probe(*args: Any, **kwargs: Any) -> None:
        real_export(*args, **kwargs)
        fd = os.open(vault_dir, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            seen.append(False)  # a shared lock was granted: nothing stops a second change
        except BlockingIOError:
            seen.append(True)
        finally:
            os.close(fd)
        with folder_lock.sweeping(vault_dir) as free:
            seen.append(not free)

    monkeypatch.setattr(store, "export", export_then_probe)
    changer.change_passphrase(PASSPHRASE, "a new passphrase", allow_weak=True)
    changer.lock()
    assert seen == [True, True]
    with folder_lock.sweeping(vault_dir) as free:
        assert free  # released when the change is done


def test_a_passphrase_change_on_a_replaced_file_is_refused(vault_dir: Path) -> None:
    """A process whose ``vault.db`` was replaced by another's passphrase change must not swap
    its stale copy over the new database (the other change, and anything written since, would
    be lost)."""
    Vault.create(vault_dir, PASSPHRASE, params=kdf.TEST_PARAMS, allow_weak=True).lock()
    first = Vault.open(vault_dir, PASSPHRASE)
    second = Vault.open(vault_dir, PASSPHRASE)
    second.change_passphrase(PASSPHRASE, "second passphrase", allow_weak=True)
    second.contacts.add(ContactDraft(name="Written after"))
    second.lock()
    with pytest.raises(VaultReplaced):
        first.change_passphrase(PASSPHRASE, "first passphrase", allow_weak=True)
    first.lock()
    with Vault.open(vault_dir, "second passphrase") as reopened:
        assert [c.name for c in reopened.contacts.all()] == ["Written after"]
    assert sorted(p.name for p in vault_dir.iterdir()) == ["vault.db", "vault.hdr", "vault.hdr.bak"]
