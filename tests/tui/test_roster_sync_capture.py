"""The TUI's writes follow the CLI's after-write policy (``sync/capture.py``, issue 15): an edit
of a record in a shared segment becomes a signed op at once, not at the next sync command."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE
from tests.sync.pair import CONTACT, pair
from tui.screens.roster import Roster
from vault import Vault
from vault.domain.sync_state import SyncStore


def _ops(vault: Vault, segment_id: bytes) -> int:
    return SyncStore(vault.live_store, vault.keyring).log_count(segment_id)


def test_a_tui_edit_of_a_shared_contact_is_captured_at_once(
    tmp_path: Path, passphrase_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")
    alice, _bob = pair(tmp_path, passphrase_file)
    with Vault.open(alice.vault_dir, PASSPHRASE) as vault:
        segment = vault.segments.find("Tenants").id
        roster = Roster(vault)
        contact = next(c for c in vault.contacts.all() if c.name == CONTACT)
        before = _ops(vault, segment)
        roster.update(contact.id, replace(contact.draft(), org="Tenants Union"))
        assert roster.sync_warning == ""
        assert _ops(vault, segment) == before + 1
        private = roster.add(replace(contact.draft(), name="Only mine", emails=(), notes=""))
        assert _ops(vault, segment) == before + 1  # a private contact makes no op
        roster.delete(private.id)
        roster.close()
