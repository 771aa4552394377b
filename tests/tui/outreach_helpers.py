"""An outreach vault for the TUI tests, and a real SMTP server that can hold one message.

Invented people only. Segment "Volunteers" (everything stored by the vault calls the CLI makes):
    Ada Brandt      email, allows email (weekly limit, last outbound long ago) -> recipient
    Bram Castell    email, nothing recorded                 -> no consent recorded (opt-in)
    Chiara Dumont   email, allows only email:events          -> no consent for email:news
    Dana Refuser    email, do-not-contact                    -> do-not-contact
    EXTRAS          email, allow email                       -> recipients
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static, TextArea

from outreach.compose import Draft, compose
from outreach.config import OutreachConfig, email_settings
from outreach.outbox import Outbox
from tests.outreach.outreach_servers import Collector, free_port
from tests.tui.app_helpers import FIXED_TIME, PASSPHRASE, until
from tests.tui.workspace_helpers import make_organizing_vault
from tui.app import KithApp
from tui.screens.outreach import OutreachScreen
from tui.screens.outreach_compose import ComposeDialog
from tui.screens.outreach_preview import PreviewScreen
from tui.screens.outreach_report import ReportScreen
from tui.screens.outreach_send import SendScreen
from vault.api import Vault
from vault.domain.model import ContactDraft, Email
from vault.domain.preferences import PreferenceChange

EXTRAS = ("Kemal Lind", "Lucía Moreau", "Mbali Nakamura", "Noor Okafor", "Jonas Kask")
RECIPIENTS = ("ada@example.org", *(f"{n.split()[0].lower()}@example.org" for n in EXTRAS))
EXCLUDED = ("bram@example.net", "chiara@example.org", "dana@example.org")
BODY = "Dear {given_name|friend},\nthe assembly is on Friday.\n"


def make_outreach_vault(directory: Path, *, smtp_port: int | None = None,
                        message: bool = False) -> dict[str, str]:
    """The organizing vault plus the people above in segment "Volunteers"; locked again.

    `smtp_port`: store plain-SMTP settings for a loopback server (6000 messages a minute).
    `message`: compose an email (news, "Spring assembly") to the segment. Returns name -> id.
    """
    ids = make_organizing_vault(directory, interactions=0)
    with Vault.open(directory, PASSPHRASE) as vault:
        vault.records._now = lambda: FIXED_TIME
        for name, email in (("Chiara Dumont", "chiara@example.org"),
                            ("Dana Refuser", "dana@example.org")):
            raw = bytes.fromhex(ids[name])
            draft = vault.contacts.get_by_id(raw).draft()
            vault.contacts.update(raw, replace(draft, emails=(Email(email),)))
        vault.preferences.change(bytes.fromhex(ids["Chiara Dumont"]),
                                 PreferenceChange(allow=("email:events",)), now=FIXED_TIME)
        for name in EXTRAS:
            given = name.split()[0]
            made = vault.contacts.add(ContactDraft(
                name=name, given_name=given, emails=(Email(f"{given.lower()}@example.org"),)))
            ids[name] = made.id
            vault.preferences.change(bytes.fromhex(made.id), PreferenceChange(allow=("email",)),
                                     now=FIXED_TIME)
        segment = vault.segments.create("Volunteers")
        members = ("Ada Brandt", "Bram Castell", "Chiara Dumont", "Dana Refuser", *EXTRAS)
        vault.segments.add(segment, [bytes.fromhex(ids[n]) for n in members])
        if smtp_port is not None:
            settings = email_settings("127.0.0.1", smtp_port, "team@org.example", "none",
                                      rate=6000)
            OutreachConfig.of(vault).set_email(settings)
        if message:
            made_message = compose(vault, Draft("email", "news", "segment:Volunteers", BODY,
                                                "Spring assembly"))
            ids["message"] = made_message.id
    return ids


@dataclass
class Gated(Collector):
    """A collector whose DATA number `hold_at` (1-based) waits for `release`."""

    hold_at: int = 0
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hold_at and self.count() + 1 == self.hold_at:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
        return await super().handle_DATA(server, session, envelope)


@contextmanager
def gated_smtp(hold_at: int = 0, refuse: set[str] | None = None) -> Iterator[Gated]:
    """A real SMTP server on loopback (aiosmtpd), plain, no login."""
    collector = Gated(hold_at=hold_at, refuse=set(refuse or ()))
    collector.port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=collector.port)
    controller.start()
    try:
        yield collector
    finally:
        collector.release.set()
        controller.stop()


# -- driving the screens ---------------------------------------------------------------------


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
