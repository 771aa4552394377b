"""The supporter map from the palette: the same counts as ``kith map``, no names on screen."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Button, Input

from tests.tui.app_helpers import app_for, drive, make_vault, screen_text, unlock, until
from tui.app import KithApp
from tui.screens.map_dialog import MapDialog
from vault.domain.model import Address, ContactDraft

PEOPLE = [ContactDraft(name=f"Quillon Person{i}",
                       addresses=(Address(street=f"{i} Rue Zqx", locality=city, country="FR"),))
          for i, city in enumerate(["Lyon"] * 5 + ["Paris"] * 2)]


async def draw(pilot: Pilot[None], dialog: MapDialog) -> str:
    def result() -> str:
        return str(dialog.query_one("#result").render())

    dialog.say([])
    dialog.query_one("#run", Button).press()
    await until(pilot, lambda: not dialog.has_class("-running")
                and result() not in ("", "Working..."), timeout=60)
    return result()


def test_the_map_dialog_shows_counts_and_nobody(tmp_path: Path) -> None:
    app = app_for(make_vault(tmp_path / "v", PEOPLE))

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        {c.title: c for c in app.get_system_commands(app.screen)}["Supporter map"].callback()
        await until(pilot, lambda: isinstance(app.screen, MapDialog))
        dialog = app.screen
        assert isinstance(dialog, MapDialog)
        shown = await draw(pilot, dialog)
        assert "5  Lyon, FR" in shown and "2 hidden" in shown and "Paris" not in shown
        dialog.query_one("#k", Input).value = "1"
        assert "at least 2" in await draw(pilot, dialog)
        dialog.query_one("#k", Input).value = "2"
        dialog.query_one("#where", Input).value = "city:Paris"
        assert "2  Paris, FR" in await draw(pilot, dialog)
        text = screen_text(app)
        assert "Quillon" not in text and "Zqx" not in text

    drive(app, script, size=(100, 40))
