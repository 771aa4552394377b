"""The commit counter and the header state (vault/core/commit_guard.py): what moves them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE
from vault.api import Vault
from vault.core import header_v2
from vault.core.commit_guard import read_counter
from vault.crypto import kdf
from vault.domain.model import ContactDraft


def _state(vault: Vault) -> header_v2.KeyState:
    hdr = header_v2.parse((vault.path / "vault.hdr").read_bytes())
    return header_v2.open_state(hdr, vault._opened.guard.hsk)


def test_reads_write_nothing_and_each_write_moves_the_counter_once(vault_dir: Path) -> None:
    with Vault.create(vault_dir, PASSPHRASE, params=kdf.TEST_PARAMS, allow_weak=True) as vault:
        vault.contacts.add(ContactDraft(name="Ana"))
        # Loading the search index after a change writes the rebuilt chunks back (issue 12 §3,
        # a write like any other); once they are current, loading it only reads.
        vault.search_index()
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        before = (vault_dir / "vault.hdr").read_bytes()
        counter = read_counter(vault.live_store)
        assert counter is not None and _state(vault) == header_v2.KeyState.final(
            counter[0], vault._opened.guard.root
        )
        list(vault.contacts.all())
        vault.search_index().search("an")
        vault.info()
        assert (vault_dir / "vault.hdr").read_bytes() == before  # reads never write
        vault.contacts.add(ContactDraft(name="Bea"))
        after = read_counter(vault.live_store)
        assert after is not None and after[0] == counter[0] + 1
        state = _state(vault)
        assert (state.lo, state.hi) == (counter[0], counter[0] + 1)  # pending until lock
        assert state.root_lo == state.root_hi  # no shred: the root did not change
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        state = _state(vault)
        assert state.lo == state.hi == counter[0] + 1  # finalized at lock


def test_a_shred_replaces_the_root_at_once(vault: Vault) -> None:
    contact = vault.contacts.add(ContactDraft(name="Ana"))
    root = vault._opened.guard.root
    vault.contacts.delete([bytes.fromhex(contact.id)])
    state = _state(vault)
    assert state.lo == state.hi and state.root_lo != root  # old root overwritten, not pending
    assert vault._opened.guard.root == state.root_lo


def test_a_rolled_back_transaction_restores_the_tree(vault: Vault) -> None:
    keep = vault.contacts.add(ContactDraft(name="Ana"))
    gone = vault.contacts.add(ContactDraft(name="Bruno"))
    counter = read_counter(vault.live_store)
    with pytest.raises(RuntimeError), vault.live_store.transaction():
        vault.records.shred([bytes.fromhex(gone.id)])
        raise RuntimeError("abandon")
    assert read_counter(vault.live_store) == counter
    assert vault.contacts.get(gone.id).name == "Bruno"  # readable: the re-key was undone
    assert vault.contacts.get(keep.id).name == "Ana"
