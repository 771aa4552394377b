"""Outreach in the TUI: compose and preview (exclusions with reasons, a rendered sample), the
palette entry, refusals in one line, hostile text shown literally.

Sending is in test_app_outreach_send.py."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static, TextArea

from outreach.outbox import Outbox
from tests.tui.app_helpers import PASSPHRASE, app_for, drive, screen_text, unlock, until
from tests.tui.outreach_helpers import (
    fill_compose,
    make_outreach_vault,
    open_outreach,
    status,
)
from tests.tui.workspace_helpers import make_organizing_vault
from tui.app import KithApp
from tui.screens import outreach_preview
from tui.screens.main import MainScreen
from tui.screens.outreach import OutreachScreen
from tui.screens.outreach_compose import ComposeDialog
from tui.screens.outreach_preview import PreviewScreen
from tui.widgets import ContactList
from vault.api import Vault


def test_compose_then_preview_shows_exclusions_with_reasons_and_a_sample(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    make_outreach_vault(folder)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        outbox = await open_outreach(pilot, app)
        assert "No messages yet" in screen_text(app)
        dialog = await fill_compose(pilot, app, audience="segment:Volunteers",
                                    subject="Assembly, {given_name}",
                                    body="Dear {givn_name},\nsee you.")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "unknown merge field" in status(dialog, "#message"))
        body = "Dear {given_name|friend},\nsee you at {event_name}."
        dialog.query_one("#body", TextArea).text = body
        dialog.query_one("#event", Select).value = dialog.events[1][1]  # Spring assembly
        dialog.query_one("#subject", Input).value = ""
        await pilot.press("ctrl+s")
        assert "an email needs a subject" in status(dialog, "#message")
        dialog.query_one("#subject", Input).value = "Assembly, {given_name}"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, PreviewScreen)
                    and app.screen.preview is not None)  # fmt: skip
        preview = app.screen
        assert isinstance(preview, PreviewScreen)
        found = preview.preview
        assert found is not None
        assert "6 will receive it, 3 excluded, of 9" in status(preview, "#status")
        text = screen_text(app)
        assert "Dana Refuser" in text and "do-not-contact" in text
        assert "Bram Castell" in text and "no consent recorded (opt-in)" in text
        assert "no consent for email:news" in text
        sample = found.sample.plain
        assert "To: ada@example.org" in sample and "Subject: Assembly, Ada" in sample
        assert "see you at Spring assembly." in sample
        assert "Dear Ada," in sample and "To stop these emails, reply STOP" in sample
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is outbox and bool(outbox.messages))
        assert "draft" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

    drive(app_for(folder), script, size=(120, 40))


def test_the_marked_contacts_are_an_audience(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    ids = make_outreach_vault(folder)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        contacts = app.screen.query_one(ContactList)
        names = [r.name for r in contacts.rows]
        for name in ("Dana Refuser", "Kemal Lind"):
            contacts.move_cursor(names.index(name))
            await pilot.press("space")
        await open_outreach(pilot, app)
        assert "2 contacts marked" in screen_text(app)
        dialog = await fill_compose(pilot, app, audience=None, subject="Hi", body="Hello.")
        assert dialog.query_one("#audience", Select).value == "selection"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, PreviewScreen)
                    and app.screen.preview is not None)  # fmt: skip
        assert "1 will receive it, 1 excluded, of 2" in status(app.screen, "#status")
        assert 'Preview: email, news, to 2 chosen contacts "Hi"' in screen_text(app)
        assert "do-not-contact" in screen_text(app)

    drive(app_for(folder), script, size=(120, 40))
    with Vault.open(folder, PASSPHRASE) as vault:
        (message,) = Outbox.of(vault).messages()
        assert set(message.audience.removeprefix("ids:").split(",")) == {
            ids["Dana Refuser"], ids["Kemal Lind"]}


def test_palette_offers_outreach_instead_of_not_available(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    make_outreach_vault(folder)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        titles = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Outreach" in titles
        assert "not available" not in titles["Outreach"].help
        titles["Outreach"].callback()
        await until(pilot, lambda: isinstance(app.screen, OutreachScreen))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ComposeDialog))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, OutreachScreen))

    drive(app_for(folder), script)


def test_locking_while_the_preview_is_computed_ends_its_worker_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "v"
    make_outreach_vault(folder, message=True)
    started, release = threading.Event(), threading.Event()
    real = outreach_preview.build_preview

    def held(*args: Any) -> Any:
        started.set()
        release.wait()
        return real(*args)  # the vault is locked by now: the worker gets VaultLocked

    monkeypatch.setattr(outreach_preview, "build_preview", held)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await open_outreach(pilot, app)
        await pilot.press("p")
        await until(pilot, started.is_set)
        await pilot.press("ctrl+l")
        await until(pilot, lambda: type(app.screen).__name__ == "UnlockScreen")
        release.set()
        await until(pilot, lambda: not any(w.group == "preview" for w in app.workers))
        assert app.crashed is None

    drive(app_for(folder), script)


def test_compose_without_an_audience_or_with_an_empty_one_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    make_organizing_vault(folder, interactions=0)  # no segment, no saved search

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await open_outreach(pilot, app)
        dialog = await fill_compose(pilot, app, audience=None, subject="Hi", body="Hello.")
        await pilot.press("ctrl+s")
        line = status(dialog, "#message")
        assert line.startswith("Invalid input: choose an audience") and "\n" not in line
        assert app.vault is not None
        app.vault.segments.create("nobody yet")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, OutreachScreen))
        dialog = await fill_compose(pilot, app, audience="segment:nobody yet", subject="Hi",
                                    body="Hello.")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "audience is empty" in status(dialog, "#message"))
        assert dialog.query_one("#message", Static).has_class("error")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, OutreachScreen))
        assert app.screen.messages == []  # nothing was stored

    drive(app_for(folder), script, size=(120, 40))


def test_hostile_text_in_the_body_and_a_name_is_shown_literally(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    ids = make_outreach_vault(folder)
    with Vault.open(folder, PASSPHRASE) as vault:
        raw = bytes.fromhex(ids["Kemal Lind"])
        draft = vault.contacts.get_by_id(raw).draft()
        vault.contacts.update(raw, replace(draft, name="[bold red]Kemal\x1b]0;owned\x07",
                                           given_name="[b]K"))  # fmt: skip

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await open_outreach(pilot, app)
        await fill_compose(pilot, app, audience="segment:Volunteers", subject="S",
                           body="Hi [bold]{given_name}[/bold] \x1b[2J done")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, PreviewScreen)
                    and app.screen.preview is not None)  # fmt: skip
        text = screen_text(app)  # the hostile name sorts first: the sample is rendered for it
        assert "Hi [bold][b]K[/bold] [2J done" in text and "\x1b" not in text
        assert "[bold red]Kemal]0;owned" in text  # the name, inert

    drive(app_for(folder), script, size=(120, 40))
