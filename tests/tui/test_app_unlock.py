"""The app shell: first-run create, unlock, lock on Ctrl+L and when idle, crash output, burn.

Pilot tests (`App.run_test()`), one user story each, on cheap vaults of invented contacts.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

import tui.screens.create as create_screen
from tests.tui.app_helpers import (
    PASSPHRASE,
    FakeClock,
    app_for,
    drive,
    make_vault,
    screen_text,
    type_text,
    unlock,
    until,
)
from tui.app import KithApp
from tui.screens.confirm import BurnedScreen, BurnScreen
from tui.screens.create import CreateScreen, strength_hint
from tui.screens.main import MainScreen
from tui.screens.unlock import UnlockScreen
from tui.widgets import ContactList
from vault.api import BURN_LIMITS, Vault, is_vault
from vault.crypto import kdf

# -- create -------------------------------------------------------------------------------------

STRONG = "orbit lantern velvet quarry"  # four random-looking words: above the 40-bit floor


def test_first_run_offers_to_create_a_vault(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    app = app_for(folder)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        assert isinstance(app.screen, CreateScreen)
        assert "argon2id m=8 MiB t=1 p=1" in screen_text(app)
        first = app.screen.query_one("#passphrase", Input)
        second = app.screen.query_one("#repeat", Input)
        await type_text(pilot, "ab c")  # typed without echo, with a strength hint
        assert first.password and second.password
        assert "ab c" not in screen_text(app) and "Strength: very weak" in screen_text(app)
        await pilot.press("enter")  # to the second field
        assert second.has_focus
        await type_text(pilot, "ab d")
        await pilot.press("enter")
        assert "The two passphrases differ" in screen_text(app)
        assert not is_vault(folder) and second.value == "" and second.has_focus
        first.value = STRONG
        second.value = STRONG
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MainScreen) and app.screen.complete)
        assert is_vault(folder)
        assert len(app.screen.query_one(ContactList).rows) == 0  # an empty vault

    drive(app, script)
    Vault.open(folder, STRONG).lock()  # the passphrase typed twice unlocks it


def test_create_calibrates_and_shows_the_parameters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = kdf.KdfParams(64 * 1024, 4, 2)
    monkeypatch.setattr(create_screen, "calibrate_kdf", lambda: (chosen, 0.73))
    app = app_for(tmp_path / "new", kdf_params=None)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await until(pilot, lambda: "0.73 s here" in screen_text(app))
        assert "argon2id m=64 MiB t=4 p=2" in screen_text(app)
        assert app.screen.params == chosen  # type: ignore[attr-defined]

    drive(app, script)


def test_strength_hint_is_rough_and_honest() -> None:
    assert "weak" in strength_hint("hunter2")
    assert "strong" in strength_hint("correct horse battery staple orbit lantern")
    assert "fair" in strength_hint("Tr0ub4dor&3")


# -- unlock -------------------------------------------------------------------------------------


def test_wrong_passphrase_says_so_and_lets_the_user_retry(tmp_path: Path) -> None:
    app = app_for(make_vault(tmp_path / "v"))

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        assert isinstance(app.screen, UnlockScreen)
        await type_text(pilot, "not it")
        assert app.screen.query_one("#passphrase", Input).password
        assert "not it" not in screen_text(app)  # no echo
        await pilot.press("enter")
        await until(pilot, lambda: "Cannot unlock" in screen_text(app))
        field = app.screen.query_one("#passphrase", Input)
        assert field.value == "" and not field.disabled and field.has_focus
        assert app.vault is None
        await unlock(pilot, app, typed=True)
        assert len(app.screen.query_one(ContactList).rows) == 6

    drive(app, script)


# -- lock ---------------------------------------------------------------------------------------


def test_ctrl_l_locks_from_anywhere_and_clears_every_screen(tmp_path: Path) -> None:
    app = app_for(make_vault(tmp_path / "v"))

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        vault = app.vault
        assert vault is not None
        await pilot.press("enter")  # open the first contact
        await until(pilot, lambda: type(app.screen).__name__ == "DetailScreen")
        assert app.title == "Kith" and app.sub_title == ""  # never contact data
        await pilot.press("e")  # and edit it: the cursor is in a text field
        await until(pilot, lambda: type(app.screen).__name__ == "EditScreen")
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        assert app.vault is None and app.roster is None
        assert vault.store is None  # the database is closed, the keys dropped
        assert [type(s).__name__ for s in app.screen_stack] == ["Screen", "UnlockScreen"]
        assert "Ada" not in screen_text(app)
        await unlock(pilot, app)  # and it opens again
        assert len(app.screen.query_one(ContactList).rows) == 6

    drive(app, script)


def test_idle_timeout_locks_with_an_injected_clock(tmp_path: Path) -> None:
    clock = FakeClock()
    app = app_for(make_vault(tmp_path / "v"), clock=clock, idle_timeout=60)
    app.IDLE_CHECK_SECONDS = 0.1

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        clock.advance(59)
        await pilot.pause(0.1)
        assert app.is_unlocked
        await pilot.press("down")  # input resets the idle time
        clock.advance(59)
        await pilot.pause(0.1)
        assert app.is_unlocked
        clock.advance(2)
        await until(pilot, lambda: isinstance(app.screen, UnlockScreen))
        assert not app.is_unlocked
        assert any("inactivity" in n.message for n in app._notifications)

    drive(app, script)


# -- burn ---------------------------------------------------------------------------------------


def test_burn_needs_the_typed_word_then_shows_what_it_cannot_do(tmp_path: Path) -> None:
    folder = make_vault(tmp_path / "v")
    app = app_for(folder)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert {"Lock", "Burn vault", "Import contacts", "Segments"} <= set(commands)
        assert "Screenshot" not in commands  # it would write the screen to a file
        app.action_burn()
        await until(pilot, lambda: isinstance(app.screen, BurnScreen))
        await pilot.press("escape")  # cancel
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert is_vault(folder) and app.is_unlocked
        app.action_burn()
        await until(pilot, lambda: isinstance(app.screen, BurnScreen))
        app.screen.query_one("#word", Input).value = "burn"
        await pilot.press("enter")
        assert "type BURN exactly" in screen_text(app)
        assert is_vault(folder)
        await type_text(pilot, "BURN")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, BurnedScreen))
        assert not folder.exists()
        assert app.vault is None
        shown = " ".join(screen_text(app).split())
        assert "The vault is burned." in shown
        assert " ".join(BURN_LIMITS.split()[:10]) in shown

    drive(app, script)


# -- crashes, retention ----------------------------------------------------------------------------


def test_a_crash_reports_the_exception_type_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = app_for(make_vault(tmp_path / "v"))

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)

        def explode() -> None:
            secret = "Ada Brandt +33612345678"  # a local, as Textual would show it
            raise ValueError(secret)

        app.call_later(explode)
        await pilot.pause()

    with pytest.raises(ValueError):
        drive(app, script)
    assert app.crashed == "ValueError"
    assert app.return_code == 1
    assert app.vault is None  # locked on the way out
    printed = capsys.readouterr().err
    assert printed.strip() == "kith: internal error (ValueError); details hidden."


def test_unlock_applies_retention_rules_first(tmp_path: Path) -> None:
    folder = make_vault(tmp_path / "v")
    with Vault.open(folder, PASSPHRASE) as vault:
        bram = next(c for c in vault.contacts.all() if c.name == "Bram Castell")
        vault.retention.retain_contact(vault.contacts.resolve(bram.id), date(2020, 1, 31))
    app = app_for(folder)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await unlock(pilot, app)
        names = [r.name for r in app.screen.query_one(ContactList).rows]
        assert len(names) == 5 and "Bram Castell" not in names
        assert any("1 expired record" in n.message for n in app._notifications)

    drive(app, script)
