"""The add / edit form: every field of a contact; Ctrl+S saves, Escape cancels.

Single-line fields are `Input`s; emails, phones, addresses, tags, custom fields and notes are
`TextArea`s with one item per line (the formats are in `tui.screens.form`). A problem is shown
under the field it is about, in one line from the vault's error, and that field gets the focus;
nothing is saved until every field is right.

Fields refuse control characters as they are typed or pasted (the filter box does the same), so
what the form shows is what gets stored.
"""

from __future__ import annotations

import re
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Footer, Header, Input, Static, TextArea

from tui.screens.base import KithScreen
from tui.screens.form import FieldError, form_texts, parse_form
from tui.screens.roster import Roster
from vault.domain.model import Contact
from vault.errors import KithError

__all__ = ["EditScreen"]

_NO_CONTROLS = r"[^\x00-\x1f\x7f-\x9f]*"
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# (field, label, hint); single-line fields first, as on a paper form.
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("name", "Name", "as you write it; or leave empty to use given + family name"),
    ("given_name", "Given name", ""),
    ("family_name", "Family name", ""),
    ("org", "Organization", ""),
    ("role", "Role", ""),
    ("emails", "Emails", "one per line; a label may come first: work: ana@example.org"),
    ("phones", "Phones", "one per line, +country code; a label may come first: mobile: +336..."),
    ("addresses", "Addresses", "one per line: street; city; region; postcode; country"),
    ("languages", "Languages", "comma-separated"),
    ("tags", "Tags", "one per line"),
    ("fields", "Custom fields", "one per line: KEY=VALUE"),
    ("notes", "Notes", ""),
)
MULTI = frozenset({"emails", "phones", "addresses", "tags", "fields", "notes"})


class FormArea(TextArea):
    """A `TextArea` that drops control characters (but not line breaks) from pastes."""

    async def _on_paste(self, event: events.Paste) -> None:
        event.text = _CONTROLS.sub("", event.text.replace("\t", " "))
        await super()._on_paste(event)


class EditScreen(KithScreen[Contact | None]):
    """Edit a contact, or add one (`contact` None). Dismisses with the saved contact or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    DEFAULT_CSS = """
    EditScreen #title { text-style: bold; padding: 0 2; background: $panel; width: 1fr; }
    EditScreen #form { height: 1fr; padding: 0 1; }
    EditScreen .row { height: auto; margin-top: 1; }
    EditScreen .label { width: 15; padding: 0 1 0 0; text-style: bold; }
    EditScreen .hint { color: $text-muted; padding: 0 0 0 15; height: auto; }
    EditScreen .field-error { color: $text-error; text-style: bold; padding: 0 0 0 15;
                              height: auto; display: none; }
    EditScreen .field-error:nocolor { text-style: bold reverse; }
    EditScreen .field-error.-shown { display: block; }
    EditScreen Input { width: 1fr; }
    EditScreen FormArea { width: 1fr; height: 3; }
    EditScreen #notes { height: 5; }
    EditScreen Input:focus, EditScreen FormArea:focus { background: $boost; }
    EditScreen Input:nocolor:focus, EditScreen FormArea:nocolor:focus { text-style: underline; }
    EditScreen #summary { height: 1; padding: 0 2; }
    """

    def __init__(self, roster: Roster, contact: Contact | None) -> None:
        super().__init__()
        self.roster = roster
        self.contact = contact

    def compose(self) -> ComposeResult:
        texts = form_texts(self.contact.draft() if self.contact else None)
        title = "Edit contact" if self.contact else "New contact"
        yield Header()
        yield Static(Text(f"{title}    Ctrl+S: save    Escape: cancel"), id="title")
        with VerticalScroll(id="form", can_focus=False):
            for field, label, hint in FIELDS:
                with Horizontal(classes="row"):
                    yield Static(Text(label), classes="label")
                    if field in MULTI:
                        yield FormArea(texts[field], id=field, soft_wrap=True, compact=True)
                    else:
                        yield Input(texts[field], id=field, restrict=_NO_CONTROLS,
                                    select_on_focus=False, compact=True)  # fmt: skip
                if hint:
                    yield Static(Text(hint), classes="hint")
                yield Static(Text(""), id=f"{field}-error", classes="field-error")
        yield Static(Text(""), id="summary", classes="error")
        yield Footer()

    def on_mount(self) -> None:
        """Start in the name field."""
        self.query_one("#name", Input).focus()

    def texts(self) -> dict[str, str]:
        """What every field holds now."""
        out: dict[str, str] = {}
        for field, _label, _hint in FIELDS:
            widget = self.query_one(f"#{field}", Widget)
            out[field] = widget.text if isinstance(widget, TextArea) else widget.value  # type: ignore[attr-defined]
        return out

    def show_error(self, field: str | None, message: str) -> None:
        """One message under `field` (and a summary line); None clears every message."""
        for error in self.query(".field-error"):
            error.remove_class("-shown")
        summary = self.query_one("#summary", Static)
        if field is None:
            summary.update(Text(""))
            return
        line = self.query_one(f"#{field}-error", Static)
        line.update(Text(message))
        line.add_class("-shown")
        summary.update(Text("Not saved: see the message under the field."))
        self.query_one(f"#{field}", Widget).focus()
        line.scroll_visible(animate=False)

    def action_save(self) -> None:
        """Validate, then store (and re-index) the contact."""
        vault = self.roster.vault
        original = self.contact.draft() if self.contact else None
        try:
            draft = parse_form(self.texts(), original, vault.region)
        except FieldError as error:
            self.show_error(error.field, error.message)
            return
        try:
            if self.contact is None:
                saved = self.roster.add(draft)
            elif draft == original:
                saved = self.contact
            else:
                saved = self.roster.update(self.contact.id, draft, base=original)
        except KithError as error:
            self.show_error("name", error.message)
            return
        self.show_error(None, "")
        self.notify("Saved.")
        if self.roster.sync_warning:
            self.notify(self.roster.sync_warning, severity="warning")
        self.dismiss(saved)

    def action_cancel(self) -> None:
        """Leave without saving."""
        self.dismiss(None)
