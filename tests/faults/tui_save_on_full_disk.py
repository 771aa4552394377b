"""The TUI saving a contact on a full disk (run by test_disk_full.py inside ``small_disk.py``).

    python tests/faults/tui_save_on_full_disk.py VAULT_DIR PASSPHRASE

Opens the real app headless on the vault, edits the first contact's notes (a value large enough
not to fit in the little room left), saves, and prints JSON: which screen is shown after the
save, the message under the form, and whether the typed notes are still in the form.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static, TextArea

from tests.tui.app_helpers import app_for, drive, unlock, until
from tui.app import KithApp
from tui.screens.detail import DetailScreen
from tui.screens.edit import EditScreen

NOTES = "typed by hand, line after line\n" * 1_500  # 48 KB: under the 64 KiB limit


def main() -> None:
    folder, passphrase = Path(sys.argv[1]), sys.argv[2]
    app = app_for(folder)
    report: dict[str, object] = {}

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app, passphrase)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, EditScreen))
        app.screen.query_one("#notes", TextArea).text = NOTES
        error = app.screen.query_one("#name-error", Static)
        notes = app.screen.query_one("#notes", TextArea)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: str(error.render()) != "" or not isinstance(
            app.screen, EditScreen))  # fmt: skip
        report["screen"] = type(app.screen).__name__
        report["message"] = str(error.render())
        report["kept"] = notes.text == NOTES
        report["running"] = app.is_running

    drive(app, script)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
