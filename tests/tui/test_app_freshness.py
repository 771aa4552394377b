"""Changes made by another process while the TUI is open appear without lock and unlock.

The other process is played by a second `Vault` connection in the test (what `kith add` does).
The check is triggered the way a user triggers it, by the terminal regaining focus, so the
tests do not wait for the periodic check's clock.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui.app_helpers import PASSPHRASE, app_for, drive, make_vault, unlock, until
from tui.app import KithApp
from tui.screens.detail import DetailScreen
from tui.screens.edit import EditScreen
from tui.screens.main import MainScreen
from tui.widgets import ContactList
from vault.api import Vault
from vault.domain.model import ContactDraft


def names(app: KithApp) -> list[str]:
    return [row.name for row in app.screen.query_one(ContactList).rows]


def add_elsewhere(folder: Path, name: str) -> None:
    with Vault.open(folder, PASSPHRASE) as other:
        other.contacts.add(ContactDraft(name=name))


async def refocus(pilot: Pilot[None], app: KithApp) -> None:
    app.app_focus = False
    await pilot.pause()
    app.app_focus = True
    await pilot.pause()


def highlighted(app: KithApp) -> str | None:
    row = app.screen.query_one(ContactList).highlighted_row
    return None if row is None else row.name


def test_a_contact_added_by_the_cli_appears(tmp_path: Path) -> None:
    folder = make_vault(tmp_path / "v")

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await until(pilot, lambda: app.screen.complete)  # type: ignore[attr-defined]
        await pilot.press("j")  # highlight Bram: kept across the reload
        await until(pilot, lambda: highlighted(app) == "Bram Castell")
        add_elsewhere(folder, "Aaron Zed")
        await refocus(pilot, app)
        await until(pilot, lambda: "Aaron Zed" in names(app) and app.screen.complete)  # type: ignore[attr-defined]
        row = app.screen.query_one(ContactList).highlighted_row
        assert row is not None and row.name == "Bram Castell"
        assert "7 contacts" in str(app.screen.query_one("#status").content)  # type: ignore[attr-defined]

    drive(app_for(folder), script)


def test_own_edits_do_not_count_as_changes_elsewhere(tmp_path: Path) -> None:
    folder = make_vault(tmp_path / "v")

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, EditScreen))
        app.screen.query_one("#name", Input).value = "Zoe Quist"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen and "Zoe Quist" in names(app))
        assert not screen.freshness.changed()
        add_elsewhere(folder, "Yan Other")
        assert screen.freshness.changed()

    drive(app_for(folder), script)


def test_a_reload_waits_while_a_contact_is_open(tmp_path: Path) -> None:
    folder = make_vault(tmp_path / "v")

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        main = app.screen
        assert isinstance(main, MainScreen)
        before = main.roster
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        add_elsewhere(folder, "Aaron Zed")
        main.check_freshness()
        await until(pilot, lambda: main.reload_pending)
        assert main.roster is before and isinstance(app.screen, DetailScreen)
        await pilot.press("escape")
        await until(
            pilot, lambda: app.screen is main and main.complete and "Aaron Zed" in names(app)
        )
        assert main.roster is not before and before.closed and app.roster is main.roster

    drive(app_for(folder), script)
