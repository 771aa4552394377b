"""Confirmations for what cannot be undone: deleting a contact, burning the vault.

- Delete is confirmed with a key (Y, or the Delete button); Cancel has the focus, so a stray Enter
  deletes nothing. The dialog says why it is permanent: the contact's key is destroyed.
- Burn needs the word BURN typed out, then shows what burn could not reach (`BURN_LIMITS`).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Horizontal, Vertical
from textual.widgets import Button, Footer, Header, Input, Static

from tui.safe_text import safe
from tui.screens.base import KithModal, KithScreen
from vault import BURN_LIMITS, burn
from vault.errors import KithError

__all__ = ["BurnScreen", "BurnedScreen", "DeleteScreen"]

_DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} #dialog {{
    width: 68; max-width: 100%; height: auto;
    border: thick $error; background: $surface; padding: 1 2;
}}
{name} #question {{ text-style: bold; margin-bottom: 1; }}
{name} #buttons {{ height: auto; margin-top: 1; align-horizontal: right; }}
{name} Button {{ margin-left: 2; }}
"""


class DeleteScreen(KithModal[bool]):
    """Are you sure? Dismisses with True to delete."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Delete"),
        Binding("n,escape", "answer(False)", "Cancel"),
    ]
    DEFAULT_CSS = _DIALOG_CSS.format(name="DeleteScreen")
    AUTO_FOCUS = "#cancel"

    def __init__(self, name: str) -> None:
        super().__init__()
        self.contact_name = name

    def compose(self) -> ComposeResult:
        question = Text("Delete ")
        question.append(safe(self.contact_name, max_len=40) or "this contact")
        question.append("?")
        with Vertical(id="dialog"):
            yield Static(question, id="question")
            yield Static(
                Text(
                    "This is permanent: the contact's key is destroyed, so nothing in this vault "
                    "can bring the contact back. Backups made earlier, and peers it was shared "
                    "with, still have their copies."
                )
            )
            with Horizontal(id="buttons"):
                yield Button("Delete (y)", variant="error", id="delete")
                yield Button("Cancel (n)", id="cancel")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "delete")

    def action_answer(self, yes: bool) -> None:
        """Answer with a key."""
        self.dismiss(yes)


class BurnScreen(KithModal[None]):
    """Type BURN to destroy the vault."""

    WORD = "BURN"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = _DIALOG_CSS.format(name="BurnScreen") + (
        "BurnScreen #message { height: auto; min-height: 1; }"  # wraps at 80 columns
    )
    AUTO_FOCUS = "#word"

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text("Burn this vault?"), id="question")
            yield Static(
                Text(
                    "Burn overwrites and deletes both copies of the vault header, the only place "
                    "its key is kept, then removes every file of the vault. Nothing can undo it, "
                    "and this computer will have no copy of these contacts left.\n\n"
                    f"Type {self.WORD} and press Enter to burn; Escape cancels."
                )
            )
            yield Input(placeholder=f"Type {self.WORD}", id="word", max_length=10)
            yield Static(Text(""), id="message", classes="error")

    def action_cancel(self) -> None:
        """Do nothing."""
        self.dismiss(None)

    @on(Input.Submitted, "#word")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value != self.WORD:
            self.query_one("#message", Static).update(
                Text(f"Not burned: type {self.WORD} exactly (capital letters), or press Escape.")
            )
            event.input.value = ""
            return
        app = self.kith
        app.close_vault()
        try:
            burn(app.vault_dir)
        except KithError as error:
            app.lock()
            app.notify(error.message, severity="error", timeout=20)
            return
        app.burned()


class BurnedScreen(KithScreen[None]):
    """After burn: what it did and what it could not do."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("q,escape", "app.quit", "Quit")]
    DEFAULT_CSS = """
    BurnedScreen { align: center middle; }
    BurnedScreen #box { width: 72; max-width: 100%; height: auto;
                        border: thick $error; padding: 1 2; }
    BurnedScreen #heading { text-style: bold; margin-bottom: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        with Center(), Vertical(id="box"):
            yield Static(Text("The vault is burned."), id="heading")
            yield Static(Text(BURN_LIMITS))
            yield Static(Text("\nPress Q to quit."), classes="muted")
        yield Footer()
