"""Segments from the TUI: mark contacts (space, * for all shown), add or remove them, create,
rename, delete with the CLI's confirmation, and show a segment's contacts in the list.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.tui.app_helpers import PASSPHRASE, app_for, drive, type_text, unlock, until
from tests.tui.workspace_helpers import make_organizing_vault
from tui.app import KithApp
from tui.screens.main import MainScreen
from tui.screens.segments import NameDialog, SegmentDeleteDialog, SegmentsScreen
from tui.widgets import ContactList
from vault.api import Vault


def members(folder: Path) -> dict[str, list[str]]:
    with Vault.open(folder, PASSPHRASE) as vault:
        out = {}
        for segment in vault.segments.all():
            people = [vault.contacts.get_by_id(c).name for c in vault.segments.contact_ids(segment)]
            out[segment.name] = sorted(people)
        return out


def names(app: KithApp) -> list[str]:
    return [row.name for row in app.screen.query_one(ContactList).rows]


def said(app: KithApp) -> str:
    return str(app.screen.query_one("#message", Static).content)


def setup(folder: Path) -> None:
    make_organizing_vault(folder, interactions=0)
    with Vault.open(folder, PASSPHRASE) as vault:
        vault.segments.create("canvass team")


async def open_segments(pilot: Pilot[None], app: KithApp) -> SegmentsScreen:
    await pilot.press("g")
    await until(pilot, lambda: isinstance(app.screen, SegmentsScreen))
    assert isinstance(app.screen, SegmentsScreen)
    return app.screen


def test_mark_three_and_add_them_to_a_segment(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    setup(folder)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await pilot.press("space", "space", "space")  # Ada, Bram, Chiara
        main = app.screen
        assert isinstance(main, MainScreen)
        assert len(main.marked) == 3 and "3 marked" in str(
            main.query_one("#status", Static).content
        )
        assert app.screen.query_one(ContactList).cursor == 3
        panel = await open_segments(pilot, app)
        assert "3 contacts chosen" in str(panel.query_one("#heading", Static).content)
        await pilot.press("a")
        await until(pilot, lambda: "3 contact(s) added to canvass team" in said(app))
        await pilot.press("r")
        await until(pilot, lambda: "3 contact(s) removed from canvass team" in said(app))
        await pilot.press("a")
        await until(pilot, lambda: "added to" in said(app))
        await pilot.press("enter")  # show the segment's contacts in the list
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await until(pilot, lambda: names(app) == ["Ada Brandt", "Bram Castell", "Chiara Dumont"])

    drive(app_for(folder), script)
    assert members(folder)["canvass team"] == ["Ada Brandt", "Bram Castell", "Chiara Dumont"]


def test_mark_all_filtered_and_unmark(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    setup(folder)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        main = app.screen
        assert isinstance(main, MainScreen)
        await pilot.press("slash")
        await type_text(pilot, "tag:press")
        await until(pilot, lambda: names(app) == ["Chiara Dumont", "Dana Refuser"])
        await pilot.press("enter", "asterisk")
        assert len(main.marked) == 2
        await pilot.press("u")
        assert not main.marked
        await pilot.press("asterisk")
        await open_segments(pilot, app)
        await pilot.press("a")
        await until(pilot, lambda: "2 contact(s) added" in said(app))

    drive(app_for(folder), script)
    assert members(folder)["canvass team"] == ["Chiara Dumont", "Dana Refuser"]


def test_create_rename_and_delete_a_segment(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    setup(folder)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await pilot.press("space")  # Ada
        panel = await open_segments(pilot, app)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NameDialog))
        await type_text(pilot, "door knockers")
        await pilot.press("enter")
        await until(pilot, lambda: "created segment door knockers" in said(app))
        assert panel.current is not None and panel.current.name == "door knockers"
        await pilot.press("a")
        await until(pilot, lambda: "added to" in said(app))
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, NameDialog))
        app.screen.query_one("#name", Input).value = "canvass team"  # taken: refused
        await pilot.press("enter")
        await until(pilot, lambda: "already exists" in said(app))
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, NameDialog))
        app.screen.query_one("#name", Input).value = "knockers"
        await pilot.press("enter")
        await until(pilot, lambda: "renamed to knockers" in said(app))
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, SegmentDeleteDialog))
        question = str(app.screen.query_one(Static).content)
        assert (
            "Delete segment 'knockers'? Its key is destroyed; 2 record(s) stay" in question
        )  # Ada and her target record
        await pilot.press("enter")  # Cancel has the focus: nothing happens
        await until(pilot, lambda: app.screen is panel)
        assert "knockers" in [s.name for s in panel.segments]
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, SegmentDeleteDialog))
        await pilot.press("y")
        await until(pilot, lambda: "deleted segment knockers (2 kept, 0 shredded)" in said(app))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

    drive(app_for(folder), script)
    assert set(members(folder)) == {"canvass team"}
    with Vault.open(folder, PASSPHRASE) as vault:
        assert len(list(vault.contacts.all())) == 7  # the contact stays (private segment)
