"""Outreach in the TUI: compose, preview with exclusions, send to a real SMTP server with Stop
and Resume, report; every panel closes with Escape; errors are one line."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static, TextArea

from outreach.config import OutreachConfig, sms_settings
from outreach.outbox import Outbox
from tests.outreach.outreach_servers import free_port, sms_gateway
from tests.tui.app_helpers import PASSPHRASE, app_for, drive, screen_text, unlock, until
from tests.tui.outreach_helpers import (
    EXCLUDED,
    RECIPIENTS,
    gated_smtp,
    make_outreach_vault,
)
from tests.tui.workspace_helpers import make_organizing_vault
from tui.app import KithApp
from tui.screens import outreach_preview
from tui.screens.main import MainScreen
from tui.screens.outreach import OutreachScreen
from tui.screens.outreach_compose import ComposeDialog
from tui.screens.outreach_preview import PreviewScreen
from tui.screens.outreach_report import ReportScreen
from tui.screens.outreach_send import SendScreen
from tui.widgets import ContactList
from vault.api import Vault


async def open_outreach(pilot: Pilot[None], app: KithApp) -> OutreachScreen:
    await pilot.press("o")
    await until(pilot, lambda: isinstance(app.screen, OutreachScreen)
                and app.screen.messages is not None)  # fmt: skip
    screen = app.screen
    assert isinstance(screen, OutreachScreen)
    return screen


async def open_send(pilot: Pilot[None], app: KithApp) -> SendScreen:
    await pilot.press("s")
    await until(pilot, lambda: isinstance(app.screen, SendScreen) and app.screen.known)
    screen = app.screen
    assert isinstance(screen, SendScreen)
    return screen


async def fill_compose(pilot: Pilot[None], app: KithApp, *, audience: str | None,
                       subject: str, body: str) -> ComposeDialog:
    await pilot.press("n")
    await until(pilot, lambda: isinstance(app.screen, ComposeDialog))
    dialog = app.screen
    assert isinstance(dialog, ComposeDialog)
    if audience is not None:
        dialog.query_one("#audience", Select).value = audience
    dialog.query_one("#subject", Input).value = subject
    dialog.query_one("#body", TextArea).text = body
    return dialog


def status(screen: object, selector: str) -> str:
    assert isinstance(screen, PreviewScreen | SendScreen | ComposeDialog | ReportScreen)
    return str(screen.query_one(selector, Static).content)


def states(folder: Path, message: str) -> Counter[str]:
    with Vault.open(folder, PASSPHRASE) as vault:
        return Counter(d.state for d in Outbox.of(vault).deliveries(bytes.fromhex(message)))


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
        assert "do-not-contact" in screen_text(app)

    drive(app_for(folder), script, size=(120, 40))
    with Vault.open(folder, PASSPHRASE) as vault:
        (message,) = Outbox.of(vault).messages()
        assert set(message.audience.removeprefix("ids:").split(",")) == {
            ids["Dana Refuser"], ids["Kemal Lind"]}


def test_send_without_smtp_settings_is_one_line_and_sends_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    ids = make_outreach_vault(folder, message=True)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await open_outreach(pilot, app)
        await open_send(pilot, app)
        await pilot.press("s")
        line = status(app.screen, "#result")
        assert line.startswith("No SMTP server configured: run `kith outreach config email`")
        assert "\n" not in line
        assert app.screen.query_one("#result", Static).has_class("error")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, OutreachScreen))

    drive(app_for(folder), script, size=(120, 40))
    assert states(folder, ids["message"]) == Counter()  # not even frozen


def test_send_stop_and_resume_reaches_everyone_once_and_no_excluded(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    with gated_smtp(hold_at=3) as smtp:
        ids = make_outreach_vault(folder, smtp_port=smtp.port, message=True)

        async def script(pilot: Pilot[None], app: KithApp) -> None:
            await unlock(pilot, app)
            await open_outreach(pilot, app)
            screen = await open_send(pilot, app)
            assert "Not sent yet" in status(screen, "#standing")
            await pilot.press("s")
            await until(pilot, smtp.holding.is_set)  # the 3rd message is in flight
            assert screen.running
            await pilot.press("x")  # stop while it is in flight: it completes, then stop
            smtp.release.set()
            await until(pilot, lambda: screen.runs == 1)
            assert status(screen, "#result").startswith("Stopped: sent 3, failed 0")
            await until(pilot, lambda: "Sent 3 of 6; 3 left. s: resume." in status(
                screen, "#standing"))  # fmt: skip
            assert smtp.count() == 3
            await pilot.press("s")  # resume
            await until(pilot, lambda: screen.runs == 2)
            assert status(screen, "#result").startswith("Finished: sent 3, failed 0")
            await until(pilot, lambda: "Sent 6 of 6. Done." in status(screen, "#standing"))
            await pilot.press("s")
            assert status(screen, "#result") == "Nothing left to send."
            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, ReportScreen)
                        and app.screen.view is not None)  # fmt: skip
            text = screen_text(app)
            assert "6 recipient(s) frozen at the first send." in text
            assert "Not reached (0)" in text
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is screen)
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, OutreachScreen))
            await until(pilot, lambda: "sent 6/6" in screen_text(app))

        drive(app_for(folder), script, size=(120, 40))
        delivered = smtp.to()
    assert sorted(delivered) == sorted(RECIPIENTS)  # everyone once, nobody twice
    assert not set(delivered) & set(EXCLUDED)  # do-not-contact, no consent: nothing
    assert states(folder, ids["message"]) == Counter(sent=6)


def test_report_names_who_was_not_reached_and_why(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    with gated_smtp(refuse={"kemal@example.org"}) as smtp:
        make_outreach_vault(folder, smtp_port=smtp.port, message=True)

        async def script(pilot: Pilot[None], app: KithApp) -> None:
            await unlock(pilot, app)
            await open_outreach(pilot, app)
            screen = await open_send(pilot, app)
            await pilot.press("s")
            await until(pilot, lambda: screen.runs == 1)
            assert status(screen, "#result").startswith("Finished: sent 5, failed 1")
            await pilot.press("escape")
            outbox = app.screen
            assert isinstance(outbox, OutreachScreen)
            await until(pilot, lambda: "1 failed" in screen_text(app))
            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, ReportScreen)
                        and app.screen.view is not None)  # fmt: skip
            text = screen_text(app)
            assert "Not reached (1)" in text
            assert "Kemal Lind" in text and "failed: 550" in text
            assert "(83.3%)" in text  # sent rate, as `kith outreach report`
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is outbox)

        drive(app_for(folder), script, size=(120, 40))
        assert "kemal@example.org" not in smtp.to()


def test_escape_while_sending_stops_then_closes(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    with gated_smtp(hold_at=2) as smtp:
        ids = make_outreach_vault(folder, smtp_port=smtp.port, message=True)

        async def script(pilot: Pilot[None], app: KithApp) -> None:
            await unlock(pilot, app)
            await open_outreach(pilot, app)
            await open_send(pilot, app)
            await pilot.press("s")
            await until(pilot, smtp.holding.is_set)
            await pilot.press("escape")
            assert isinstance(app.screen, SendScreen)  # waits for the message in flight
            smtp.release.set()
            await until(pilot, lambda: isinstance(app.screen, OutreachScreen))

        drive(app_for(folder), script, size=(120, 40))
    assert states(folder, ids["message"]) == Counter(sent=2, queued=4)


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


def test_locking_while_sending_stops_the_send_without_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    with gated_smtp(hold_at=2) as smtp:
        ids = make_outreach_vault(folder, smtp_port=smtp.port, message=True)

        async def script(pilot: Pilot[None], app: KithApp) -> None:
            await unlock(pilot, app)
            await open_outreach(pilot, app)
            await open_send(pilot, app)
            await pilot.press("s")
            await until(pilot, smtp.holding.is_set)
            assert any(w.group == "send" for w in app.workers)
            await pilot.press("ctrl+l")
            await until(pilot, lambda: type(app.screen).__name__ == "UnlockScreen")
            smtp.release.set()
            await until(pilot, lambda: not any(w.group == "send" for w in app.workers))
            assert app.crashed is None  # and run_test would re-raise a worker's crash

        drive(app_for(folder), script, size=(120, 40))
        assert smtp.count() == 2  # nothing after the message in flight
    found = states(folder, ids["message"])
    assert found["sent"] + found["sending"] == 2 and found["queued"] == 4


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


def test_sms_compose_preview_and_send_through_the_phone_gateway(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    with sms_gateway() as phone:
        make_outreach_vault(folder)
        with Vault.open(folder, PASSPHRASE) as vault:
            OutreachConfig.of(vault).set_sms(sms_settings(
                phone.url, user=phone.user, password=phone.password, rate=6000))

        async def script(pilot: Pilot[None], app: KithApp) -> None:
            await unlock(pilot, app)
            await open_outreach(pilot, app)
            dialog = await fill_compose(pilot, app, audience="segment:Volunteers", subject="",
                                        body="{given_name|Hi}: assembly Friday 7pm.")
            dialog.query_one("#channel", Select).value = "sms"
            dialog.query_one("#kind", Select).value = "events"
            await until(pilot, lambda: dialog.query_one("#subject", Input).disabled)
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, PreviewScreen)
                        and app.screen.preview is not None)  # fmt: skip
            preview = app.screen
            assert isinstance(preview, PreviewScreen) and preview.preview is not None
            assert "1 will receive it, 8 excluded" in status(preview, "#status")
            sample = preview.preview.sample.plain
            assert "To: +33612345678" in sample and "Subject" not in sample
            assert "Ada: assembly Friday 7pm.\nReply STOP to opt out." in sample
            assert "do-not-contact" in screen_text(app)  # Dana has a phone, and said no
            await pilot.press("s")
            await until(pilot, lambda: isinstance(app.screen, SendScreen) and app.screen.known)
            screen = app.screen
            assert isinstance(screen, SendScreen)
            await pilot.press("s")
            await until(pilot, lambda: screen.runs == 1)
            assert status(screen, "#result").startswith("Finished: sent 1, failed 0")

        drive(app_for(folder), script, size=(120, 40))
        sent = [r["phoneNumber"] for m in phone.messages.values() for r in m["recipients"]]
    assert sent == ["+33612345678"]


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


def test_an_unreachable_smtp_server_is_one_line_and_everyone_stays_queued(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    ids = make_outreach_vault(folder, smtp_port=free_port(), message=True)  # nothing listens

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        await open_outreach(pilot, app)
        screen = await open_send(pilot, app)
        await pilot.press("s")
        await until(pilot, lambda: screen.runs == 1)
        line = status(screen, "#result")
        assert line.startswith("Could not reach the mail server") and "\n" not in line
        await until(pilot, lambda: "Sent 0 of 6; 6 left. s: resume." in status(
            screen, "#standing"))  # fmt: skip

    drive(app_for(folder), script, size=(120, 40))
    assert states(folder, ids["message"]) == Counter(queued=6)


def test_a_second_send_screen_cannot_race_the_first(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    with gated_smtp(hold_at=2) as smtp:
        ids = make_outreach_vault(folder, smtp_port=smtp.port, message=True)

        async def script(pilot: Pilot[None], app: KithApp) -> None:
            await unlock(pilot, app)
            await open_outreach(pilot, app)
            first = await open_send(pilot, app)
            await pilot.press("s")
            await until(pilot, smtp.holding.is_set)
            titles = {c.title: c for c in app.get_system_commands(app.screen)}
            titles["Outreach"].callback()  # the palette works over the send screen
            await until(pilot, lambda: isinstance(app.screen, OutreachScreen)
                        and app.screen.messages is not None)  # fmt: skip
            second = await open_send(pilot, app)
            await pilot.press("s")
            await until(pilot, lambda: second.runs == 1)
            assert status(second, "#result").startswith("Another send is running")
            smtp.release.set()
            await until(pilot, lambda: first.runs == 1)

        drive(app_for(folder), script, size=(120, 40))
        delivered = smtp.to()
    assert sorted(delivered) == sorted(RECIPIENTS)
    assert states(folder, ids["message"]) == Counter(sent=6)
