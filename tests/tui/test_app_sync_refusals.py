"""The CLI's sync refusals hold in the TUI, through real vaults: a peer whose key changed halts
sync until verified again; a direct session with an unverified peer is refused; a change asked
for while a sync runs is refused at once; locking during a wait for a peer stops it cleanly."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from sync.errors import UnverifiedPeer
from sync.replica import Replica
from tests.tui.app_helpers import app_for, drive, screen_text, unlock, until
from tests.tui.sync_helpers import PASSPHRASE, make_org, ok, pair, wait_for_one_peer
from tests.tui.test_app_sync import open_sync, sync_now, text_of
from tui.app import KithApp
from tui.errors import SyncRunning
from tui.screens.peers import PeersScreen, VerifyDialog
from tui.screens.segment_sharing import ShareDialog
from tui.screens.segments import SegmentsScreen
from tui.screens.sync_now import SyncNowDialog
from tui.screens.unlock import UnlockScreen
from tui.sync_work import SYNC_LOCK
from vault.api import Vault


@pytest.fixture(autouse=True)
def _weak_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")


def test_a_changed_key_halts_sync_until_verified_again_in_the_tui(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, _bob = pair(tmp_path, passphrase_file)
    mallory = make_org(tmp_path, "mallory", passphrase_file)
    halted = alice.kith("peer", "add", "bob", mallory.code())  # bob's label, other keys
    assert halted.exit_code == 6
    usb = tmp_path / "usb"
    seen: dict[str, str] = {}

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app, PASSPHRASE)
        status = await open_sync(pilot, app)
        seen["status"] = screen_text(app)
        dialog = await sync_now(pilot, app, "folder", str(usb))
        await until(pilot, lambda: dialog.result is not None)
        seen["halted push"] = text_of(app, "#result")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is status)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PeersScreen))
        peers = app.screen
        assert isinstance(peers, PeersScreen)
        await until(pilot, lambda: peers.rows is not None)
        seen["peers"] = screen_text(app)
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, VerifyDialog))
        await pilot.press("y")  # the people compared the new number
        await until(pilot, lambda: str(peers.query_one("#message", Static).content)
                    == "bob is verified")  # fmt: skip
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is status)
        dialog = await sync_now(pilot, app, "folder", str(usb))
        await until(pilot, lambda: dialog.result is not None)
        seen["push"] = text_of(app, "#result")

    drive(app_for(alice.vault_dir), script, size=(120, 40))
    assert "bob's key changed: sync is halted until you verify them again" in seen["status"]
    assert "halted" in seen["status"]
    assert "skipped segment" in seen["halted push"] and "a member's key changed" in seen[
        "halted push"
    ]
    assert "halted: key changed" in seen["peers"]
    assert "skipped segment" not in seen["push"]
    with Vault.open(alice.vault_dir, PASSPHRASE) as opened:
        bob = Replica(opened).peers.peers["bob"]
        assert (bob.verified, bob.halted) == (True, False)


def test_a_session_with_an_unverified_peer_is_refused(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, bob = (make_org(tmp_path, n, passphrase_file) for n in ("alice", "bob"))
    ok(alice.kith("peer", "add", "bob", bob.code()))  # neither verifies the other
    ok(bob.kith("peer", "add", "alice", alice.code()))
    ok(bob.kith("peer", "verify", "alice", "--yes"))  # only bob did: alice must still refuse
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
        dialog.query_one("#where", Input).value = f"127.0.0.1:{bob_waits.port}"
        dialog.query_one("#where", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: dialog.result is not None)
        seen["result"] = text_of(app, "#result")
        seen["error"] = str(dialog.query_one("#result", Static).has_class("error"))

    drive(app_for(alice.vault_dir), script)
    bob_waits.thread.join(60)
    assert seen["result"] == UnverifiedPeer().message
    assert seen["error"] == "True"
    assert bob_waits.failures  # bob's side saw the session fail


def test_a_share_asked_for_while_a_sync_runs_is_refused_at_once(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, _bob = pair(tmp_path, passphrase_file)
    ok(alice.kith("segment", "create", "Canvass"))
    seen: dict[str, str] = {}

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app, PASSPHRASE)
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, SegmentsScreen))
        panel = app.screen
        assert isinstance(panel, SegmentsScreen)
        await until(pilot, lambda: panel.shared is not None and bool(panel.segments))
        await pilot.press("s")  # Canvass, first by name
        await until(pilot, lambda: isinstance(app.screen, ShareDialog))
        dialog = app.screen
        assert isinstance(dialog, ShareDialog)
        await until(pilot, lambda: dialog.names == ["bob"])
        with SYNC_LOCK:  # as a wait for a peer holds it
            await pilot.press("y")
            await until(pilot, lambda: str(dialog.query_one("#error", Static).content)
                        == SyncRunning().message)  # fmt: skip
        await pilot.press("y")  # once it ends, the same share goes through
        await until(pilot, lambda: app.screen is panel)
        seen["said"] = str(panel.query_one("#message", Static).content)

    drive(app_for(alice.vault_dir), script)
    assert seen["said"] == "shared Canvass with bob as writer; sync to deliver it"


def test_locking_while_waiting_for_a_peer_stops_the_wait(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, _bob = pair(tmp_path, passphrase_file)
    seen: dict[str, object] = {}

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app, PASSPHRASE)
        await open_sync(pilot, app)
        dialog = await sync_now(pilot, app, "serve", "127.0.0.1:0")
        await until(pilot, lambda: dialog.stop.address is not None)
        seen["address"] = dialog.stop.address
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        await until(pilot, lambda: not any(w.is_running for w in app.workers))
        await until(pilot, lambda: not SYNC_LOCK.locked())
        seen["crashed"] = app.crashed

    drive(app_for(alice.vault_dir), script)
    assert seen["crashed"] is None
    address = seen["address"]
    assert isinstance(address, tuple)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", address[1]), timeout=5).close()


def test_a_folder_that_cannot_be_used_and_a_bad_relay_address_are_one_line(
    tmp_path: Path, passphrase_file: Path
) -> None:
    from sync.errors import BadRelayAddress

    alice, _bob = pair(tmp_path, passphrase_file)
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("x")
    seen: list[tuple[str, bool]] = []

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app, PASSPHRASE)
        status = await open_sync(pilot, app)
        for where in (str(not_a_folder), "relay:ftp://relay.example.org", "  "):
            dialog = await sync_now(pilot, app, "folder", where)
            await until(pilot, lambda dialog=dialog: dialog.result is not None)
            result = dialog.query_one("#result", Static)
            seen.append((str(result.content), result.has_class("error")))
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is status)
        assert app.crashed is None

    drive(app_for(alice.vault_dir), script)
    assert seen == [
        ("Invalid input: cannot use that folder: File exists.", True),
        (BadRelayAddress().message, True),
        ("Invalid input: give a folder, e.g. on a USB stick, or relay:https://HOST.", True),
    ]
