"""Helpers for the whole-app TUI tests: cheap vaults of invented contacts, a fake clock, a
pilot runner that needs no async plugin, and waiting on a condition instead of on time.

Nothing here depends on wall-clock speed: `until()` polls a condition with a generous timeout
that only matters when a test is failing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tui.app import KithApp, make_app
from vault.api import Vault
from vault.crypto.kdf import TEST_PARAMS
from vault.domain.model import Address, ContactDraft, Email, Phone

PASSPHRASE = "s3cret"  # short: the pilot types it key by key
SIZE = (80, 24)
FIXED_TIME = 1_750_000_000  # 2025-06-15 15:06:40 UTC, for snapshots

# Invented people only.
PEOPLE: tuple[ContactDraft, ...] = (
    ContactDraft(
        name="Ada Brandt", given_name="Ada", family_name="Brandt",
        emails=(Email("ada@example.org", "work"),), phones=(Phone("+33612345678", "mobile"),),
        addresses=(Address("12 rue Haute", "Lyon", "", "69001", "FR", "home"),),
        org="Tenants United", role="Organizer", languages=("fr", "en"),
        tags=("volunteer", "board"), fields=(("shirt", "M"),), notes="Met at the spring assembly.",
    ),
    ContactDraft(name="Bram Castell", emails=(Email("bram@example.net"),), org="Bike Kitchen",
                 addresses=(Address(locality="Leeds"),), tags=("driver",)),
    ContactDraft(name="Chiara Dumont", org="Riverside Food Co-op",
                 addresses=(Address(locality="Bologna"),), tags=("volunteer", "press")),
    ContactDraft(name="Dmitri Eze", phones=(Phone("+15551234567"),), org="Night Shift Union",
                 addresses=(Address(locality="Accra"),), tags=("legal",)),
    ContactDraft(name="Efua Fontaine", org="Harbour Mutual Aid",
                 addresses=(Address(locality="Tallinn"),), tags=("volunteer",)),
    ContactDraft(name="Farid Gallo", org="Library Friends",
                 addresses=(Address(locality="Osaka"),)),
)  # fmt: skip
HOSTILE = ContactDraft(
    name="[bold red]x",
    org="Evil\x1b]0;owned\x07Corp",
    notes="first line\nsecond\x1b[2J line",
    tags=("[link=https://example.org]tag",),
)


def make_vault(
    directory: Path, people: Sequence[ContactDraft] = PEOPLE, *, fixed_time: bool = False
) -> Path:
    """A cheap-KDF vault (region FR) holding `people`, locked again; returns its folder."""
    vault = Vault.create(directory, PASSPHRASE, params=TEST_PARAMS, allow_weak=True, region="FR")
    if fixed_time:
        vault.records._now = lambda: FIXED_TIME  # stored times, shown on the detail screen
    for person in people:
        vault.contacts.add(person)
    vault.lock()
    return directory


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def app_for(directory: Path, **kwargs: Any) -> KithApp:
    """The app as the CLI builds it, with cheap KDF parameters for a new vault."""
    kwargs.setdefault("kdf_params", TEST_PARAMS)
    kwargs.setdefault("allow_weak", True)
    return make_app(directory, **kwargs)


Script = Callable[[Pilot[None], KithApp], Awaitable[None]]


def drive(app: KithApp, script: Script, size: tuple[int, int] = SIZE) -> None:
    """Run `app` headless and hand the pilot to `script` (no async test plugin needed)."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await script(pilot, app)

    asyncio.run(main())


async def until(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 300.0) -> None:
    """Let the app run until `condition()` holds (fails the test after `timeout` seconds).

    The test waits on the state, never on the clock: the bound only ends a test that is
    already failing (a screen that never comes), so it is generous. A 10 s bound once failed
    two healthy tests on a loaded 2-core machine (issue 14).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached")
        await pilot.pause(0.01)
    await pilot.pause()


async def unlock(
    pilot: Pilot[None], app: KithApp, passphrase: str = PASSPHRASE, *, typed: bool = False
) -> None:
    """Enter the passphrase (typed key by key, or pasted: faster) and wait until every contact
    is listed."""
    from textual.widgets import Input

    from tui.screens.main import MainScreen

    if typed:
        await pilot.press(*passphrase)
    else:
        app.screen.query_one("#passphrase", Input).value = passphrase
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, MainScreen) and app.screen.complete)


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type `text` key by key (spaces and punctuation included)."""
    await pilot.press(*text)


def screen_text(app: KithApp) -> str:
    """Every character of the current screen, line by line, exactly as it would be written."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
