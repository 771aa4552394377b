"""Log an interaction from the contact screen: `l`, the kind, Enter (a call, now).

Rules and reasons:
- Few keys for the common case: the kind field starts as "call", selected, so typing replaces
  it; any unique start of a kind is enough ("d" is donation, "m" meeting, "ca" call), and the
  field suggests the rest. The date is empty, meaning now; Enter in any field logs.
- Amount and currency appear only for a donation and the label only for a custom kind, because
  the vault refuses them anywhere else.
- Every rule is the vault's: the draft is built by `vault.domain.interactions.make_draft` (the same
  call as `kith log`) and its one-line error is shown in the dialog; nothing is written until
  it passes. The dialog never repeats what was typed in an error.
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Footer, Input, Static

from tui.safe_text import safe
from tui.screens.base import KithModal
from vault.api import Vault
from vault.domain.interactions import DIRECTIONS, KINDS, Interaction, make_draft
from vault.domain.model import Contact
from vault.domain.values import parse_moment
from vault.errors import KithError

__all__ = ["LogScreen", "complete_kind"]

FIELDS = ("kind", "when", "direction", "summary", "outcome", "campaign", "amount", "currency",
          "label")  # fmt: skip


def complete_kind(typed: str) -> str:
    """The kind `typed` names: itself, or the one kind it is the start of; else as typed (the
    vault then refuses it with its own message)."""
    word = typed.strip().lower().replace("_", "-")
    if word in KINDS:
        return word
    found = [k for k in KINDS if k.startswith(word)] if word else []
    return found[0] if len(found) == 1 else word


class LogScreen(KithModal[Interaction | None]):
    """Log one interaction with `contact`; dismisses with it, or None if cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Log it", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    AUTO_FOCUS = "#kind"

    DEFAULT_CSS = """
    LogScreen { align: center middle; }
    LogScreen #box {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; padding: 0 1; background: $surface;
    }
    LogScreen #heading { text-style: bold; }
    LogScreen .row { height: 1; margin: 0; }
    LogScreen .row Static { width: 11; }
    LogScreen .row Input { width: 1fr; }
    LogScreen #donation, LogScreen #custom { display: none; height: 1; }
    LogScreen.-donation #donation { display: block; }
    LogScreen.-custom #custom { display: block; }
    LogScreen #message { height: auto; min-height: 1; }
    """

    def __init__(self, vault: Vault, contact: Contact) -> None:
        super().__init__()
        self.vault = vault
        self.contact = contact

    def _row(self, label: str, field: str, value: str = "", placeholder: str = "") -> Horizontal:
        return Horizontal(
            Static(Text(label)),
            Input(value, placeholder=placeholder, id=field, compact=True, max_length=2000),
            classes="row",
        )

    def compose(self) -> ComposeResult:
        kinds = ", ".join(KINDS)
        with Vertical(id="box"):
            heading = Text("Log an interaction with ")
            heading.append(safe(self.contact.display_name(), max_len=40))
            yield Static(heading, id="heading")
            yield Static(Text(f"Kinds: {kinds}", style="dim"))
            yield self._row("Kind", "kind", "call")
            yield self._row("When", "when", "", "now (or YYYY-MM-DD, YYYY-MM-DDTHH:MM, UTC)")
            yield self._row("Direction", "direction", "", "out or in (optional)")
            yield self._row("Summary", "summary")
            yield self._row("Outcome", "outcome")
            yield self._row("Campaign", "campaign")
            with Horizontal(id="donation"):
                yield self._row("Amount", "amount", "", "25 or 12.50")
                yield self._row("Currency", "currency", "", "EUR")
            with Horizontal(id="custom"):
                yield self._row("Label", "label", "", "door knock, house meeting...")
            yield Static(Text("Enter or Ctrl+S: log it    Escape: cancel"), id="message",
                         classes="muted")  # fmt: skip
        yield Footer()

    def on_mount(self) -> None:
        """Kind field: suggest kinds, select the default so typing replaces it."""
        kind = self.query_one("#kind", Input)
        kind.suggester = SuggestFromList(KINDS, case_sensitive=False)
        kind.select_on_focus = True
        kind.focus()  # now, not at AUTO_FOCUS time: keys typed ahead must land in this field
        for name in ("donation", "custom"):  # the rows' own widths inside the hidden boxes
            self.query_one(f"#{name}").styles.height = 1

    @on(Input.Changed, "#kind")
    def _kind_changed(self, event: Input.Changed) -> None:
        kind = complete_kind(event.value)
        self.set_class(kind == "donation", "-donation")
        self.set_class(kind == "custom", "-custom")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in any field logs."""
        event.stop()
        self.action_save()

    def value(self, field: str) -> str:
        """What is typed in `field`."""
        return self.query_one(f"#{field}", Input).value

    def say(self, message: str, *, error: bool = False) -> None:
        """One line at the bottom of the dialog."""
        line = self.query_one("#message", Static)
        line.update(Text(message))
        line.set_class(error, "error")
        line.set_class(not error, "muted")

    def action_save(self) -> None:
        """Validate with the vault's rules, then log."""
        kind = complete_kind(self.value("kind"))
        donation, custom = kind == "donation", kind == "custom"
        try:
            when = self.value("when").strip()
            at = parse_moment(when) if when else int(time.time())
            direction = self.value("direction").strip().lower()
            if direction and direction not in DIRECTIONS and direction[:1] in ("i", "o"):
                direction = "in" if direction.startswith("i") else "out"
            draft = make_draft(
                kind, at, direction=direction, summary=self.value("summary"),
                outcome=self.value("outcome"), campaign=self.value("campaign"),
                label=self.value("label") if custom else "",
                amount=self.value("amount").strip() if donation else "",
                currency=self.value("currency").strip().upper() if donation else "",
            )  # fmt: skip
            done = self.vault.interactions.log(bytes.fromhex(self.contact.id), draft)
        except KithError as error:
            self.say(error.message, error=True)
            return
        moment = time.strftime("%Y-%m-%d %H:%M", time.gmtime(done.at))
        self.notify(f"Logged: {done.label or done.kind}, {moment} UTC.")
        self.dismiss(done)

    def action_cancel(self) -> None:
        """Close without logging."""
        self.dismiss(None)
