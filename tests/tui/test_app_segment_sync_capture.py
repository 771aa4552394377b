"""The segments panel follows the CLI's after-write policy (``sync/capture.py``): adding a
contact to a shared segment, or removing one, becomes a signed op at once, not at the next
sync command (the contact-edit version is ``test_roster_sync_capture.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.tui.app_helpers import app_for, drive, unlock, until
from tests.tui.sync_helpers import PASSPHRASE, ok, ops, pair
from tui.app import KithApp
from tui.screens.segments import SegmentsScreen
from tui.widgets import ContactList
from vault.api import Vault
from vault.domain.model import ContactDraft

NEWCOMER = "Rosa Newcomer"


def said(app: KithApp) -> str:
    return str(app.screen.query_one("#message", Static).content)


def test_membership_changes_in_the_panel_are_captured_at_once(
    tmp_path: Path, passphrase_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")
    alice, _bob = pair(tmp_path, passphrase_file)
    with Vault.open(alice.vault_dir, PASSPHRASE) as opened:
        opened.contacts.add(ContactDraft(name=NEWCOMER))  # private: makes no op
    before = ops(alice.vault_dir)
    counts: list[int] = []

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app, PASSPHRASE)
        contacts = app.screen.query_one(ContactList)
        contacts.move_cursor([r.name for r in contacts.rows].index(NEWCOMER))
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, SegmentsScreen))
        panel = app.screen
        assert isinstance(panel, SegmentsScreen)
        await until(pilot, lambda: bool(panel.segments))
        panel.query_one("#segments").highlighted = [s.name for s in panel.segments].index(
            "Tenants"
        )
        await pilot.press("a")
        await until(pilot, lambda: "1 contact(s) added to Tenants" in said(app))
        assert "not yet queued" not in said(app)
        assert app.vault is not None
        counts.append(_held(app))
        await pilot.press("r")
        await until(pilot, lambda: "1 contact(s) removed from Tenants" in said(app))
        counts.append(_held(app))

    drive(app_for(alice.vault_dir), script)
    # each change is an op the moment the panel says it is done, with no sync command run
    assert counts == [before + 1, before + 2]
    assert ops(alice.vault_dir) == before + 2


def _held(app: KithApp) -> int:
    from vault.domain.sync_state import SyncStore

    assert app.vault is not None
    found = app.vault.segments.find("Tenants").id
    return SyncStore(app.vault.live_store, app.vault.keyring).log_count(found)


def test_a_change_made_while_a_sync_runs_is_captured_by_the_next_sync(
    tmp_path: Path, passphrase_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two replicas saved at once could lose ops: while a sync holds the lock, the panel
    leaves the capture to the next sync, says so, and the next sync does capture it."""
    from tui.sync_work import SYNC_LOCK

    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")
    alice, _bob = pair(tmp_path, passphrase_file)
    with Vault.open(alice.vault_dir, PASSPHRASE) as opened:
        opened.contacts.add(ContactDraft(name=NEWCOMER))
    before = ops(alice.vault_dir)
    seen: list[str] = []

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app, PASSPHRASE)
        contacts = app.screen.query_one(ContactList)
        contacts.move_cursor([r.name for r in contacts.rows].index(NEWCOMER))
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, SegmentsScreen))
        panel = app.screen
        assert isinstance(panel, SegmentsScreen)
        await until(pilot, lambda: panel.shared is not None)
        panel.query_one("#segments").highlighted = [s.name for s in panel.segments].index(
            "Tenants"
        )
        with SYNC_LOCK:  # as a sync running in a worker thread holds it
            await pilot.press("a")
            await until(pilot, lambda: "added to Tenants" in said(app))
        seen.append(said(app))
        seen.append(str(_held(app)))

    drive(app_for(alice.vault_dir), script)
    assert seen[0] == ("1 contact(s) added to Tenants (not yet queued for sync: a sync is "
                       "running; the next sync queues it)")  # fmt: skip
    assert seen[1] == str(before)
    ok(alice.kith("sync", "status"))  # the next sync command captures it
    assert ops(alice.vault_dir) == before + 1
