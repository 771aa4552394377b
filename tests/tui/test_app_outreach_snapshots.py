"""Snapshot tests of the outreach screens at 80x24 and 120x40: compose, preview (exclusions
with reasons, a rendered sample), report (one recipient refused by the server).

Deterministic by construction: stored times are fixed (the sent message's `now` too, so no
frequency limit depends on today), the two messages are created an hour apart (the list order),
the vault path is relative, text cursors do not blink. Regenerate with `--snapshot-update` and
look at every changed picture before committing it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from outreach.compose import Draft, compose
from outreach.email_out import SmtpTransport
from outreach.outbox import Outbox
from outreach.sender import Sender
from tests.tui.app_helpers import FIXED_TIME, PASSPHRASE, app_for, until
from tests.tui.outreach_helpers import gated_smtp, make_outreach_vault
from tests.tui.test_app_snapshots import keys, wait_for
from tests.tui.test_app_workspace_snapshots import SIZES, story
from tui.app import KithApp
from vault.api import Vault


@pytest.fixture
def outreach_vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A sent message (5 reached, Kemal refused by the server) and a newer draft."""
    monkeypatch.chdir(tmp_path)
    folder = Path("vault")
    with gated_smtp(refuse={"kemal@example.org"}) as smtp:
        made = make_outreach_vault(folder, smtp_port=smtp.port, message=True)
        with Vault.open(folder, PASSPHRASE) as vault:
            from outreach.config import OutreachConfig

            transport = SmtpTransport(OutreachConfig.of(vault).email())
            Sender(vault, bytes.fromhex(made["message"]), transport, per_minute=6000,
                   now=lambda: FIXED_TIME).run()  # fmt: skip
            vault.records._now = lambda: FIXED_TIME + 3600
            compose(vault, Draft("email", "events", "segment:Volunteers",
                                 "Hello {given_name|friend},\nwe need drivers on Saturday.\n",
                                 "Drivers wanted"))  # fmt: skip
            assert len(Outbox.of(vault).messages()) == 2
    return folder


async def outbox(pilot: Pilot[None], app: KithApp) -> None:
    await pilot.press("o")
    await until(pilot, lambda: getattr(app.screen, "messages", None) is not None)


async def composed(pilot: Pilot[None], app: KithApp) -> None:
    app.screen.query_one("#subject", Input).value = "Assembly on Friday, {given_name}"
    app.screen.query_one("#body", TextArea).text = (
        "Dear {given_name|friend},\nthe assembly is on Friday at the town hall.\n")


def loaded(attribute: str) -> Any:
    async def step(pilot: Pilot[None], app: KithApp) -> None:
        await until(pilot, lambda: getattr(app.screen, attribute, None) is not None)

    return step


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_compose(snap_compare: Any, outreach_vault: Path, size: tuple[int, int]) -> None:
    run_before = story(outbox, keys("n"), wait_for("ComposeDialog"), composed)
    assert snap_compare(app_for(outreach_vault), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_preview(snap_compare: Any, outreach_vault: Path, size: tuple[int, int]) -> None:
    run_before = story(outbox, keys("p"), wait_for("PreviewScreen"), loaded("preview"))
    assert snap_compare(app_for(outreach_vault), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_report(snap_compare: Any, outreach_vault: Path, size: tuple[int, int]) -> None:
    run_before = story(outbox, keys("down", "r"), wait_for("ReportScreen"), loaded("view"))
    assert snap_compare(app_for(outreach_vault), terminal_size=size, run_before=run_before)
