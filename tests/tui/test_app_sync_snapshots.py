"""Snapshot tests of the sync screens, at 80x24 and 120x40: the sync status, the peers screen
with a safety number and its QR code, and the share dialog over the segments panel.

Deterministic by construction: the device keys come from a counter (``fixed_keys``), so the
safety numbers and QR codes are the same on every run; the vaults live at relative paths; no
sync has run, so every "last heard" is "never". Regenerate with `--snapshot-update` and look at
every changed picture before committing it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.app_helpers import app_for, unlock, until
from tests.tui.sync_helpers import PASSPHRASE, fixed_keys, make_org, ok, pair
from tests.tui.test_app_snapshots import steady
from tui.app import KithApp

__all__ = ["fixed_keys"]  # the fixture, used by name below

SIZES = [(80, 24), (120, 40)]
Step = Callable[[Pilot[None], KithApp], Awaitable[None]]


@pytest.fixture
def alice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixed_keys: None, passphrase_file: Path
) -> Path:
    """alice shares Tenants with bob (verified); carol is a peer not yet verified; a second
    segment, Canvass, is not shared."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")
    first, _bob = pair(Path("."), passphrase_file)
    carol = make_org(Path("."), "carol", passphrase_file)
    ok(first.kith("peer", "add", "carol", carol.code()))
    ok(first.kith("segment", "create", "Canvass"))
    return Path("alice")


def story(*steps: Step) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        app: Any = pilot.app
        await until(pilot, lambda: type(app.screen).__name__ == "UnlockScreen")
        await unlock(pilot, app, PASSPHRASE)
        for step in steps:
            await step(pilot, app)
        await pilot.pause()
        steady(pilot)
        await pilot.pause()

    return run_before


def press(*keys: str) -> Step:
    async def step(pilot: Pilot[None], _app: KithApp) -> None:
        await pilot.press(*keys)

    return step


def until_state(check: Callable[[Any], bool]) -> Step:
    async def step(pilot: Pilot[None], app: KithApp) -> None:
        await until(pilot, lambda: check(app.screen))

    return step


def is_named(name: str) -> Callable[[Any], bool]:
    return lambda screen: type(screen).__name__ == name


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_sync_status(snap_compare: Any, alice: Path, size: tuple[int, int]) -> None:
    run_before = story(press("y"), until_state(lambda s: getattr(s, "rows", None) is not None))
    assert snap_compare(app_for(alice), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_peers_with_qr_code(snap_compare: Any, alice: Path, size: tuple[int, int]) -> None:
    run_before = story(
        press("y"), until_state(is_named("SyncScreen")), press("p"),
        until_state(lambda s: is_named("PeersScreen")(s) and s.rows is not None),
    )  # fmt: skip
    assert snap_compare(app_for(alice), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_share_dialog(snap_compare: Any, alice: Path, size: tuple[int, int]) -> None:
    run_before = story(
        press("g"), until_state(lambda s: getattr(s, "shared", None) is not None),
        press("s"), until_state(lambda s: is_named("ShareDialog")(s) and bool(s.names)),
        press("down"),
    )  # fmt: skip
    assert snap_compare(app_for(alice), terminal_size=size, run_before=run_before)
