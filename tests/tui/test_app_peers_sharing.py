"""Peers and sharing from the TUI, through real vaults: a peer added and verified with the
CLI's confirmation; a share refused for an unverified peer with the CLI's message, then made
once verified; an unshare that rotates the key. Every change is checked in the vault itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from sync.errors import BadInvitation, UnverifiedPeer
from sync.replica import Replica
from tests.tui.app_helpers import app_for, drive, screen_text, unlock, until
from tests.tui.sync_helpers import PASSPHRASE, Org, make_org, ok, pair
from tui.app import KithApp
from tui.screens.peers import QUESTION, AddPeerDialog, MyCodeDialog, PeersScreen, VerifyDialog
from tui.screens.segment_sharing import ShareDialog, UnshareDialog
from tui.screens.segments import SegmentsScreen
from tui.screens.sync_status import SyncScreen
from vault.api import Vault


@pytest.fixture(autouse=True)
def _weak_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")


def peer_state(org: Org, name: str) -> tuple[bool, bool] | None:
    with Vault.open(org.vault_dir, PASSPHRASE) as opened:
        peer = Replica(opened).peers.peers.get(name)
        return None if peer is None else (peer.verified, peer.halted)


def shared_with(org: Org, segment: str) -> list[str]:
    with Vault.open(org.vault_dir, PASSPHRASE) as opened:
        replica = Replica(opened)
        state = replica.state.segments.get(opened.segments.find(segment).id)
        if state is None:
            return []
        return sorted(replica.label_of(k) for k in state.membership.members())


def said(app: KithApp, selector: str = "#message") -> str:
    return str(app.screen.query_one(selector, Static).content)


async def open_peers(pilot: Pilot[None], app: KithApp) -> PeersScreen:
    await pilot.press("y")
    await until(pilot, lambda: isinstance(app.screen, SyncScreen))
    await pilot.press("p")
    await until(pilot, lambda: isinstance(app.screen, PeersScreen))
    peers = app.screen
    assert isinstance(peers, PeersScreen)
    await until(pilot, lambda: peers.rows is not None)
    return peers


def test_a_peer_added_and_verified_in_the_tui(tmp_path: Path, passphrase_file: Path) -> None:
    alice, bob = (make_org(tmp_path, n, passphrase_file) for n in ("alice", "bob"))
    code, own = bob.code(), alice.code()
    seen: dict[str, str] = {}

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app, PASSPHRASE)
        peers = await open_peers(pilot, app)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, AddPeerDialog))
        app.screen.query_one("#name", Input).value = "bob"
        app.screen.query_one("#code", Input).value = code[:-1] + ("0" if code[-1] != "0" else "1")
        app.screen.query_one("#code", Input).focus()
        await pilot.press("enter")  # a mistyped code: the CLI's message, nothing added
        await until(pilot, lambda: said(app, "#error") == BadInvitation().message)
        app.screen.query_one("#code", Input).value = own
        await pilot.press("enter")  # this device's own code: refused
        await until(pilot, lambda: "this device's own code" in said(app, "#error"))
        app.screen.query_one("#code", Input).value = code
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is peers and peers.rows != [])
        await until(pilot, lambda: "added bob (unverified)" in said(app))
        seen["list"] = screen_text(app)
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, VerifyDialog))
        seen["dialog"] = screen_text(app)
        await pilot.press("enter")  # "No" has the focus: nothing changes
        await until(pilot, lambda: app.screen is peers)
        seen["after no"] = repr(peer_state(alice, "bob"))
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, VerifyDialog))
        await pilot.press("y")
        await until(pilot, lambda: said(app) == "bob is verified")
        await until(pilot, lambda: peers.rows is not None and peers.rows[0].verified)
        await pilot.press("i")  # this device's number and invitation code
        await until(pilot, lambda: isinstance(app.screen, MyCodeDialog))
        assert isinstance(app.screen, MyCodeDialog)
        seen["my code"] = app.screen.code
        seen["my number"] = app.screen.number
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is peers)

    drive(app_for(alice.vault_dir), script, size=(120, 40))
    # the number the TUI shows is the one `kith peer verify` prints (stdout, before it asks)
    number = alice.kith("peer", "verify", "bob").stdout.strip()
    groups = number.split()
    assert len(groups) == 12
    assert " ".join(groups[:4]) in seen["list"] and " ".join(groups[8:]) in seen["list"]
    assert "bob                unverified" in seen["list"]
    mine = ok(alice.kith("id", "show")).stdout.strip()  # alice's half, `kith id show`
    theirs = ok(bob.kith("id", "show")).stdout.strip()
    assert {mine, theirs} == {" ".join(groups[:6]), " ".join(groups[6:])}
    assert f"you:            {mine}" in seen["dialog"]
    assert f"bob:            {theirs}" in seen["dialog"]
    assert " ".join(groups[:6]) in seen["dialog"] and " ".join(groups[6:]) in seen["dialog"]
    assert QUESTION[:50] in seen["dialog"] and "digits match?" in seen["dialog"]
    assert seen["after no"] == "(False, False)"
    assert seen["my code"] == own and seen["my number"] == mine
    assert peer_state(alice, "bob") == (True, False)


def test_share_is_refused_for_an_unverified_peer_then_made(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, bob = (make_org(tmp_path, n, passphrase_file) for n in ("alice", "bob"))
    ok(alice.kith("peer", "add", "bob", bob.code()))
    ok(alice.kith("segment", "create", "Tenants"))
    seen: dict[str, str] = {}

    async def share(pilot: Pilot[None], app: KithApp, panel: SegmentsScreen) -> ShareDialog:
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ShareDialog))
        dialog = app.screen
        assert isinstance(dialog, ShareDialog)
        await until(pilot, lambda: dialog.names == ["bob"])
        await pilot.press("y")
        return dialog

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app, PASSPHRASE)
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, SegmentsScreen))
        panel = app.screen
        assert isinstance(panel, SegmentsScreen)
        await until(pilot, lambda: panel.shared is not None and bool(panel.segments))
        seen["before"] = screen_text(app)
        await share(pilot, app, panel)
        await until(pilot, lambda: said(app, "#error") == UnverifiedPeer().message)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is panel)
        seen["refused"] = repr(shared_with(alice, "Tenants"))
        ok(alice.kith("peer", "verify", "bob", "--yes"))  # the people compared numbers
        await share(pilot, app, panel)
        await until(pilot, lambda: app.screen is panel)
        await until(pilot, lambda: "shared with bob (writer)" in screen_text(app))
        seen["said"] = said(app)

    drive(app_for(alice.vault_dir), script)
    assert "Tenants" in seen["before"] and "not shared" in seen["before"]
    assert seen["refused"] == "[]"
    assert seen["said"] == "shared Tenants with bob as writer; sync to deliver it"
    assert shared_with(alice, "Tenants") == ["bob", "you"]


def test_unshare_removes_the_peer_and_rotates_the_key(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, _bob = pair(tmp_path, passphrase_file)
    seen: dict[str, str] = {}

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app, PASSPHRASE)
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, SegmentsScreen))
        panel = app.screen
        assert isinstance(panel, SegmentsScreen)
        await until(pilot, lambda: "shared with bob (writer)" in screen_text(app))
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, UnshareDialog))
        await pilot.press("escape")  # nothing changes
        await until(pilot, lambda: app.screen is panel)
        seen["kept"] = repr(shared_with(alice, "Tenants"))
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, UnshareDialog))
        await pilot.press("y")
        await until(pilot, lambda: app.screen is panel)
        await until(pilot, lambda: "not shared" in screen_text(app))
        seen["said"] = said(app)

    drive(app_for(alice.vault_dir), script)
    assert seen["kept"] == "['bob', 'you']"
    assert seen["said"] == "removed bob from Tenants; the segment key was rotated"
    assert shared_with(alice, "Tenants") == ["you"]
    status = ok(alice.kith("sync", "status", "--json")).stdout
    assert '"epoch": 1' in status
