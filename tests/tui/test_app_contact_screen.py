"""The contact screen as an organizer uses it: may this person be contacted (first, always),
consent with provenance, relationships, stance, events, the paged history; logging a call or a
donation in a few keys.

Pilot tests on a cheap vault of invented people (tests/tui/workspace_helpers.py). They wait on
app state, never on time.
"""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.tui.app_helpers import PASSPHRASE, app_for, drive, screen_text, type_text, unlock, until
from tests.tui.workspace_helpers import make_organizing_vault
from tui.app import KithApp
from tui.screens.detail import DetailScreen
from tui.screens.log_interaction import LogScreen, complete_kind
from tui.screens.main import MainScreen
from tui.widgets import ContactList
from vault.api import Vault


async def open_contact(pilot: Pilot[None], app: KithApp, name: str) -> DetailScreen:
    """From the list, highlight `name` and press Enter; wait for the contact screen."""
    assert isinstance(app.screen, MainScreen)
    contacts = app.screen.query_one(ContactList)
    index = [row.name for row in contacts.rows].index(name)
    contacts.move_cursor(index)
    await pilot.press("enter")
    await until(
        pilot, lambda: isinstance(app.screen, DetailScreen) and app.screen.profile is not None
    )
    assert isinstance(app.screen, DetailScreen)
    return app.screen


def rendered(screen: DetailScreen, selector: str) -> str:
    """The text of one Static of the screen, as a 120-column terminal would show it."""
    console = Console(width=120, file=io.StringIO(), color_system=None)
    with console.capture() as capture:
        console.print(screen.query_one(selector, Static).content)
    return capture.get()


def lines(app: KithApp) -> list[str]:
    return screen_text(app).splitlines()


def history(folder: Path, contact_id: str) -> list[tuple[str, str, str]]:
    with Vault.open(folder, PASSPHRASE) as vault:
        found = vault.interactions.history(bytes.fromhex(contact_id))
        return [(i.kind, i.summary, f"{i.amount} {i.currency}".strip()) for i in found]


def test_do_not_contact_is_the_first_thing_shown(tmp_path: Path) -> None:
    ids = make_organizing_vault(tmp_path / "v", interactions=0)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await open_contact(pilot, app, "Dana Refuser")
        shown = lines(app)
        assert "Dana Refuser" in shown[1] and ids["Dana Refuser"][:12] in shown[1]
        assert "DO NOT CONTACT" in shown[2]
        # Still there after scrolling the card to its end: it is outside the scrolled part.
        await pilot.press("end", "j", "j")
        assert "DO NOT CONTACT" in lines(app)[2]
        await pilot.press("escape")
        await open_contact(pilot, app, "Farid Gallo")
        assert "NO CONSENT RECORDED" in lines(app)[2]

    drive(app_for(tmp_path / "v"), script)


def test_consent_per_channel_with_provenance_and_organizing(tmp_path: Path) -> None:
    ids = make_organizing_vault(tmp_path / "v", interactions=3)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        screen = await open_contact(pilot, app, "Ada Brandt")
        top = "\n".join(lines(app)[1:6])
        assert "DO NOT CONTACT" not in top and "NO CONSENT" not in top
        # email allowed for every kind but fundraising (the most specific rule wins)
        assert "Consent: email news,alerts,events; sms events" in top
        assert "at most one message weekly" in top
        assert "sign-up form, by Bram" in top
        text = rendered(screen, "#organizing")
        assert "recruited by Bram Castell" in text and ids["Bram Castell"][:12] in text
        assert "supporter (City council)" in text
        assert "Spring assembly" in text
        assert "deny email:fundraising" in text and "agreed to: Keep me posted" in text

    drive(app_for(tmp_path / "v"), script, size=(120, 40))


def test_history_is_newest_first_and_paged(tmp_path: Path) -> None:
    make_organizing_vault(tmp_path / "v", interactions=23)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        screen = await open_contact(pilot, app, "Ada Brandt")

        def page_text() -> str:
            return rendered(screen, "#history-title") + rendered(screen, "#history")

        first = page_text()
        assert "25 interactions, newest first (page 1 of 3)" in first
        assert first.index("asked about the assembly") < first.index("talk 23")
        assert "talk 15" in first and "talk 14" not in first
        await pilot.press("right_square_bracket")
        assert "page 2 of 3" in page_text() and "talk 14" in page_text()
        await pilot.press("right_square_bracket", "right_square_bracket")  # stops at the end
        assert "page 3 of 3" in page_text() and "event-attended" in page_text()
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        assert "page 1 of 3" in page_text()

    drive(app_for(tmp_path / "v"), script, size=(120, 40))


def test_log_a_call_in_three_keys(tmp_path: Path) -> None:
    ids = make_organizing_vault(tmp_path / "v", interactions=0)
    folder = tmp_path / "v"

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        screen = await open_contact(pilot, app, "Bram Castell")
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LogScreen))
        await pilot.press("enter")  # kind "call", now, nothing else
        await until(pilot, lambda: app.screen is screen)
        await until(pilot, lambda: "1 interaction," in rendered(screen, "#history-title"))
        assert "call" in rendered(screen, "#history")

    drive(app_for(folder), script)
    assert history(folder, ids["Bram Castell"]) == [("call", "", "")]


def test_log_a_donation_needs_amount_and_currency(tmp_path: Path) -> None:
    ids = make_organizing_vault(tmp_path / "v", interactions=0)
    folder = tmp_path / "v"

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await open_contact(pilot, app, "Bram Castell")
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LogScreen))
        log = app.screen
        await pilot.press("d")  # replaces the selected "call": donation
        await until(pilot, lambda: log.has_class("-donation"))
        assert log.query_one("#amount", Input).display
        await pilot.press("tab", "tab", "tab")
        await type_text(pilot, "street stall")
        await pilot.press("enter")
        assert isinstance(app.screen, LogScreen)  # refused: nothing written
        assert "amount and a currency" in str(log.query_one("#message", Static).content)
        log.query_one("#amount", Input).value = "12.50"
        log.query_one("#currency", Input).value = "eur"
        log.query_one("#when", Input).value = "2026-13-01"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, LogScreen)  # a bad date is refused too
        log.query_one("#when", Input).value = "2026-03-01T10:30"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))

    drive(app_for(folder), script)
    assert history(folder, ids["Bram Castell"]) == [("donation", "street stall", "12.50 EUR")]


def test_escape_cancels_logging(tmp_path: Path) -> None:
    ids = make_organizing_vault(tmp_path / "v", interactions=0)
    folder = tmp_path / "v"

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await open_contact(pilot, app, "Bram Castell")
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LogScreen))
        await type_text(pilot, "meeting")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))

    drive(app_for(folder), script)
    assert history(folder, ids["Bram Castell"]) == []


def test_a_kind_can_be_typed_by_its_start() -> None:
    assert complete_kind("d") == "donation"
    assert complete_kind("ca") == "call"
    assert complete_kind("Meeting") == "meeting"
    assert complete_kind("c") == "c"  # call, custom: ambiguous, left to the vault to refuse
    assert complete_kind("email") == "email"  # email-sent, email-received
