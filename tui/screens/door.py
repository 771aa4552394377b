"""Door mode: live sign-ups at an event, one person after another, on a screen others can see.

    name, email or phone, "agrees to hear about events" -> Enter -> cleared for the next person

Rules and reasons:
- The person is matched (email, else phone) or created, signed up and checked in by
  `EventRepository.quick_signup(..., checkin=True)`: the call `kith event quick --checkin` makes.
  Several contacts with that email or phone is refused (`AmbiguousContact`) rather than guessed.
- Consent is recorded only when the box is ticked, and only for what was asked at the door:
  news of events on the channel given (`email:events` for an email, `sms:events` for a phone),
  with its provenance: source "sign-up at EVENT", the words asked, the time. Through
  `vault.domain.preferences.change`, the call `kith prefs --allow` makes.
- Nothing of the previous person stays on screen: after each sign-up every field is emptied,
  the box unticked, and the confirmation names no one ("Signed up and checked in: a new
  contact. Next person."). The count of sign-ups is all that remains. An error is shown in
  the vault's words, which never repeat what was typed.
- The matcher (every contact's emails and phones) is built once when the screen opens, in a
  worker thread (it decrypts every contact); the form waits until it is ready.
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Horizontal, Vertical
from textual.widgets import Footer, Input, Static

from tui.safe_text import safe
from tui.screens.base import KithScreen
from tui.screens.profile import minute
from tui.widgets.tick_box import TickBox
from vault.api import Vault
from vault.domain.events import ContactMatcher, Event
from vault.domain.preferences import PreferenceChange
from vault.errors import KithError

__all__ = ["CONSENT_TEXT", "DoorScreen"]

CONSENT_TEXT = "Agrees to hear about events, by this email or phone"


class ConsentBox(TickBox):
    """The consent box: space ticks it, Enter signs up (as in the fields), not a second toggle."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "screen.save", "Sign up", show=False)]


class DoorScreen(KithScreen[None]):
    """Full-screen sign-up form for one event."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Leave door mode"),
        Binding("ctrl+s", "save", "Sign up", priority=True),
    ]
    AUTO_FOCUS = "#name"

    DEFAULT_CSS = """
    DoorScreen { align: center middle; }
    DoorScreen #box { width: 76; max-width: 100%; height: auto; border: thick $primary;
                      padding: 0 2; }
    DoorScreen #event { text-style: bold; }
    DoorScreen .row { height: 1; margin-top: 1; }
    DoorScreen .row Static { width: 18; }
    DoorScreen .row Input { width: 1fr; }
    DoorScreen ConsentBox { margin-top: 1; }
    DoorScreen #message { height: auto; min-height: 2; margin-top: 1; }
    """

    def __init__(self, vault: Vault, event: Event) -> None:
        super().__init__()
        self.vault = vault
        self.event = event
        self.matcher: ContactMatcher | None = None
        self.count = 0

    LABELS: ClassVar[dict[str, str]] = {"name": "Name", "reach": "Email or phone"}

    def _row(self, label: str, field: str, placeholder: str) -> Horizontal:
        return Horizontal(Static(Text(f"  {label}"), id=f"{field}-label"),
                          Input(placeholder=placeholder, id=field, compact=True, max_length=300),
                          classes="row")  # fmt: skip

    def on_descendant_focus(self) -> None:
        """Mark the field being typed in with `>`: seen without colour, and from across a table
        (and a script driving a real terminal can wait for it before typing on)."""
        for field, label in self.LABELS.items():
            mark = "> " if self.query_one(f"#{field}", Input).has_focus else "  "
            self.query_one(f"#{field}-label", Static).update(Text(mark + label))

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="box"):
            heading = Text("Sign-up at ")
            heading.append(safe(self.event.name, max_len=50))
            heading.append(f"   {minute(self.event.starts)} UTC", style="not bold")
            yield Static(heading, id="event")
            yield self._row(self.LABELS["name"], "name", "as they want to be called")
            yield self._row(self.LABELS["reach"], "reach", "one of them is enough")
            yield ConsentBox(CONSENT_TEXT, id="consent")
            yield Static(Text("Preparing: reading who is already in the vault..."),
                         id="message", classes="muted")  # fmt: skip
        yield Footer()

    def on_mount(self) -> None:
        """Build the matcher in the background; the form works once it is ready."""
        for field in self.query(Input):
            field.disabled = True
        self.prepare()

    @work(thread=True, exclusive=True, group="door")
    def prepare(self) -> None:
        """Worker thread: every contact's emails and phones, for matching."""
        matcher = ContactMatcher(self.vault.contacts.all())
        self.app.call_from_thread(self._ready, matcher)

    def _ready(self, matcher: ContactMatcher) -> None:
        self.matcher = matcher
        for field in self.query(Input):
            field.disabled = False
        self.query_one("#name", Input).focus()
        self.say("Enter (or Ctrl+S) signs the person up and checks them in; Escape leaves.")

    def say(self, message: str, *, error: bool = False) -> None:
        """The line under the form."""
        line = self.query_one("#message", Static)
        line.update(Text(message))
        line.set_class(error, "error")
        line.set_class(not error, "muted")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "name":
            self.query_one("#reach", Input).focus()
        else:
            self.action_save()

    def action_save(self) -> None:
        """Sign up and check in; record consent if ticked; clear the form."""
        if self.matcher is None:
            return
        name = self.query_one("#name", Input).value
        reach = self.query_one("#reach", Input).value.strip()
        email, phone = (reach, "") if "@" in reach else ("", reach)
        consent = self.query_one("#consent", TickBox).value
        try:
            done = self.vault.events.quick_signup(
                bytes.fromhex(self.event.id), self.vault.contacts, self.matcher,
                name=name, email=email, phone=phone, region=self.vault.region, checkin=True,
            )  # fmt: skip
            if consent:
                rule = "email:events" if email else "sms:events"
                change = PreferenceChange(
                    allow=(rule,), consent_source=f"sign-up at {self.event.name}",
                    consent_text=CONSENT_TEXT + f" ({rule})",
                )  # fmt: skip
                self.vault.preferences.change(
                    bytes.fromhex(done.contact.id), change, now=int(time.time())
                )
        except KithError as error:
            self.say(error.message, error=True)
            return
        self.count += 1
        how = "a new contact" if done.created else "already known"
        noted = "consent recorded" if consent else "no consent recorded"
        self.clear()
        self.say(f"Signed up and checked in: {how}, {noted}. Next person. "
                 f"({self.count} at this door so far)")  # fmt: skip

    def clear(self) -> None:
        """Empty every field and untick the box: nothing of the last person stays."""
        for field in self.query(Input):
            field.value = ""
        self.query_one("#consent", TickBox).value = False
        self.query_one("#name", Input).focus()

    def action_back(self) -> None:
        """Leave door mode."""
        self.dismiss(None)
