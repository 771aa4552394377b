"""Compose a message: channel, kind, audience, subject and body with merge fields.

    Ctrl+S  compose (checked, stored in the outbox), then the preview opens
    Escape  cancel (nothing stored)

Rules and reasons:
- The checks are `outreach.compose.compose`, the call `kith outreach new` makes: channel
  (email or SMS), kind (news, campaign, events, fundraising), every template strictly parsed
  (an unknown `{givn_name}` is refused here, not after 2,000 people got it), an email needs a
  subject, an SMS has none. A refusal is one line, the vault's words.
- An event is optional; with one, its name, date, time and place fill `{event_name}`... (as
  `--event ID`).
- The audience is a shared segment, a saved search, or the contacts marked on the main screen
  when the outreach screen opened (stored as their ids, as `--audience ID,ID,...`). A message
  that names nobody is refused here ("the audience is empty"), before it is stored.
- Composing resolves ids and segment names: a worker thread, so a large selection never
  blocks the screen. Nothing is sent from here.
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Select, Static, TextArea

from outreach.audience import candidates, parse_audience
from outreach.compose import Draft, compose
from outreach.outbox import Message
from tui.safe_text import safe
from tui.screens.base import KithModal
from tui.screens.posted import ReceivesPosted
from tui.screens.profile import minute
from vault.api import Vault
from vault.errors import InvalidInput, KithError

__all__ = ["ComposeDialog", "audience_choices"]

KINDS = ("news", "campaign", "events", "fundraising")
MERGE_HINT = ("Merge fields: {name} {given_name|friend} {family_name} {org} {city} {email} "
              "{phone} {field:KEY} {event_name}...; {{ and }} are braces")
SELECTION = "selection"
KEYS = "Ctrl+S: compose and preview    Escape: cancel"
HINTS = {
    "channel": "Channel: email, or SMS through your phone's gateway (Enter opens the list)",
    "kind": "Kind: what people consented to hear about (Enter opens the list)",
    "audience": "Audience: a segment, a saved search, or the marked (Enter opens the list)",
    "event": "Event: optional; fills the {event_...} fields (Enter opens the list)",
    "subject": "Subject: one line, email only. Enter: on to the body",
    "body": "Body: plain text with merge fields. Tab: out of the body",
}
"""The bottom line says which field has the focus and what it takes (and so a terminal shows
where the next key goes)."""


def audience_choices(vault: Vault, selection: list[str]) -> list[tuple[str, str]]:
    """(label, value) for each audience on offer: the marked, each segment, each saved search."""
    found: list[tuple[str, str]] = []
    if selection:
        found.append((f"The {len(selection):,} marked contact(s)", SELECTION))
    for segment in vault.segments.all():
        found.append((f"Segment: {safe(segment.name, max_len=40)} ({segment.contacts:,})",
                      "segment:" + segment.name))  # fmt: skip
    for saved in vault.saved_searches.all():
        found.append((f"Saved search: {safe(saved.name, max_len=40)}", "saved:" + saved.name))
    return found


class ComposeDialog(ReceivesPosted, KithModal[Message | None]):
    """The message's form; dismisses with the stored message, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Compose", priority=True),
    ]
    AUTO_FOCUS = "#audience"
    DEFAULT_CSS = """
    ComposeDialog { align: center middle; }
    ComposeDialog #dialog { width: 100; max-width: 100%; height: auto; max-height: 100%;
                            border: round $primary; background: $surface; padding: 0 1; }
    ComposeDialog .row { height: 1; }
    ComposeDialog .row Static { width: 10; }
    ComposeDialog .row Select { width: 1fr; }
    ComposeDialog #channel, ComposeDialog #kind { width: 1fr; max-width: 24; margin-right: 2; }
    ComposeDialog #subject { width: 1fr; }
    ComposeDialog #body { height: 7; }
    ComposeDialog #message { height: auto; min-height: 1; }
    """

    def __init__(self, vault: Vault, selection: list[str]) -> None:
        super().__init__()
        self.vault = vault
        self.selection = selection
        self.busy = False
        self.choices = audience_choices(vault, selection)
        self.events = [("none ({event_...} fields stay empty)", "")] + [
            (f"{minute(e.starts)}  {safe(e.name, max_len=50)}", e.id) for e in vault.events.all()
        ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text("Compose a message (nothing is sent until you send it)",
                              style="bold"))  # fmt: skip
            with Horizontal(classes="row"):
                yield Static(Text("Channel"))
                yield Select([("email", "email"), ("sms", "sms")], value="email",
                             allow_blank=False, compact=True, id="channel")  # fmt: skip
                yield Static(Text("Kind"))
                yield Select([(k, k) for k in KINDS], value="news", allow_blank=False,
                             compact=True, id="kind")  # fmt: skip
            with Horizontal(classes="row"):
                yield Static(Text("Audience"))
                if self.choices:
                    yield Select(self.choices, value=self.choices[0][1], allow_blank=False,
                                 compact=True, id="audience")  # fmt: skip
                else:
                    yield Select([], prompt="no segment, saved search or marked contact",
                                 compact=True, id="audience")  # fmt: skip
            with Horizontal(classes="row"):
                yield Static(Text("Event"))
                yield Select(self.events, value="", allow_blank=False, compact=True,
                             id="event")  # fmt: skip
            with Horizontal(classes="row"):
                yield Static(Text("Subject"))
                yield Input(placeholder="email only; merge fields allowed", id="subject",
                            compact=True, max_length=500)  # fmt: skip
            yield TextArea(id="body", placeholder="Body: Dear {given_name|friend}, ...",
                           soft_wrap=True, tab_behavior="focus")  # fmt: skip
            yield Static(Text(MERGE_HINT), classes="muted")
            yield Static(Text(KEYS), id="message", classes="muted")

    def on_mount(self) -> None:
        """Focus the audience before the first paint (AUTO_FOCUS comes after it, so keys typed
        as soon as the dialog shows would go nowhere)."""
        self.query_one("#audience", Select).focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Say what the focused field takes."""
        hint = HINTS.get(event.widget.id or "")
        if hint is not None and not self.busy:
            self.say(f"{hint}.    {KEYS}")

    def say(self, message: str, *, error: bool = False) -> None:
        """The line at the bottom."""
        line = self.query_one("#message", Static)
        line.update(Text(safe(message)))
        line.set_class(error, "error")

    @on(Select.Changed, "#channel")
    def _channel(self, event: Select.Changed) -> None:
        """An SMS has no subject: the field is switched off for it."""
        subject = self.query_one("#subject", Input)
        subject.disabled = event.value == "sms"
        if subject.disabled:
            subject.value = ""

    @on(Input.Submitted, "#subject")
    def _subject_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#body", TextArea).focus()

    def draft(self) -> Draft:
        """What the form says (unchecked)."""
        audience = self.query_one("#audience", Select).value
        if not isinstance(audience, str):
            raise InvalidInput("(choose an audience: mark contacts with space, or make a "
                               "segment or a saved search)")  # fmt: skip
        if audience == SELECTION:
            audience = ",".join(self.selection)
        channel = str(self.query_one("#channel", Select).value)
        subject = self.query_one("#subject", Input).value
        if channel == "email" and not subject.strip():
            raise InvalidInput("(an email needs a subject)")
        return Draft(channel, str(self.query_one("#kind", Select).value), audience,
                     self.query_one("#body", TextArea).text, subject,
                     event=str(self.query_one("#event", Select).value))  # fmt: skip

    def action_save(self) -> None:
        """Check the form, then compose in a worker thread."""
        if self.busy:
            return
        try:
            draft = self.draft()
        except KithError as error:
            self.say(error.message, error=True)
            return
        self.busy = True
        self.say("Checking the templates and the audience...")
        self._store(draft)

    @work(thread=True, exclusive=True, group="compose")
    def _store(self, draft: Draft) -> None:
        def store() -> object:
            audience = parse_audience(self.vault, draft.audience)
            if not candidates(self.vault, audience, int(time.time())):
                raise InvalidInput("(the audience is empty: nobody is in it)")
            return compose(self.vault, draft)

        self.post_result(store, self.dismiss, self._refused)

    def _refused(self, message: str) -> None:
        self.busy = False
        self.say(message, error=True)

    def action_cancel(self) -> None:
        """Close without composing."""
        self.dismiss(None)
