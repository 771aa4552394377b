"""The import dialog (issue 13): preset, column map, preview, dry run by default, real import.

Driven with keys as an organizer would (`i`, Enter, Tab, arrows), against real vaults; the vault
is counted before and after to prove a dry run writes nothing. Hostile files (a huge cell, a
legacy encoding, a FIFO, an empty sheet) end in one line, and nothing is imported.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Button, ContentSwitcher, Input, Select, Static

from tests.tui.app_helpers import PASSPHRASE, app_for, drive, make_vault, unlock, until
from tui.app import KithApp
from tui.screens.import_dialog import ImportDialog
from tui.screens.main import MainScreen
from tui.widgets import ContactList
from vault.api import Vault
from vault.interchange.import_rows import WORKER_BYTES

GOOGLE = (
    "Name,Given Name,Family Name,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,"
    "Phone 1 - Value,Group Membership\r\n"
    "Quinn Rahimi,Quinn,Rahimi,* Work,quinn@example.org,Mobile,06 11 22 33 44,"
    "volunteers ::: * myContacts\r\n"
    "Rosa Silva,Rosa,Silva,,,Mobile,+44 7700 900123,press\r\n"
    "Ada B.,Ada,B,Home,ADA@example.org,,,\r\n"  # Ada Brandt's email: merged, not added
)
UNKNOWN = (
    "Full name;Mobile #;Courriel;Ward;Notes (private)\n"
    "Zoe Quist;07 00 11 22 33;zoe@example.org;3;likes cats\n"
    "Yann Roux;+33 6 55 44 33 22;;5;\n"
    ";;;7;nobody here\n"
)


def count(vault_dir: Path) -> int:
    with Vault.open(vault_dir, PASSPHRASE) as opened:
        return opened.contacts.count()


def dialog(app: KithApp) -> ImportDialog:
    screen = app.screen
    assert isinstance(screen, ImportDialog)
    return screen


def step(app: KithApp) -> str:
    return dialog(app).query_one(ContentSwitcher).current or ""


def text_of(app: KithApp, selector: str) -> str:
    """What a Static holds, drawn 200 columns wide (a Table is laid out, not cut)."""
    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(dialog(app).query_one(selector, Static).content)
    return console.export_text()


async def open_with(pilot: Pilot[None], app: KithApp, path: Path, tags: str = "") -> None:
    """`i`, type the path (and tags), Enter: wait for the next step or an error."""
    await pilot.press("i")
    await until(pilot, lambda: isinstance(app.screen, ImportDialog))
    box = dialog(app)
    box.query_one("#path", Input).value = str(path)
    box.query_one("#tags", Input).value = tags
    await pilot.press("enter")
    await until(pilot, lambda: not box.busy and (step(app) != "file" or box.query_one(
        "#message").has_class("error")))  # fmt: skip


async def ran(pilot: Pilot[None], app: KithApp) -> str:
    """Wait for the report of a run; its text."""
    box = dialog(app)
    await until(pilot, lambda: step(app) == "report" and not box.busy and box.report is not None)
    return text_of(app, "#report-text")


def test_preset_import_dry_run_first_then_for_real(tmp_path: Path) -> None:
    vault_dir = make_vault(tmp_path / "v")
    source = tmp_path / "google.csv"
    source.write_text(GOOGLE)
    before = count(vault_dir)
    app = app_for(vault_dir)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await open_with(pilot, app, source, tags="spring")
        assert step(app) == "preset"
        assert "Google Contacts CSV" in text_of(app, "#preset-note")
        await pilot.press("enter")  # the detected preset is highlighted
        await until(pilot, lambda: step(app) == "check")
        preview = text_of(app, "#preview-table")
        # As they will be imported: national numbers in E.164 (vault region FR), Google's
        # system group dropped, the dialog's tag added.
        assert "+33 6 11 22 33 44" in preview and "ADA@example.org" in preview
        assert "volunteers, spring" in preview and "myContacts" not in preview
        assert dialog(app).query_one("#dry-run").value is True  # on by default
        await pilot.press("enter")  # Run (focused): a dry run
        report = await ran(pilot, app)
        assert "would create 2, merge 1 into existing contacts" in report
        assert "merged into Ada Brandt" in report and "Nothing was changed" in report
        assert count(vault_dir) == before
        assert dialog(app).query_one("#real", Button).has_focus
        await pilot.press("enter")  # Import now
        await until(pilot, lambda: dialog(app).report is not None
                    and not dialog(app).report.dry_run and not dialog(app).busy)  # fmt: skip
        assert "Imported: created 2, merged 1" in text_of(app, "#report-text")
        assert "destroy it" in text_of(app, "#report-text")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen) and app.screen.complete)
        names = [row.name for row in app.screen.query_one(ContactList).rows]
        assert "Quinn Rahimi" in names and "Rosa Silva" in names and "Ada B." not in names

    drive(app, script)
    assert count(vault_dir) == before + 2


def test_unknown_sheet_column_map_preview_dry_run_then_import(tmp_path: Path) -> None:
    vault_dir = make_vault(tmp_path / "v")
    source = tmp_path / "volunteers.csv"
    source.write_text(UNKNOWN)
    before = count(vault_dir)
    app = app_for(vault_dir)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await open_with(pilot, app, source)
        assert step(app) == "map"  # no preset knows this header: straight to the map
        box = dialog(app)
        await until(pilot, lambda: box.query_one("#col-0", Select).has_focus)
        values = [str(box.query_one(f"#col-{n}", Select).value) for n in range(5)]
        assert values == ["name", "phone:mobile", "skip", "skip", "skip"]  # first guesses
        # Courriel -> email, by keys: open the list, type to jump, Enter.
        await pilot.press("tab", "tab", "enter")
        await pilot.press("down", "down", "down", "down", "down", "enter")
        await until(pilot, lambda: box.query_one("#col-2", Select).value == "email")
        box.query_one("#col-3", Select).value = "field:Ward"
        await pilot.press("ctrl+s")  # Preview
        await until(pilot, lambda: step(app) == "check")
        preview = text_of(app, "#preview-table")
        assert "Zoe Quist" in preview and "zoe@example.org" in preview
        assert "+33 7 00 11 22 33" in preview and "Ward=3" in preview
        assert "likes cats" not in preview  # an ignored column is not read
        assert "line 4: refused: a contact needs a name, an email or a phone" in preview
        await pilot.press("enter")  # dry run
        report = await ran(pilot, app)
        assert "would create 2" in report and "refuse 1" in report
        assert "line 4: refused:" in report
        assert count(vault_dir) == before  # the dry run wrote nothing
        await pilot.press("enter")  # Import now
        await until(pilot, lambda: box.report is not None and not box.report.dry_run
                    and not box.busy)  # fmt: skip

    drive(app, script)
    assert count(vault_dir) == before + 2
    with Vault.open(vault_dir, PASSPHRASE) as opened:
        zoe = next(c for c in opened.contacts.all() if c.name == "Zoe Quist")
        assert [e.value for e in zoe.emails] == ["zoe@example.org"]
        assert zoe.phones[0].value == "+33700112233" and zoe.phones[0].label == "mobile"
        assert dict(zoe.fields) == {"Ward": "3"}


def hostile_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    huge = tmp_path / "huge.csv"
    huge.write_text("name,email\nAda," + "x" * 70_000 + "@example.org\n")
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("name,email\nJosé,jose@example.org\n".encode("latin-1"))
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    empty = tmp_path / "empty.csv"
    empty.write_text("name,email\n\n")
    binary = tmp_path / "sheet.xlsx"
    binary.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    return {
        "huge": (huge, "larger than 64 KiB"),
        "encoding": (latin, "not UTF-8 at line 2"),
        "fifo": (fifo, "not a regular file"),
        "empty": (empty, "no rows"),
        "xlsx": (binary, "ZIP archive"),
        "missing": (tmp_path / "nope.csv", "cannot read the file"),
    }


@pytest.mark.parametrize("case", ["huge", "encoding", "fifo", "empty", "xlsx", "missing"])
def test_hostile_file_gives_one_line_and_imports_nothing(tmp_path: Path, case: str) -> None:
    vault_dir = make_vault(tmp_path / "v")
    path, expected = hostile_files(tmp_path)[case]
    before = count(vault_dir)
    app = app_for(vault_dir)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await open_with(pilot, app, path)
        box = dialog(app)
        if case == "huge":  # the header reads; the huge cell is met in the preview
            await until(pilot, lambda: step(app) == "map")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: not box.busy and box.query_one("#message").has_class(
                "error"))  # fmt: skip
        message = text_of(app, "#message")
        assert expected in message and "\n" not in message.strip()
        assert message.startswith("Nothing was imported")
        assert step(app) in ("file", "map")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

    drive(app, script)
    assert count(vault_dir) == before


def test_nothing_of_the_file_is_written_outside_the_vault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real import through the dialog leaves no file anywhere but the vault's own, even from
    a file large enough to be read in a separate process."""
    vault_dir = make_vault(tmp_path / "v")
    source = tmp_path / "google.csv"
    rows = [f"Person {n},person{n}@example.org,{'note ' * 12_000}" for n in range(20)]
    source.write_text("Name,E-mail 1 - Value,Notes\n" + "\n".join(rows) + "\n")
    assert source.stat().st_size >= WORKER_BYTES
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    vault_files = set(os.listdir(vault_dir))
    outside = set(os.listdir(tmp_path))
    app = app_for(vault_dir)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await open_with(pilot, app, source)
        await pilot.press("enter")
        await until(pilot, lambda: step(app) == "check")
        dialog(app).query_one("#dry-run").value = False
        await pilot.press("enter")
        await until(pilot, lambda: dialog(app).report is not None and not dialog(app).busy)
        assert "Imported: created 20" in text_of(app, "#report-text")

    drive(app, script)
    assert os.listdir(scratch) == []
    assert set(os.listdir(tmp_path)) == outside
    assert set(os.listdir(vault_dir)) <= vault_files | {"vault.db-journal"}
