"""The first-run screen: create a vault with a passphrase typed twice.

Rules and reasons:
- While the passphrase is typed, Argon2id is calibrated for this machine in a worker thread
  (`vault.calibrate_kdf`), and the chosen parameters and their time are shown: every
  unlock will cost about that, and so will every guess an attacker makes.
- The strength hint is a rough, honest estimate (bits, if every character or word was chosen at
  random). Below `MIN_BITS` (40 bits: "a", "hunter2", a name and a year) creating is refused
  unless the user confirms twice more (Enter or Ctrl+S, each time told why): such a passphrase
  falls to a guessing run in days even at a second per guess, and the vault file is exactly
  what a seizure takes. It stays the user's decision, made knowingly.
- Nothing is created until both fields match and the parameters are known.
"""

from __future__ import annotations

import math
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Horizontal, Vertical
from textual.widgets import Footer, Header, Input, LoadingIndicator, Static

from tui.safe_text import plain
from tui.screens.base import KithScreen
from vault import DEFAULT_REGION, KdfParams, Vault, calibrate_kdf
from vault.errors import KithError

__all__ = ["MIN_BITS", "CreateScreen", "estimate_bits", "strength_hint"]

_WORD_BITS = math.log2(7776)  # a word drawn at random from the EFF diceware list
MIN_BITS = 40
"""Below this estimate, creating a vault needs two more confirmations."""
CONFIRMATIONS = 2


def estimate_bits(passphrase: str) -> float:
    """Rough strength in bits, if every character (or word) was chosen at random."""
    words = passphrase.split()
    pool = 0
    for test, size in (
        (str.islower, 26), (str.isupper, 26), (str.isdigit, 10),
        (lambda c: c.isascii() and not c.isalnum() and not c.isspace(), 33),
        (lambda c: not c.isascii(), 100),
    ):  # fmt: skip
        if any(test(c) for c in passphrase):
            pool += size
    bits = len(passphrase) * math.log2(max(pool, 2))
    if len(words) >= 3 and all(w.isalpha() for w in words):
        bits = min(bits, len(words) * _WORD_BITS)
    return bits


def strength_hint(passphrase: str) -> str:
    """One line: a rough strength estimate and, if weak, what would help."""
    if not passphrase:
        return "Strength: use 6 or more random words, or 16 or more random characters."
    bits = estimate_bits(passphrase)
    if bits < MIN_BITS:
        verdict = "very weak"
    elif bits < 50:
        verdict = "weak"
    elif bits < 75:
        verdict = "fair"
    else:
        verdict = "strong"
    advice = "" if verdict == "strong" else "; add random words"
    return f"Strength: {verdict} (about {int(bits)} bits if chosen at random{advice})."


class CreateScreen(KithScreen[None]):
    """No vault here yet: offer to create one."""

    AUTO_FOCUS = "#passphrase"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "create", "Create vault", priority=True),
    ]

    DEFAULT_CSS = """
    CreateScreen { align: center middle; }
    CreateScreen #box {
        width: 72; max-width: 100%; height: auto;
        border: round $primary; padding: 0 2;
    }
    CreateScreen #heading { text-style: bold; }
    CreateScreen Input { margin: 0; }
    CreateScreen #region-row { height: 1; margin: 1 0; }
    CreateScreen #region-label { width: 14; }
    CreateScreen #region { width: 4; margin-right: 2; }
    CreateScreen #busy { height: 1; display: none; }
    CreateScreen.-measuring #busy, CreateScreen.-busy #busy { display: block; }
    CreateScreen #message { height: auto; min-height: 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.params: KdfParams | None = None
        self.weak_confirmed = 0
        """How many times the user confirmed a passphrase below MIN_BITS (reset on change)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Center(), Vertical(id="box"):
            yield Static(Text("No vault here yet: create one"), id="heading")
            yield Static(plain(str(self.kith.vault_dir), max_len=66), classes="muted")
            yield Input(password=True, placeholder="New passphrase", id="passphrase")
            yield Input(password=True, placeholder="Repeat it", id="repeat")
            yield Static(Text(strength_hint("")), id="strength", classes="muted")
            with Horizontal(id="region-row"):
                yield Static(Text("Phone region"), id="region-label")
                yield Input(
                    DEFAULT_REGION, placeholder="US", id="region", max_length=2,
                    restrict=r"[A-Za-z]*", compact=True,
                )  # fmt: skip
                yield Static(
                    Text("for numbers typed without +country code"),
                    classes="muted",
                )
            yield Static(Text(""), id="kdf")
            yield LoadingIndicator(id="busy")
            yield Static(Text("Enter in the second field, or Ctrl+S: create"), id="message",
                         classes="muted")  # fmt: skip
        yield Footer()

    def on_mount(self) -> None:
        """Use the given KDF parameters, or measure this machine in the background."""
        given = self.kith.kdf_params
        if given is not None:
            self._measured(given, None)
        else:
            self.add_class("-measuring")
            self._set_kdf("Measuring this computer to choose the key-derivation cost...")
            self.calibrate()

    @work(thread=True, exclusive=True, group="calibrate")
    def calibrate(self) -> None:
        """Worker thread: find Argon2id parameters that take about a second here."""
        params, seconds = calibrate_kdf()
        self.app.call_from_thread(self._measured, params, seconds)

    def _measured(self, params: KdfParams, seconds: float | None) -> None:
        self.params = params
        self.remove_class("-measuring")
        if seconds is None:
            self._set_kdf(f"Key derivation: {params.describe()} (as configured).")
        else:
            self._set_kdf(
                f"Key derivation: {params.describe()}, {seconds:.2f} s here. Each unlock, and "
                "each guess an attacker makes, costs about that."
            )

    def _set_kdf(self, text: str) -> None:
        self.query_one("#kdf", Static).update(Text(text))

    @on(Input.Changed, "#passphrase")
    def _update_strength(self, event: Input.Changed) -> None:
        self.weak_confirmed = 0
        self.query_one("#strength", Static).update(Text(strength_hint(event.value)))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; in the second passphrase field it creates."""
        event.stop()
        if event.input.id == "passphrase":
            self.query_one("#repeat", Input).focus()
        else:
            self.action_create()

    def say(self, message: str, *, error: bool = False) -> None:
        """Show one line at the bottom of the box."""
        line = self.query_one("#message", Static)
        line.update(Text(message))
        line.set_class(error, "error")
        line.set_class(not error, "muted")

    def action_create(self) -> None:
        """Check the fields, then create the vault in a worker thread."""
        if self.has_class("-busy"):
            return
        first = self.query_one("#passphrase", Input)
        second = self.query_one("#repeat", Input)
        region = self.query_one("#region", Input).value.strip().upper() or DEFAULT_REGION
        if not first.value:
            self.say("Type a passphrase.", error=True)
            first.focus()
            return
        if first.value != second.value:
            second.value = ""
            second.focus()
            self.say("The two passphrases differ: type it again in the second field.", error=True)
            return
        bits = estimate_bits(first.value)
        if bits < MIN_BITS and self.weak_confirmed < CONFIRMATIONS:
            self.weak_confirmed += 1
            self.say(
                f"Very weak passphrase: about {int(bits)} bits, below {MIN_BITS}. Whoever takes "
                "the vault file can guess it. Type a longer one, or press Enter again to use it "
                f"anyway ({self.weak_confirmed} of {CONFIRMATIONS}).",
                error=True,
            )
            return
        if self.params is None:
            self.say("Still measuring this computer: a moment, then press Enter again.")
            return
        passphrase = first.value
        first.value = second.value = ""
        self.add_class("-busy")
        for field in self.query(Input):
            field.disabled = True
        self.say("Creating the vault...")
        self.create(passphrase, region, self.params)

    @work(thread=True, exclusive=True, group="create")
    def create(self, passphrase: str, region: str, params: KdfParams) -> None:
        """Worker thread: write the header and the database."""
        try:
            vault = Vault.create(
                self.kith.vault_dir, passphrase, params=params,
                allow_weak=self.kith.allow_weak, region=region,
            )  # fmt: skip
        except KithError as error:
            self.app.call_from_thread(self._failed, error.message)
            return
        self.app.call_from_thread(self._done, vault)

    def _failed(self, message: str) -> None:
        self.remove_class("-busy")
        for field in self.query(Input):
            field.disabled = False
        self.query_one("#passphrase", Input).focus()
        self.say(message, error=True)

    def _done(self, vault: Vault) -> None:
        if not self.is_attached or self.kith.is_unlocked:
            vault.lock()
            return
        self.kith.unlocked(vault)
        self.kith.notify("Vault created. Ctrl+L locks it; Ctrl+P lists every command.")
