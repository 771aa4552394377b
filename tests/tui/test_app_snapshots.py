"""Snapshot tests: one picture per screen, at 80x24, with invented contacts.

They read like user stories: open the app, do something, look. Deterministic by construction:
stored times are fixed (`make_vault(fixed_time=True)`), record ids come from a counter, the vault
path is the relative `vault` (the test runs in its own folder), notifications are off under
`run_test`, and text cursors do not blink.

Regenerate after an intended change with `pytest tests/tui/test_app_snapshots.py
--snapshot-update`, and look at every picture that changed before committing it.
"""

from __future__ import annotations

import types
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

import vault.core.records
from tests.tui.app_helpers import HOSTILE, PEOPLE, SIZE, app_for, make_vault, unlock, until
from tui.app import KithApp

Before = Callable[[Pilot[None]], Awaitable[None]]


@pytest.fixture
def vault_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Invented contacts in a vault at the relative path `vault`: no tmp path on screen; record
    ids from a counter (the contact screen shows the short id)."""
    monkeypatch.chdir(tmp_path)
    counter = iter(range(1, 1_000_000))
    fake_os = types.SimpleNamespace(urandom=lambda n: next(counter).to_bytes(n, "little"))
    with monkeypatch.context() as patch:
        patch.setattr(vault.core.records, "os", fake_os)
        return make_vault(Path("vault"), [*PEOPLE, HOSTILE], fixed_time=True)


def steady(pilot: Pilot[None]) -> None:
    """Stop text cursors blinking, so the picture does not depend on when it is taken."""
    for widget in pilot.app.screen.query("Input, TextArea"):
        assert isinstance(widget, Input | TextArea)
        widget.cursor_blink = False


def story(*steps: Callable[[Pilot[None], KithApp], Awaitable[None]]) -> Before:
    """A `run_before` that unlocks, runs `steps`, then steadies the screen."""

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


def wait_for(name: str) -> Callable[[Pilot[None], KithApp], Awaitable[None]]:
    async def step(pilot: Pilot[None], app: KithApp) -> None:
        await until(pilot, lambda: type(app.screen).__name__ == name)

    return step


def keys(*pressed: str) -> Callable[[Pilot[None], KithApp], Awaitable[None]]:
    async def step(pilot: Pilot[None], _app: KithApp) -> None:
        await pilot.press(*pressed)

    return step


def test_unlock_after_a_wrong_passphrase(snap_compare: Any, vault_here: Path) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        app: Any = pilot.app
        app.screen.query_one("#passphrase", Input).value = "not it"
        await pilot.press("enter")
        await until(pilot, lambda: not app.screen.has_class("-busy"))
        steady(pilot)

    assert snap_compare(app_for(vault_here), terminal_size=SIZE, run_before=run_before)


def test_create_a_vault(snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press("a", "b", "c")  # three characters, not shown
        steady(pilot)

    assert snap_compare(app_for(Path("vault")), terminal_size=SIZE, run_before=run_before)


def test_contact_list(snap_compare: Any, vault_here: Path) -> None:
    run_before = story(keys("down"))
    assert snap_compare(app_for(vault_here), terminal_size=SIZE, run_before=run_before)


def test_contact_list_filtered_by_tag(snap_compare: Any, vault_here: Path) -> None:
    run_before = story(keys("t", "end", "enter"))
    assert snap_compare(app_for(vault_here), terminal_size=(100, 24), run_before=run_before)


def test_contact_detail(snap_compare: Any, vault_here: Path) -> None:
    run_before = story(keys("down", "enter"), wait_for("DetailScreen"))
    assert snap_compare(app_for(vault_here), terminal_size=SIZE, run_before=run_before)


def test_edit_form_with_an_inline_error(snap_compare: Any, vault_here: Path) -> None:
    async def bad_email(pilot: Pilot[None], app: KithApp) -> None:
        app.screen.query_one("#emails", TextArea).text = "ada@example.org\nnot an address"
        await pilot.press("ctrl+s")

    run_before = story(keys("down", "e"), wait_for("EditScreen"), bad_email)
    assert snap_compare(app_for(vault_here), terminal_size=SIZE, run_before=run_before)


def test_delete_confirmation(snap_compare: Any, vault_here: Path) -> None:
    run_before = story(keys("down", "d"), wait_for("DeleteScreen"))
    assert snap_compare(app_for(vault_here), terminal_size=SIZE, run_before=run_before)


def test_burn_confirmation(snap_compare: Any, vault_here: Path) -> None:
    async def burn(pilot: Pilot[None], app: KithApp) -> None:
        app.action_burn()

    run_before = story(burn, wait_for("BurnScreen"), keys("B", "U"))
    assert snap_compare(app_for(vault_here), terminal_size=SIZE, run_before=run_before)
