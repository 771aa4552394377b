"""Daily work in the app: add, edit, search, filter by tag, sort, delete, hostile contacts.

Pilot tests (`App.run_test()`), one user story each, on cheap vaults of invented contacts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tests.tui.app_helpers import (
    HOSTILE,
    PASSPHRASE,
    PEOPLE,
    app_for,
    drive,
    make_vault,
    screen_text,
    type_text,
    unlock,
    until,
)
from tui.app import KithApp
from tui.screens.confirm import DeleteScreen
from tui.screens.detail import DetailScreen
from tui.screens.edit import EditScreen
from tui.screens.main import MainScreen
from tui.widgets import ContactList
from vault.api import Vault
from vault.domain.model import ContactDraft, Phone


def names(app: KithApp) -> list[str]:
    return [row.name for row in app.screen.query_one(ContactList).rows]


def stored(folder: Path) -> list[ContactDraft]:
    with Vault.open(folder, PASSPHRASE) as vault:
        return sorted(vault.contacts.all(), key=lambda c: c.name)


async def on_screen(pilot: Pilot[None], app: KithApp, kind: type) -> None:
    await until(pilot, lambda: isinstance(app.screen, kind))


def fill(app: KithApp, **values: str) -> None:
    """Put text in edit-form fields, as if typed."""
    for field, text in values.items():
        widget = app.screen.query_one(f"#{field}")
        if isinstance(widget, TextArea):
            widget.text = text
        else:
            assert isinstance(widget, Input)
            widget.value = text


# -- add and edit -------------------------------------------------------------------------------


def test_add_a_contact(tmp_path: Path) -> None:
    folder = make_vault(tmp_path / "v")
    app = app_for(folder)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await pilot.press("n")
        await on_screen(pilot, app, EditScreen)
        assert app.screen.query_one("#name", Input).has_focus
        fill(app, name="Zoe Quist", emails="work: zoe@example.org", phones="06 98 76 54 32",
             tags="press\nlegal", addresses="home: 3 Harbour Row; Leeds;; LS1 4AB; GB",
             notes="two\nlines")  # fmt: skip
        await pilot.press("ctrl+s")
        await on_screen(pilot, app, MainScreen)
        await until(pilot, lambda: "Zoe Quist" in names(app))
        assert app.screen.query_one(ContactList).highlighted_row.name == "Zoe Quist"  # type: ignore[union-attr]

    drive(app, script)
    zoe = next(c for c in stored(folder) if c.name == "Zoe Quist")
    assert zoe.emails[0].value == "zoe@example.org" and zoe.emails[0].label == "work"
    assert zoe.phones == (Phone("+33698765432"),)  # region FR, normalized to E.164
    assert zoe.tags == ("press", "legal")
    assert zoe.addresses[0].locality == "Leeds" and zoe.addresses[0].postal_code == "LS1 4AB"
    assert zoe.notes == "two\nlines"


def test_edit_a_contact_from_its_detail_screen(tmp_path: Path) -> None:
    folder = make_vault(tmp_path / "v")
    app = app_for(folder)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await pilot.press("enter")  # Ada Brandt, first by name
        await on_screen(pilot, app, DetailScreen)
        text = screen_text(app)
        for shown in ("Ada Brandt", "work: ada@example.org",
                      "mobile: +33 6 12 34 56 78  (+33612345678)",
                      "12 rue Haute, 69001 Lyon, FR", "Organizer", "fr, en", "shirt = M",
                      "Met at the spring assembly."):  # fmt: skip
            assert shown in text
        await pilot.press("e")
        await on_screen(pilot, app, EditScreen)
        fill(app, org="Allotment Society")
        await pilot.press("ctrl+s")
        await on_screen(pilot, app, DetailScreen)
        assert "Allotment Society" in screen_text(app)
        await pilot.press("escape")
        await on_screen(pilot, app, MainScreen)
        first = lambda: app.screen.query_one(ContactList).rows[0]  # noqa: E731
        await until(pilot, lambda: first().org == "Allotment Society")

    drive(app, script)
    ada = stored(folder)[0]
    assert ada.org == "Allotment Society" and ada.emails == PEOPLE[0].emails


def test_invalid_input_is_shown_under_its_field_and_nothing_is_saved(tmp_path: Path) -> None:
    folder = make_vault(tmp_path / "v")
    app = app_for(folder)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await pilot.press("n")
        await on_screen(pilot, app, EditScreen)
        await pilot.press("ctrl+s")
        assert "needs a name, an email or a phone" in screen_text(app)
        fill(app, name="Noor", emails="noor@example.org\nnot an address")
        await pilot.press("ctrl+s")
        error = app.screen.query_one("#emails-error")
        assert "email 2 is not a valid address" in str(error.render())
        assert app.screen.query_one("#emails").has_focus
        assert "Not saved" in screen_text(app)
        assert "not an address" not in str(error.render())  # messages never repeat values
        fill(app, emails="noor@example.org", phones="12")
        await pilot.press("ctrl+s")
        error = app.screen.query_one("#phones-error")
        assert "phone 1 is not a valid number" in str(error.render())
        await pilot.press("escape")  # cancel
        await on_screen(pilot, app, MainScreen)

    drive(app, script)
    assert len(stored(folder)) == len(PEOPLE)


def test_fields_left_alone_keep_their_stored_values(tmp_path: Path) -> None:
    imported = ContactDraft(
        name="Kemal\x1b[31m Kask", phones=(Phone("0800 not a number", "work", valid=False),)
    )
    folder = make_vault(tmp_path / "v", [imported, HOSTILE])
    app = app_for(folder)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        for _ in range(2):
            await pilot.press("e")
            await on_screen(pilot, app, EditScreen)
            fill(app, role="Steward")
            await pilot.press("ctrl+s")
            await on_screen(pilot, app, MainScreen)
            await pilot.press("down")

    drive(app, script)
    kemal, hostile = stored(folder)
    assert kemal.name == "Kemal\x1b[31m Kask" and kemal.role == "Steward"
    assert kemal.phones == imported.phones  # kept as typed by the import, never re-parsed
    assert hostile.org == HOSTILE.org and hostile.notes == HOSTILE.notes
    assert hostile.tags == HOSTILE.tags and hostile.role == "Steward"


# -- find ---------------------------------------------------------------------------------------


def test_filter_as_you_type_and_escape_to_clear(tmp_path: Path) -> None:
    app = app_for(make_vault(tmp_path / "v"))

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await pilot.press("slash")
        await type_text(pilot, "chi")
        await until(pilot, lambda: names(app) == ["Chiara Dumont"])
        assert "1 of 6 contacts" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: len(names(app)) == 6)
        await pilot.press("slash")
        await type_text(pilot, "5551")  # a phone number, by its digits
        await until(pilot, lambda: names(app) == ["Dmitri Eze"])

    drive(app, script)


def test_filter_by_tag_from_the_side_panel(tmp_path: Path) -> None:
    app = app_for(make_vault(tmp_path / "v"))

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        text = screen_text(app)
        assert "volunteer" in text and "All contacts" in text
        await pilot.press("t")  # the panel: All, board, driver, legal, press, volunteer
        await pilot.press("end", "enter")
        await until(pilot, lambda: len(names(app)) == 3)
        assert names(app) == ["Ada Brandt", "Chiara Dumont", "Efua Fontaine"]
        assert "tag: volunteer" in screen_text(app)
        assert app.screen.query_one(ContactList).has_focus
        await pilot.press("slash")
        await type_text(pilot, "ef")  # filter within the tag
        await until(pilot, lambda: names(app) == ["Efua Fontaine"])
        await pilot.press("escape", "escape")  # clear the filter, then the tag
        await until(pilot, lambda: len(names(app)) == 6)

    drive(app, script)


def test_sort_by_last_update(tmp_path: Path) -> None:
    app = app_for(make_vault(tmp_path / "v", fixed_time=True))

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await pilot.press("end", "e")  # edit Farid Gallo, last by name
        await on_screen(pilot, app, EditScreen)
        fill(app, role="Treasurer")
        await pilot.press("ctrl+s")
        await on_screen(pilot, app, MainScreen)
        await pilot.press("s")
        await until(pilot, lambda: names(app)[0] == "Farid Gallo")
        assert "by last update" in screen_text(app)
        await pilot.press("s")
        await until(pilot, lambda: names(app)[0] == "Ada Brandt")

    drive(app, script)


def test_views_of_large_vaults_are_computed_off_the_ui_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MainScreen, "SYNC_LIMIT", 0)  # take the worker path with 6 contacts
    app = app_for(make_vault(tmp_path / "v"))

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await pilot.press("slash")
        await type_text(pilot, "dum")
        await until(pilot, lambda: names(app) == ["Chiara Dumont"])
        await pilot.press("escape", "s")
        await until(pilot, lambda: len(names(app)) == 6)

    drive(app, script)


# -- delete -------------------------------------------------------------------------------------


def test_delete_asks_first_and_explains_it_is_permanent(tmp_path: Path) -> None:
    folder = make_vault(tmp_path / "v")
    app = app_for(folder)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await pilot.press("d")
        await on_screen(pilot, app, DeleteScreen)
        text = " ".join(screen_text(app).split())
        assert "Delete Ada Brandt?" in text and "the contact's key is destroyed" in text
        await pilot.press("enter")  # Cancel has the focus: a stray Enter deletes nothing
        await on_screen(pilot, app, MainScreen)
        assert len(names(app)) == 6
        await pilot.press("down", "enter")  # open Bram, delete from the detail screen
        await on_screen(pilot, app, DetailScreen)
        await pilot.press("d")
        await on_screen(pilot, app, DeleteScreen)
        await pilot.press("y")
        await on_screen(pilot, app, MainScreen)
        await until(pilot, lambda: len(names(app)) == 5)
        assert "Bram Castell" not in names(app)
        assert any("key is destroyed" in n.message for n in app._notifications)

    drive(app, script)
    assert [c.name for c in stored(folder)] == [p.name for p in PEOPLE if p.name != "Bram Castell"]


# -- safe rendering -----------------------------------------------------------------------------


def test_markup_and_escape_sequences_in_a_contact_show_literally(tmp_path: Path) -> None:
    app = app_for(make_vault(tmp_path / "v", [HOSTILE, *PEOPLE[:2]]))

    def harmless(text: str) -> None:
        assert "\x1b" not in text and "\x07" not in text

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        text = screen_text(app)
        harmless(text)
        assert "[bold red]x" in text and "Evil]0;own" in text and "[link=https:" in text
        await pilot.press("enter")
        await on_screen(pilot, app, DetailScreen)
        text = screen_text(app)
        harmless(text)
        assert "[bold red]x" in text and "second[2J line" in text
        assert "Evil]0;ownedCorp" in text and "[link=https://example.org]tag" in text
        await pilot.press("e")
        await on_screen(pilot, app, EditScreen)
        harmless(screen_text(app))
        assert app.screen.query_one("#name", Input).value == "[bold red]x"

    drive(app, script)


def test_no_color_keeps_every_screen_usable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for(make_vault(tmp_path / "v"))

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        assert app.no_color
        await unlock(pilot, app)
        contacts = app.screen.query_one(ContactList)
        assert next(iter(contacts.render_line(1))).style.reverse  # type: ignore[union-attr]
        await pilot.press("n", "ctrl+s")  # an empty form: the error must still stand out
        error = app.screen.query_one("#name-error")
        assert error.rich_style.bold and error.rich_style.reverse

    drive(app, script)
