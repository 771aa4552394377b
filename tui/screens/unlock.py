"""The unlock screen: a passphrase without echo, a busy indicator while Argon2id runs.

Rules and reasons:
- The key derivation takes about a second on purpose, so `Vault.open` runs in a worker thread
  and the screen stays responsive (the indicator moves, Ctrl+Q still quits).
- A wrong passphrase and a damaged header are one error (`CannotUnlock`, no oracle); its one line
  is shown under the field, the field is emptied and keeps focus for the next try.
- The typed passphrase is taken out of the field into one buffer before the worker starts,
  and that buffer is wiped as soon as the key is derived (tui/passphrase.py says what Python
  cannot wipe: the field's own string).
- After unlocking, the main screen first applies the retention rules (`Vault.expire_due`), then
  lists the contacts: that check scans the database (0.8 s at 100,000 contacts), so it runs
  in the main screen's background thread rather than here.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Center, Vertical
from textual.widgets import Footer, Header, Input, LoadingIndicator, Static

from tui.passphrase import secret_buffer, wipe
from tui.safe_text import plain
from tui.screens.base import KithScreen
from vault import Vault
from vault.errors import KithError

__all__ = ["UnlockScreen"]


class UnlockScreen(KithScreen[None]):
    """Type the passphrase, press Enter."""

    BINDINGS: ClassVar[list[BindingType]] = []
    AUTO_FOCUS = "#passphrase"

    DEFAULT_CSS = """
    UnlockScreen { align: center middle; }
    UnlockScreen #box {
        width: 64; max-width: 100%; height: auto;
        border: round $primary; padding: 1 2;
    }
    UnlockScreen #heading { text-style: bold; margin-bottom: 1; }
    UnlockScreen #busy { height: 1; display: none; }
    UnlockScreen.-busy #busy { display: block; }
    UnlockScreen #message { height: auto; min-height: 1; }
    """

    def compose(self) -> ComposeResult:
        app = self.kith
        yield Header()
        with Center(), Vertical(id="box"):
            yield Static(Text("Unlock your Kith vault"), id="heading")
            yield Static(plain(str(app.vault_dir), max_len=56), classes="muted")
            yield Input(password=True, placeholder="Passphrase", id="passphrase")
            yield LoadingIndicator(id="busy")
            yield Static(Text("Enter: unlock    Ctrl+Q: quit"), id="message", classes="muted")
        yield Footer()

    def on_mount(self) -> None:
        """With a passphrase from --passphrase-file, unlock at once (once: a wrong one is not
        tried again, the field is there to type the right one)."""
        preset, self.kith.preset_passphrase = self.kith.preset_passphrase, None
        if preset:
            self.start(preset)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Start unlocking with what was typed."""
        event.stop()
        field = self.query_one("#passphrase", Input)
        if not field.value:
            self.say("Type your passphrase, then press Enter.", error=True)
            return
        secret = secret_buffer(field.value)
        field.value = ""
        self.start(secret)

    def start(self, passphrase: bytearray) -> None:
        """Disable the field and unlock in a worker thread."""
        field = self.query_one("#passphrase", Input)
        field.disabled = True
        self.add_class("-busy")
        self.say("Unlocking: deriving the key from your passphrase...")
        self.unlock(passphrase)

    def say(self, message: str, *, error: bool = False) -> None:
        """Show one line under the field."""
        line = self.query_one("#message", Static)
        line.update(Text(message))
        line.set_class(error, "error")
        line.set_class(not error, "muted")

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=True)
    def unlock(self, passphrase: bytearray) -> None:
        """Worker thread: Argon2id, then open the database; the buffer is wiped either way."""
        try:
            vault = Vault.open(self.kith.vault_dir, passphrase)
        except KithError as error:
            self.app.call_from_thread(self._failed, error.message)
            return
        finally:
            wipe(passphrase)
        self.app.call_from_thread(self._done, vault)

    def _failed(self, message: str) -> None:
        self.remove_class("-busy")
        field = self.query_one("#passphrase", Input)
        field.disabled = False
        field.focus()
        self.say(message, error=True)

    def _done(self, vault: Vault) -> None:
        app = self.kith
        if not self.is_attached or app.is_unlocked:
            vault.lock()  # locked or quit while unlocking
            return
        app.unlocked(vault)
        for notice in vault.notices:  # a repaired header or a format upgrade (Kith's own text)
            app.notify(notice)
