"""Snapshot tests of the import dialog at 80x24 and 120x40: the preset step (a Google CSV), the
column map (a sheet no preset knows) and the preview of the first rows as they will be imported.

Deterministic as the workspace snapshots are (fixed times, counter ids, relative paths; the
files are written in the test's own folder and named relatively). Regenerate with
`--snapshot-update` and look at every changed picture before committing it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import ContentSwitcher, Input, Select

from tests.tui.app_helpers import app_for, until
from tests.tui.test_app_workspace_snapshots import SIZES, org_vault, story
from tests.tui.test_import_dialog import GOOGLE, UNKNOWN
from tui.app import KithApp

__all__ = ["org_vault"]  # the fixture, shared with the workspace snapshots


def opened(name: str, text: str) -> Any:
    """A step: write `text` to `name` (relative), `i`, the path, Enter; wait for the next step."""

    async def step(pilot: Pilot[None], app: KithApp) -> None:
        Path(name).write_text(text)
        await pilot.press("i")
        await until(pilot, lambda: type(app.screen).__name__ == "ImportDialog")
        app.screen.query_one("#path", Input).value = name
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.query_one(ContentSwitcher).current != "file")
        await until(pilot, lambda: app.screen.focused is not None
                    and not isinstance(app.screen.focused, Input))  # fmt: skip

    return step


async def previewed(pilot: Pilot[None], app: KithApp) -> None:
    """From the column map: Courriel is an email, Ward a custom field; Ctrl+S to preview."""
    app.screen.query_one("#col-2", Select).value = "email"
    app.screen.query_one("#col-3", Select).value = "field:Ward"
    await pilot.press("ctrl+s")
    await until(pilot, lambda: app.screen.query_one(ContentSwitcher).current == "check")


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_import_preset_step(snap_compare: Any, org_vault: Path, size: tuple[int, int]) -> None:
    run_before = story(opened("google.csv", GOOGLE))
    assert snap_compare(app_for(org_vault), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_import_column_map(snap_compare: Any, org_vault: Path, size: tuple[int, int]) -> None:
    run_before = story(opened("volunteers.csv", UNKNOWN))
    assert snap_compare(app_for(org_vault), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_import_preview(snap_compare: Any, org_vault: Path, size: tuple[int, int]) -> None:
    run_before = story(opened("volunteers.csv", UNKNOWN), previewed)
    assert snap_compare(app_for(org_vault), terminal_size=size, run_before=run_before)
