"""The Kith terminal UI: one `App` that holds the unlocked vault, and the screens it shows.

    make_app(vault_dir, clock=, idle_timeout=, kdf_params=)  -> KithApp (used by run_app and tests)
    run_app(vault_dir)                                       -> runs it on this terminal

Rules and reasons:
- Locked is the resting state. The vault and its in-memory index live on the app only between
  unlock and lock; `lock()` (Ctrl+L anywhere, or `idle_timeout` seconds without a key or mouse
  event, measured with the injected `clock`) closes the vault, forgets the index and removes
  every screen, so nothing that showed contact data is left in the widget tree.
- Nothing about a contact leaves the screen: the terminal title is always "Kith"; Textual's log
  (devtools, TEXTUAL_LOG) is switched off; a crash prints only the exception's type, never
  Textual's traceback (which shows local variables by default) or the exception's message; the
  command palette has no "Screenshot" entry (it would write the screen to a file).
- User text reaches the screen only through `tui.safe_text` (see the screens).
"""

from __future__ import annotations

import gc
import math
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import WorkerFailed

from tui.screens.base import show_keys
from tui.screens.roster import Roster
from tui.signals import deadline_after_signal, hang_point
from vault import KdfParams, Vault, is_vault

__all__ = ["KithApp", "make_app", "run_app"]

DEFAULT_IDLE_TIMEOUT = 300.0
"""Seconds without input before the vault locks itself (DESIGN §8)."""
LOCK_WAIT_SECONDS = 0.5
"""How long locking waits, on the UI thread, for a write in progress to finish."""


class KithApp(App[None]):
    """The Kith terminal UI. Build it with `make_app`."""

    TITLE = "Kith"
    SUB_TITLE = ""
    IDLE_CHECK_SECONDS: ClassVar[float] = 1.0
    """How often the idle timeout is checked."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+l", "lock", "Lock", priority=True, id="lock"),
        Binding("y", "sync", "Sync", show=False),  # issue 13: on the contact list only
    ]

    CSS = """
    Screen { background: $background; }
    .muted { color: $text-muted; }
    .error { color: $text-error; text-style: bold; }
    .error:nocolor { text-style: bold reverse; }
    """

    def __init__(
        self,
        vault_dir: Path,
        *,
        clock: Callable[[], float] = time.monotonic,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        kdf_params: KdfParams | None = None,
        allow_weak: bool = False,
        passphrase: bytearray | None = None,
    ) -> None:
        super().__init__()
        self.vault_dir = vault_dir
        self.clock = clock
        self.idle_timeout = idle_timeout
        self.kdf_params = kdf_params
        self.allow_weak = allow_weak
        self.preset_passphrase = passphrase
        """From --passphrase-file: the unlock screen uses it once, then forgets it."""
        self.vault: Vault | None = None
        self.roster: Roster | None = None
        self.last_input = clock()
        self.crashed: str | None = None
        """The type name of the exception that ended the app, if one did."""

    # -- lifecycle ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        """Show the unlock screen, or the create screen on first run; start the idle check."""
        self.push_screen(self._locked_screen())
        self.set_interval(self.IDLE_CHECK_SECONDS, self.check_idle_lock, name="idle-lock")

    def _locked_screen(self) -> Screen[Any]:
        from tui.screens.create import CreateScreen
        from tui.screens.unlock import UnlockScreen

        return UnlockScreen() if is_vault(self.vault_dir) else CreateScreen()

    def unlocked(self, vault: Vault) -> None:
        """Called by the unlock and create screens with the vault they opened."""
        from tui.screens.main import MainScreen

        self.vault = vault
        self.roster = Roster(vault)
        self.last_input = self.clock()
        self.switch_screen(MainScreen(self.roster))

    @property
    def is_unlocked(self) -> bool:
        """True while a vault is open."""
        return self.vault is not None

    # -- locking -----------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        """Note the time of every key and mouse event, for the idle lock."""
        if isinstance(event, events.InputEvent):
            self.last_input = self.clock()
        await super().on_event(event)

    def check_idle_lock(self) -> None:
        """Lock if nothing was typed or clicked for `idle_timeout` seconds."""
        if self.vault is not None and self.clock() - self.last_input >= self.idle_timeout:
            self.lock(reason="Locked after a period of inactivity.")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Lock is offered (and shown in the footer) only while a vault is open."""
        if action in ("lock", "burn"):
            return self.is_unlocked
        if action == "sync":  # issue 13
            return self.is_unlocked and type(self.screen).__name__ == "MainScreen"
        return True

    def action_lock(self) -> None:
        """Lock now (Ctrl+L)."""
        self.lock()

    def close_vault(self) -> None:
        """Forget the index and close the vault (screens are left as they are).

        Closing waits for a write in progress (an import, the vacuum after a delete) to commit;
        if that takes more than a moment it finishes in a background thread, so the screen is
        cleared at once either way.
        """
        roster, vault = self.roster, self.vault
        self.roster = self.vault = None
        if roster is not None:
            roster.close()  # background threads see this and stop
        if vault is not None:
            closer = threading.Thread(target=vault.lock, name="kith-lock", daemon=False)
            closer.start()
            closer.join(timeout=LOCK_WAIT_SECONDS)

    def lock(self, *, reason: str = "") -> None:
        """Close the vault, forget the index and every screen, and show the unlock screen."""
        self.close_vault()
        self.clear_notifications()
        self._reset_screens(self._locked_screen())
        gc.unfreeze()  # the index was frozen after loading; let its memory be collected
        gc.collect()
        if reason:
            self.call_later(self.notify, reason, timeout=10)  # once the unlock screen is up

    def after_dialog(self, changed: bool | None) -> None:
        """After an import: rebuild the list from the vault, so merged contacts do not linger."""
        if changed and self.vault is not None:
            from tui.screens.main import MainScreen

            if self.roster is not None:
                self.roster.close()
            self.roster = Roster(self.vault)
            self._reset_screens(MainScreen(self.roster))

    def burned(self) -> None:
        """After burn: the vault is gone; show what burn could not do."""
        from tui.screens.confirm import BurnedScreen

        self._reset_screens(BurnedScreen())

    def _reset_screens(self, screen: Screen[Any]) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(screen)

    # -- commands ----------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette (Ctrl+P): Textual's own entries, minus Screenshot, plus Kith's."""
        for command in super().get_system_commands(screen):
            if command.title not in ("Screenshot", "Keys"):  # Kith's own Keys panel below
                yield command
        yield SystemCommand("Keys", "Every key of this screen (?)", lambda: show_keys(screen))
        if not self.is_unlocked:
            return
        from tui.screens import dialogs

        yield SystemCommand("Lock", "Lock the vault now (Ctrl+L)", self.action_lock)
        yield SystemCommand(
            "Burn vault", "Destroy this vault's keys and files (asks you to type BURN)",
            self.action_burn,
        )  # fmt: skip
        yield from dialogs.commands(self)
        from tui.screens import map_dialog  # issue 17

        yield from map_dialog.commands(self)
        from tui.screens import sync_status  # issue 13

        yield from sync_status.commands(self)
        from tui.screens import outreach  # issue 13: outreach screens

        yield from outreach.commands(self)

    def action_sync(self) -> None:
        """Sync status per shared segment and peer; sync now, peers (y)."""
        from tui.screens.sync_status import SyncScreen

        if self.vault is not None:
            self.push_screen(SyncScreen(self.vault))

    def action_burn(self) -> None:
        """Ask for the typed confirmation, then burn."""
        from tui.screens.confirm import BurnScreen

        if self.is_unlocked:
            self.push_screen(BurnScreen())

    # -- no data in logs or crash output ---------------------------------------------------

    def _log(self, *_args: Any, **_kwargs: Any) -> None:
        """Textual's log goes nowhere: log lines could carry contact data."""

    def _handle_exception(self, error: Exception) -> None:
        """End the app on an unexpected error, reporting only the exception's type.

        Textual's default prints a traceback with local variables (contact data, passphrases).
        With KITH_DEBUG=1 (on a machine you control) a traceback without locals is printed.
        """
        self._return_code = 1
        if self._exception is None:  # run_test() re-raises it in tests
            self._exception = error
            self._exception_event.set()
        cause: BaseException = error.error if isinstance(error, WorkerFailed) else error
        self.crashed = type(cause).__name__
        if os.environ.get("KITH_DEBUG") == "1":
            from rich.traceback import Traceback

            trace = Traceback.from_exception(type(cause), cause, cause.__traceback__)
            self._exit_renderables.append(trace)
        else:
            self._exit_renderables.append(
                Text(f"kith: internal error ({self.crashed}); details hidden.", end="")
            )
        self.close_vault()
        self._close_messages_no_wait()


def make_app(
    vault_dir: Path,
    *,
    clock: Callable[[], float] = time.monotonic,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    kdf_params: KdfParams | None = None,
    allow_weak: bool = False,
    passphrase: bytearray | None = None,
) -> KithApp:
    """The app for the vault in `vault_dir` (used by `run_app`, the tests and the benchmark).

    Args:
        vault_dir: The vault folder; a first run there offers to create a vault.
        clock: Monotonic seconds, for the idle lock (tests pass a fake clock).
        idle_timeout: Seconds without input before the vault locks.
        kdf_params: Argon2id parameters for a new vault; None calibrates on this machine.
        allow_weak: Accept `kdf_params` below the safe floor (tests only).
        passphrase: Unlock with this at start (`kith --passphrase-file FILE tui`); the buffer
            is wiped once the key is derived.
    """
    return KithApp(
        vault_dir,
        clock=clock,
        idle_timeout=idle_timeout,
        kdf_params=kdf_params,
        allow_weak=allow_weak,
        passphrase=passphrase,
    )


def _idle_timeout_from_env() -> float:
    raw = os.environ.get("KITH_IDLE_TIMEOUT", "")
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_IDLE_TIMEOUT
    return value if math.isfinite(value) and value > 0 else DEFAULT_IDLE_TIMEOUT  # nan, inf


def run_app(
    vault_dir: Path, *, idle_timeout: float | None = None, passphrase: bytearray | None = None
) -> None:
    """Run the TUI on this terminal; the vault is locked however the app ends.

    `idle_timeout` defaults to $KITH_IDLE_TIMEOUT (seconds), else 5 minutes. `passphrase` (read
    from --passphrase-file) unlocks at start; a wrong one leaves the unlock screen up.
    """
    import textual.constants

    textual.constants.LOG_FILE = None  # type: ignore[misc]  # TEXTUAL_LOG would log screens
    allow_weak = os.environ.get("KITH_ALLOW_WEAK_KDF") == "1"
    timeout = idle_timeout if idle_timeout and idle_timeout > 0 else _idle_timeout_from_env()
    app = make_app(vault_dir, idle_timeout=timeout, allow_weak=allow_weak, passphrase=passphrase)

    def lock() -> None:
        if app.vault is not None:
            app.vault.lock()

    with deadline_after_signal(lock):
        try:
            app.run()
        finally:
            hang_point("tui-exit")
            lock()
    if app.return_code:
        raise SystemExit(app.return_code)
