"""Events from the TUI: create, sign up and check in the marked contacts, and door mode, where
each person is matched or created, signed up, checked in, their consent recorded with its
source, and the form cleared so nothing of them stays on screen.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.tui.app_helpers import (
    PASSPHRASE,
    app_for,
    drive,
    screen_text,
    type_text,
    unlock,
    until,
)
from tests.tui.workspace_helpers import make_organizing_vault
from tui.app import KithApp
from tui.screens.door import DoorScreen
from tui.screens.events import EventDialog, EventsScreen
from tui.screens.main import MainScreen
from vault.api import Vault


def said(app: KithApp) -> str:
    return str(app.screen.query_one("#message", Static).content)


async def open_events(pilot: Pilot[None], app: KithApp) -> EventsScreen:
    await pilot.press("v")
    await until(pilot, lambda: isinstance(app.screen, EventsScreen))
    assert isinstance(app.screen, EventsScreen)
    return app.screen


def test_create_an_event_and_sign_up_the_marked(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    ids = make_organizing_vault(folder, interactions=0)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await pilot.press("down", "space", "space")  # Bram, Chiara
        screen = await open_events(pilot, app)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, EventDialog))
        await type_text(pilot, "Bike ride")
        await pilot.press("tab")
        await type_text(pilot, "2031-02-30")  # no such day: the vault says so
        await pilot.press("enter")
        await until(pilot, lambda: "date" in said(app).lower())
        app.screen.query_one("#starts", Input).value = "2031-03-01T10:00"
        app.screen.query_one("#capacity", Input).value = "1"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen and "created event" in said(app))
        assert screen.current is not None and screen.current.name == "Bike ride"
        await pilot.press("s")  # two people, capacity one: refused whole
        await until(pilot, lambda: "full" in said(app).lower())
        await pilot.press("c")  # checking in is not limited by capacity
        await until(pilot, lambda: "2 checked in, 0 already" in said(app))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

    drive(app_for(folder), script)
    with Vault.open(folder, PASSPHRASE) as vault:
        ride = next(e for e in vault.events.all() if e.name == "Bike ride")
        assert set(ride.attended) == {ids["Bram Castell"], ids["Chiara Dumont"]}
        assert ride.signups == ()


def test_door_mode_matches_creates_records_consent_and_forgets(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    ids = make_organizing_vault(folder, interactions=0)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await open_events(pilot, app)
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, DoorScreen) and app.screen.matcher)
        door = app.screen
        await type_text(pilot, "Zoe Quist")
        await pilot.press("enter")
        await type_text(pilot, "zoe@example.org")
        await pilot.press("tab", "space", "enter")  # tick consent, sign up
        await until(pilot, lambda: "Next person" in said(app))
        assert "a new contact, consent recorded" in said(app)
        text = screen_text(app)
        assert "Zoe" not in text and "zoe@" not in text  # nothing of the last person stays
        assert all(not field.value for field in door.query(Input))
        assert door.query_one("#name", Input).has_focus
        # Bram, known by his email: matched, not duplicated; no consent asked this time
        await type_text(pilot, "B. Castell")
        await pilot.press("enter")
        await type_text(pilot, "bram@example.net")
        await pilot.press("enter")
        await until(pilot, lambda: "already known, no consent recorded" in said(app))
        await type_text(pilot, "Nobody")
        await pilot.press("enter", "enter")  # neither email nor phone
        await until(pilot, lambda: "email or a phone" in said(app))
        assert door.count == 2
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, EventsScreen))

    drive(app_for(folder), script)
    with Vault.open(folder, PASSPHRASE) as vault:
        people = {c.name: c for c in vault.contacts.all()}
        assert "B. Castell" not in people and len(people) == 8
        zoe = bytes.fromhex(people["Zoe Quist"].id)
        event = next(e for e in vault.events.all() if e.name == "Spring assembly")
        assert {people["Zoe Quist"].id, ids["Bram Castell"]} <= set(event.attended)
        prefs = vault.preferences.get(zoe)
        assert prefs.allows("email", "events") and not prefs.allows("email", "news")
        assert prefs.consent[-1].source == "sign-up at Spring assembly"
        bram = vault.preferences.get(bytes.fromhex(ids["Bram Castell"]))
        assert not bram.recorded
