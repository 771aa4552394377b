"""The filter box accepts the CLI's search language and saved searches, and the list shows
exactly what `kith search` would: the same vault call decides.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from tests.tui.app_helpers import PASSPHRASE, app_for, drive, screen_text, type_text, unlock, until
from tests.tui.workspace_helpers import make_organizing_vault
from tui.app import KithApp
from tui.screens.main import MainScreen
from tui.screens.search_language import is_structured
from tui.widgets import ContactList
from vault.api import Vault


def names(app: KithApp) -> list[str]:
    return [row.name for row in app.screen.query_one(ContactList).rows]


def status(app: KithApp) -> str:
    return str(app.screen.query_one("#status", Static).content)


async def filter_by(pilot: Pilot[None], app: KithApp, query: str) -> None:
    await pilot.press("slash")
    await type_text(pilot, query)
    screen = app.screen
    assert isinstance(screen, MainScreen)
    await until(pilot, lambda: screen.view.query == query or "not applied" in status(app))


def cli_search(folder: Path, query: str) -> list[str]:
    with Vault.open(folder, PASSPHRASE) as vault:
        found = set(vault.saved_searches.evaluate(query))
        return sorted(c.name for c in vault.contacts.all() if c.id in found)


def test_plain_words_stay_plain_and_terms_are_structured() -> None:
    assert not is_structured("ada") and not is_structured("ada 12:30") and not is_structured("")
    assert is_structured("tag:press") and is_structured("-ada") and is_structured("saved:x")
    assert is_structured('signed:"unclosed')  # malformed: the vault's parser will say why


def test_terms_filter_as_the_cli_does(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    make_organizing_vault(folder, interactions=3)
    query = "tag:press -has:dnc"

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await filter_by(pilot, app, query)
        assert names(app) == ["Chiara Dumont"]  # Dana has the tag but asked not to be contacted
        assert "1 of 7 contacts" in status(app)
        await pilot.press("escape", "escape")
        await until(pilot, lambda: len(names(app)) == 7)

    drive(app_for(folder), script)
    assert cli_search(folder, query) == ["Chiara Dumont"]


def test_activity_and_consent_terms(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    make_organizing_vault(folder, interactions=3)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await filter_by(pilot, app, "allows:sms:events donated:ever")
        assert names(app) == ["Ada Brandt"]

    drive(app_for(folder), script)


def test_a_saved_search_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    make_organizing_vault(folder, interactions=0)
    with Vault.open(folder, PASSPHRASE) as vault:
        vault.saved_searches.save("press list", "tag:press")

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await filter_by(pilot, app, "saved:press list")
        assert names(app) == ["Chiara Dumont", "Dana Refuser"]
        await pilot.press("escape", "escape")
        await until(pilot, lambda: len(names(app)) == 7)
        palette = {c.title: c for c in app.get_system_commands(app.screen)}
        palette["Saved search: press list"].callback()
        await until(pilot, lambda: names(app) == ["Chiara Dumont", "Dana Refuser"])

    drive(app_for(folder), script)


def test_a_bad_query_says_why_and_changes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    make_organizing_vault(folder, interactions=0)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await filter_by(pilot, app, "colour:red")
        assert "Filter not applied" in status(app) and "term 1" in status(app)
        assert "red" not in status(app)  # the vault's error never repeats the query
        assert len(names(app)) == 7
        assert "colour" not in screen_text(app).splitlines()[-2]

    drive(app_for(folder), script)


def test_no_match_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    make_organizing_vault(folder, interactions=0)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await filter_by(pilot, app, "city:Nowhere")
        assert names(app) == []
        assert 'No contacts match "city:Nowhere".' in screen_text(app)

    drive(app_for(folder), script)
