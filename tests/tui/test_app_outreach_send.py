"""Outreach in the TUI, sending: to a real SMTP server (aiosmtpd) with Stop and Resume (nobody
twice, nobody excluded), SMS through the phone gateway stand-in, the report, Escape and lock
while sending, one send at a time, one-line errors (no transport, server unreachable)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from outreach.config import OutreachConfig, sms_settings
from tests.outreach.outreach_servers import free_port, sms_gateway
from tests.tui.app_helpers import PASSPHRASE, app_for, drive, screen_text, unlock, until
from tests.tui.outreach_helpers import (
    EXCLUDED,
    RECIPIENTS,
    fill_compose,
    gated_smtp,
    make_outreach_vault,
    open_outreach,
    open_send,
    states,
    status,
)
from tui.app import KithApp
from tui.screens.outreach import OutreachScreen
from tui.screens.outreach_preview import PreviewScreen
from tui.screens.outreach_report import ReportScreen
from tui.screens.outreach_send import SendScreen
from vault.api import Vault


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
