"""Import, export and backup dialogs: the same vault code as the CLI, driven from the palette."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, Select

from tests.tui.app_helpers import app_for, drive, make_vault, screen_text, unlock, until
from tui.app import KithApp
from tui.screens.dialogs import BackupDialog, ExportDialog, TaskDialog
from tui.screens.import_dialog import ImportDialog
from tui.screens.main import MainScreen
from tui.widgets import ContactList

VCARD = """BEGIN:VCARD
VERSION:3.0
FN:Quinn Rahimi
EMAIL;TYPE=work:quinn@example.org
ORG:Allotment Society
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Rosa Silva
TEL;TYPE=cell:+33 6 11 22 33 44
END:VCARD
"""


def command(app: KithApp, title: str) -> None:
    {c.title: c for c in app.get_system_commands(app.screen)}[title].callback()


async def run_dialog(pilot: Pilot[None], app: KithApp) -> str:
    """Press Run and wait for the result line."""
    dialog = app.screen
    assert isinstance(dialog, TaskDialog)
    dialog.say([])

    def result() -> str:
        return str(dialog.query_one("#result").render())

    dialog.query_one("#run", Button).press()
    await until(
        pilot, lambda: not dialog.has_class("-running") and result() not in ("", "Working...")
    )
    return result()


def test_import_then_export_through_the_dialogs(tmp_path: Path) -> None:
    source = tmp_path / "people.vcf"
    source.write_text(VCARD)
    exported = tmp_path / "out.csv"
    app = app_for(make_vault(tmp_path / "v"))

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        command(app, "Import contacts")
        await until(pilot, lambda: isinstance(app.screen, ImportDialog))
        dialog = app.screen
        assert isinstance(dialog, ImportDialog)
        message = dialog.query_one("#message")
        dialog.query_one("#path", Input).value = str(tmp_path / "missing.vcf")
        await pilot.press("enter")
        await until(pilot, lambda: message.has_class("error"))
        assert "Nothing was imported" in str(message.render())  # one line, why
        dialog.query_one("#path", Input).value = str(source)
        dialog.query_one("#tags", Input).value = "imported"
        await pilot.press("enter")  # a vCard: straight to the preview
        await until(pilot, lambda: dialog.query_one("#run").has_focus)
        dialog.query_one("#dry-run", Checkbox).value = False
        await pilot.press("enter")
        await until(pilot, lambda: dialog.report is not None and not dialog.busy)
        result = str(dialog.query_one("#report-text").render())
        assert "created 2, merged 0" in result and "plaintext" in result
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen) and app.screen.complete)
        rows = app.screen.query_one(ContactList).rows
        assert len(rows) == 8 and "Quinn Rahimi" in [r.name for r in rows]
        assert "imported" in screen_text(app)  # the tag panel was rebuilt

        command(app, "Export contacts")
        await until(pilot, lambda: isinstance(app.screen, ExportDialog))
        app.screen.query_one("#format", Select).value = "csv"
        app.screen.query_one("#path", Input).value = str(exported)
        app.screen.query_one("#tags", Input).value = "imported"
        assert "consent" in await run_dialog(pilot, app)  # the box is not ticked
        assert not exported.exists()
        app.screen.query_one("#consent", Checkbox).value = True
        assert "Exported 2 contact(s)" in await run_dialog(pilot, app)

    drive(app, script)
    text = exported.read_text()
    assert "Quinn Rahimi" in text and "Rosa Silva" in text and "Ada Brandt" not in text
    assert exported.stat().st_mode & 0o077 == 0


def test_backup_with_a_generated_passphrase_shows_it_once(tmp_path: Path) -> None:
    app = app_for(make_vault(tmp_path / "v"))
    out = tmp_path / "backups"
    out.mkdir()

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        command(app, "Back up vault")
        await until(pilot, lambda: isinstance(app.screen, BackupDialog))
        app.screen.query_one("#path", Input).value = str(out) + "/"
        result = await run_dialog(pilot, app)
        assert "Backup written" in result and "shown only now" in result

    drive(app, script)
    written = list(out.glob("kith-*.age"))
    assert len(written) == 1
