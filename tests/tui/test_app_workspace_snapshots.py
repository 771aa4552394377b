"""Snapshot tests of the organizer's screens, at 80x24 and 120x40: the contact screen of a
person who asked not to be contacted, a contact with consent and history, logging, the keys
panel, segments with marked contacts, who may be contacted.

Deterministic by construction: stored times are fixed (FIXED_TIME), record ids come from a
counter while the vault is made (the contact screen shows short ids), the vault path is
relative, text cursors do not blink. Regenerate with `--snapshot-update` and look at every
changed picture before committing it.
"""

from __future__ import annotations

import types
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

import vault.core.records
from tests.tui.app_helpers import PASSPHRASE, app_for, unlock, until
from tests.tui.test_app_snapshots import keys, steady, wait_for
from tests.tui.workspace_helpers import make_organizing_vault
from tui.app import KithApp
from vault.api import Vault

SIZES = [(80, 24), (120, 40)]
Step = Callable[[Pilot[None], KithApp], Awaitable[None]]


@pytest.fixture
def org_vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The organizing vault at the relative path `vault`, with counter record ids."""
    monkeypatch.chdir(tmp_path)
    counter = iter(range(1, 1_000_000))
    fake_os = types.SimpleNamespace(urandom=lambda n: next(counter).to_bytes(n, "little"))
    with monkeypatch.context() as patch:
        patch.setattr(vault.core.records, "os", fake_os)
        make_organizing_vault(Path("vault"), interactions=23)
        with Vault.open(Path("vault"), PASSPHRASE) as opened:
            opened.records._now = lambda: 1_750_000_000
            opened.segments.create("canvass team")
            opened.segments.create("press")
    return Path("vault")


def story(*steps: Step) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        app: Any = pilot.app
        await until(pilot, lambda: type(app.screen).__name__ == "UnlockScreen")
        await unlock(pilot, app)
        for step in steps:
            await step(pilot, app)
        await pilot.pause()
        steady(pilot)
        await pilot.pause()

    return run_before


def open_named(name: str) -> Step:
    async def step(pilot: Pilot[None], app: KithApp) -> None:
        from tui.widgets import ContactList

        contacts = app.screen.query_one(ContactList)
        contacts.move_cursor([r.name for r in contacts.rows].index(name))
        await pilot.press("enter")
        await until(pilot, lambda: getattr(app.screen, "profile", None) is not None)

    return step


def answered() -> Step:
    async def step(pilot: Pilot[None], app: KithApp) -> None:
        app.screen.query_one("#kind", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: getattr(app.screen, "result", None) is not None)

    return step


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_do_not_contact_contact(snap_compare: Any, org_vault: Path, size: tuple[int, int]) -> None:
    run_before = story(open_named("Dana Refuser"))
    assert snap_compare(app_for(org_vault), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_contact_with_consent_and_history(
    snap_compare: Any, org_vault: Path, size: tuple[int, int]
) -> None:
    run_before = story(open_named("Ada Brandt"), keys("end"))
    assert snap_compare(app_for(org_vault), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_log_an_interaction(snap_compare: Any, org_vault: Path, size: tuple[int, int]) -> None:
    run_before = story(open_named("Bram Castell"), keys("l"), wait_for("LogScreen"), keys("d"))
    assert snap_compare(app_for(org_vault), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_keys_panel(snap_compare: Any, org_vault: Path, size: tuple[int, int]) -> None:
    run_before = story(keys("question_mark"), wait_for("KeysScreen"))
    assert snap_compare(app_for(org_vault), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_marked_contacts(snap_compare: Any, org_vault: Path, size: tuple[int, int]) -> None:
    run_before = story(keys("space", "space", "down", "space"))
    assert snap_compare(app_for(org_vault), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_segments_panel(snap_compare: Any, org_vault: Path, size: tuple[int, int]) -> None:
    run_before = story(keys("space", "space", "g"), wait_for("SegmentsScreen"), keys("a"))
    assert snap_compare(app_for(org_vault), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_who_may_i_contact(snap_compare: Any, org_vault: Path, size: tuple[int, int]) -> None:
    run_before = story(keys("w"), wait_for("WhoMayScreen"), answered())
    assert snap_compare(app_for(org_vault), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_search_language_filter(snap_compare: Any, org_vault: Path, size: tuple[int, int]) -> None:
    async def filtered(pilot: Pilot[None], app: KithApp) -> None:
        await pilot.press("slash", *"tag:press -has:dnc", "enter")
        await until(pilot, lambda: app.screen.view.ids is not None)  # type: ignore[attr-defined]

    run_before = story(filtered)
    assert snap_compare(app_for(org_vault), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_events(snap_compare: Any, org_vault: Path, size: tuple[int, int]) -> None:
    run_before = story(keys("v"), wait_for("EventsScreen"))
    assert snap_compare(app_for(org_vault), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_door_mode_after_a_sign_up(
    snap_compare: Any, org_vault: Path, size: tuple[int, int]
) -> None:
    async def signed(pilot: Pilot[None], app: KithApp) -> None:
        await until(pilot, lambda: getattr(app.screen, "matcher", None) is not None)
        await pilot.press(*"Zoe Quist", "enter", *"zoe@example.org", "tab", "space", "enter")
        await until(pilot, lambda: getattr(app.screen, "count", 0) == 1)

    run_before = story(keys("v"), wait_for("EventsScreen"), keys("o"), signed)
    assert snap_compare(app_for(org_vault), terminal_size=size, run_before=run_before)
