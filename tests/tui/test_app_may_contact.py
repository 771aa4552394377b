"""Who may I contact: everyone asked about is accounted for, with the vault's reason."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.tui.app_helpers import PASSPHRASE, app_for, drive, screen_text, unlock, until
from tests.tui.workspace_helpers import DAY, make_organizing_vault
from tui.app import KithApp
from tui.screens.main import MainScreen
from tui.screens.may_contact import WhoMayScreen
from tui.widgets import ContactList
from vault.api import Vault
from vault.domain.interactions import make_draft
from vault.domain.model import Phone
from vault.domain.preferences import PreferenceChange


def text_of(screen: WhoMayScreen, selector: str) -> str:
    console = Console(width=120, file=StringIO(), color_system=None)
    with console.capture() as capture:
        console.print(screen.query_one(selector, Static).content)
    return capture.get()


async def ask(pilot: Pilot[None], app: KithApp, channel: str, kind: str) -> WhoMayScreen:
    screen = app.screen
    assert isinstance(screen, WhoMayScreen)
    screen.result = None
    screen.query_one("#channel", Input).value = channel
    screen.query_one("#kind", Input).value = kind
    screen.query_one("#kind", Input).focus()
    await pilot.press("enter")
    return screen


def test_everyone_shown_is_accounted_for_with_a_reason(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    ids = make_organizing_vault(folder, interactions=0)
    last_call = int(time.time()) - DAY
    with Vault.open(folder, PASSPHRASE) as vault:
        efua = bytes.fromhex(ids["Efua Fontaine"])
        change = PreferenceChange(allow=("sms",), max_frequency="weekly", consent_source="door")
        vault.preferences.change(efua, change, now=last_call)
        draft = replace(vault.contacts.get_by_id(efua).draft(), phones=(Phone("+33611111111"),))
        vault.contacts.update(efua, draft)
        vault.interactions.log(efua, make_draft("sms", last_call, summary="reminder"))
    lifts = datetime.fromtimestamp(last_call + 7 * DAY, UTC).strftime("%Y-%m-%d")

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await pilot.press("w")
        await until(pilot, lambda: isinstance(app.screen, WhoMayScreen))
        screen = await ask(pilot, app, "email", "news")
        await until(pilot, lambda: screen.result is not None)
        assert "Asking about the 7 shown" in screen_text(app)
        may, maynot = text_of(screen, "#may"), text_of(screen, "#maynot")
        assert "Ada Brandt" in may and "ada@example.org" in may
        assert "Dana Refuser" in maynot and "do-not-contact" in maynot
        assert "Bram Castell" in maynot and "no consent recorded (opt-in)" in maynot
        assert "1 may, 6 may not, of 7" in str(screen.query_one("#status", Static).content)
        screen = await ask(pilot, app, "sms", "events")
        await until(pilot, lambda: screen.result is not None)
        maynot = text_of(screen, "#maynot")
        assert f"frequency limit (weekly) reached until {lifts}" in maynot
        assert "Ada Brandt" in text_of(screen, "#may")  # sms:events allowed, limit not reached
        screen = await ask(pilot, app, "carrier-pigeon", "news")
        await until(pilot, lambda: "channel" in str(screen.query_one("#status", Static).content))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

    drive(app_for(folder), script, size=(120, 40))


def test_only_the_marked_are_asked_about(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    make_organizing_vault(folder, interactions=0)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        contacts = app.screen.query_one(ContactList)
        contacts.move_cursor([r.name for r in contacts.rows].index("Dana Refuser"))
        await pilot.press("space", "w")
        await until(pilot, lambda: isinstance(app.screen, WhoMayScreen))
        screen = await ask(pilot, app, "phone", "events")
        await until(pilot, lambda: screen.result is not None)
        assert "Asking about the 1 marked" in screen_text(app)
        assert "0 may, 1 may not, of 1" in str(screen.query_one("#status", Static).content)

    drive(app_for(folder), script)
