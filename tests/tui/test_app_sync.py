"""Sync from the TUI, through real vaults: two organizers sync through a folder, by a direct
session, and a wait for a peer is stopped; the sync screen shows what each member lacks.

Every run goes through the CLI's own sync functions (``tui/sync_work.py``), so what is tested
here is the TUI's part: keys, dialogs, worker threads, result lines, the list read again.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select, Static

from tests.relay.conftest import Backend, RelayProcess
from tests.sync.pair import CONTACT
from tests.tui.app_helpers import app_for, drive, screen_text, unlock, until
from tests.tui.sync_helpers import PASSPHRASE, ok, pair, wait_for_one_peer
from tui.app import KithApp
from tui.screens.main import MainScreen
from tui.screens.sync_now import SyncNowDialog
from tui.screens.sync_status import SyncScreen
from tui.widgets import ContactList
from vault.api import Vault


@pytest.fixture(autouse=True)
def _weak_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")


def text_of(app: KithApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


async def open_sync(pilot: Pilot[None], app: KithApp) -> SyncScreen:
    await pilot.press("y")
    await until(pilot, lambda: isinstance(app.screen, SyncScreen))
    screen = app.screen
    assert isinstance(screen, SyncScreen)
    await until(pilot, lambda: screen.rows is not None)
    return screen


async def sync_now(pilot: Pilot[None], app: KithApp, how: str, where: str) -> SyncNowDialog:
    await pilot.press("s")
    await until(pilot, lambda: isinstance(app.screen, SyncNowDialog))
    dialog = app.screen
    assert isinstance(dialog, SyncNowDialog)
    dialog.query_one("#how", Select).value = how
    await pilot.pause()
    dialog.query_one("#where", Input).value = where
    dialog.query_one("#where", Input).focus()
    await pilot.press("enter")
    return dialog


def names(app: KithApp) -> list[str]:
    return [row.name for row in app.screen.query_one(ContactList).rows]


def test_two_vaults_sync_through_a_folder_from_the_tui(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, bob = pair(tmp_path, passphrase_file)
    usb = tmp_path / "usb"
    seen: dict[str, str] = {}

    async def alice_pushes(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app, PASSPHRASE)
        status = await open_sync(pilot, app)
        seen["before"] = screen_text(app)
        dialog = await sync_now(pilot, app, "folder", str(usb))
        await until(pilot, lambda: dialog.result is not None)
        seen["dialog"] = text_of(app, "#result")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is status)
        await until(pilot, lambda: "Last sync" in text_of(app, "#result"))
        seen["after"] = text_of(app, "#result")

    drive(app_for(alice.vault_dir), alice_pushes, size=(120, 40))
    assert "Tenants" in seen["before"] and "bob" in seen["before"]
    assert re.search(r"bob +writer +verified +lacks [1-9]\d* change\(s\) +last heard never",
                     seen["before"])
    assert "bob has not yet received the segment key" in seen["before"]
    assert "took 0 file(s), refused 0" in seen["dialog"] and "wrote" in seen["dialog"]
    assert seen["after"].startswith("Last sync: took 0 file(s)")
    assert any(usb.iterdir())

    async def bob_pulls(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app, PASSPHRASE)
        assert CONTACT not in names(app)
        await open_sync(pilot, app)
        dialog = await sync_now(pilot, app, "folder", str(usb))
        await until(pilot, lambda: dialog.result is not None)
        seen["bob"] = text_of(app, "#result")
        await pilot.press("escape", "escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await until(pilot, lambda: CONTACT in names(app))  # the list is read again

    drive(app_for(bob.vault_dir), bob_pulls)
    assert "refused 0" in seen["bob"] and "took 0" not in seen["bob"]
    with Vault.open(bob.vault_dir, PASSPHRASE) as opened:
        assert CONTACT in [c.name for c in opened.contacts.all()]


@pytest.mark.slow  # a real relay process
def test_two_vaults_sync_through_a_relay_from_the_tui(
    tmp_path: Path, passphrase_file: Path
) -> None:
    """`kith sync pull|push relay:URL` from the sync dialog, against `kith relay serve`."""
    alice, bob = pair(tmp_path, passphrase_file)
    data = tmp_path / "relay-data"
    data.mkdir()
    relay = RelayProcess(Backend("sqlite", data)).start()
    results: list[str] = []

    def run(org_dir: Path) -> None:
        async def script(pilot: Pilot[None], app: KithApp) -> None:
            await unlock(pilot, app, PASSPHRASE)
            await open_sync(pilot, app)
            dialog = await sync_now(pilot, app, "folder", relay.target)
            await until(pilot, lambda: dialog.result is not None)
            results.append(text_of(app, "#result"))

        drive(app_for(org_dir), script)

    try:
        run(alice.vault_dir)
        run(bob.vault_dir)
    finally:
        relay.stop()
    assert results[0].endswith("wrote 2 file(s)")  # the bundle and bob's welcome
    assert "refused 0" in results[1] and "took 0" not in results[1]
    with Vault.open(bob.vault_dir, PASSPHRASE) as opened:
        assert CONTACT in [c.name for c in opened.contacts.all()]


def test_two_vaults_sync_through_the_configured_relays_from_the_tui(
    tmp_path: Path, passphrase_file: Path
) -> None:
    """Plain `kith sync` from the dialog: the relays set with `kith sync relay set`, nothing
    typed; then, with the relay gone, one line naming it and the run marked failed."""
    alice, bob = pair(tmp_path, passphrase_file)
    data = tmp_path / "relay-data"
    data.mkdir()
    relay = RelayProcess(Backend("sqlite", data)).start()
    ok(alice.kith("sync", "relay", "set", "--peer", "bob", relay.target))
    ok(bob.kith("sync", "relay", "set", "--peer", "alice", relay.target))
    results: list[tuple[str, bool]] = []

    def run(org_dir: Path) -> None:
        async def script(pilot: Pilot[None], app: KithApp) -> None:
            await unlock(pilot, app, PASSPHRASE)
            await open_sync(pilot, app)
            await pilot.press("s")
            await until(pilot, lambda: isinstance(app.screen, SyncNowDialog))
            dialog = app.screen
            assert isinstance(dialog, SyncNowDialog)
            dialog.query_one("#how", Select).value = "relays"
            await pilot.pause()
            assert not dialog.query_one("#where", Input).display  # nothing to type
            dialog.query_one("#run", Button).focus()
            await pilot.press("enter")
            await until(pilot, lambda: dialog.result is not None)
            assert dialog.result is not None
            results.append((text_of(app, "#result"), dialog.result[1]))

        drive(app_for(org_dir), script)

    try:
        run(alice.vault_dir)
        run(bob.vault_dir)
    finally:
        relay.stop()
    assert f"relay:{relay.url}: took 0, wrote 2 file(s)" in results[0][0]  # bundle + welcome
    assert results[0][1] and results[1][1]
    assert "took 2 file(s), refused 0" in results[1][0]
    with Vault.open(bob.vault_dir, PASSPHRASE) as opened:
        assert CONTACT in [c.name for c in opened.contacts.all()]
    run(alice.vault_dir)  # the relay is stopped now
    line, done = results[2]
    assert not done and line.startswith(f"relay:{relay.url}: The relay did not answer")


def test_connect_to_a_peer_who_waits(tmp_path: Path, passphrase_file: Path) -> None:
    """`kith sync connect` from the TUI: bob waits (`session.serve`, as `kith sync serve`)."""
    alice, bob = pair(tmp_path, passphrase_file)
    bob_waits = wait_for_one_peer(bob.vault_dir)
    seen: dict[str, str] = {}

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app, PASSPHRASE)
        await open_sync(pilot, app)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SyncNowDialog))
        dialog = app.screen
        assert isinstance(dialog, SyncNowDialog)
        dialog.query_one("#how", Select).value = "connect"
        await pilot.pause()
        dialog.query_one("#peer", Input).value = "bob"
        dialog.query_one("#where", Input).value = f"127.0.0.1:{bob_waits.port}"
        dialog.query_one("#where", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: dialog.result is not None)
        seen["result"] = text_of(app, "#result")

    drive(app_for(alice.vault_dir), script)
    bob_waits.thread.join(60)
    assert not bob_waits.failures
    assert seen["result"].startswith("synced with bob: sent ")
    assert "refused 0" in seen["result"]
    with Vault.open(bob.vault_dir, PASSPHRASE) as opened:
        assert CONTACT in [c.name for c in opened.contacts.all()]


def test_waiting_for_a_peer_is_stopped_by_close(tmp_path: Path, passphrase_file: Path) -> None:
    alice, _bob = pair(tmp_path, passphrase_file)
    seen: dict[str, object] = {}

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app, PASSPHRASE)
        status = await open_sync(pilot, app)
        dialog = await sync_now(pilot, app, "serve", "127.0.0.1:0")
        await until(pilot, lambda: dialog.stop.address is not None)
        await until(pilot, lambda: "Listening on 127.0.0.1:" in text_of(app, "#result"))
        seen["address"] = dialog.stop.address
        assert dialog.running
        await pilot.press("escape")  # Close: the wait ends
        await until(pilot, lambda: app.screen is status)
        await until(pilot, lambda: not any(w.is_running for w in app.workers))
        seen["nothing"] = status.last_result

    drive(app_for(alice.vault_dir), script)
    address = seen["address"]
    assert isinstance(address, tuple)
    with pytest.raises(OSError):  # nobody listens any more
        socket.create_connection(("127.0.0.1", address[1]), timeout=5).close()


def test_the_palette_opens_sync_sync_now_and_peers(tmp_path: Path, passphrase_file: Path) -> None:
    alice, _bob = pair(tmp_path, passphrase_file)
    opened: list[str] = []

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app, PASSPHRASE)
        main = app.screen
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert not any("not available" in c.help for c in commands.values() if "ync" in c.title)
        for title, shown in (("Sync", "SyncScreen"), ("Sync now", "SyncNowDialog"),
                             ("Peers", "PeersScreen")):  # fmt: skip
            commands[title].callback()
            await until(pilot, lambda shown=shown: type(app.screen).__name__ == shown)
            opened.append(shown)
            while app.screen is not main:
                await pilot.press("escape")
                await pilot.pause()
        await pilot.press("slash", "y")  # typed in the filter box: a letter, not the sync key
        await pilot.pause()
        assert app.screen is main

    drive(app_for(alice.vault_dir), script)
    assert opened == ["SyncScreen", "SyncNowDialog", "PeersScreen"]
