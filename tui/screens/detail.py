"""The contact screen: whether the person may be contacted (first, always visible), every field,
relationships, stance, events, consent log and the paged history; E edits, D deletes, L logs.

Each value is user text: it is sanitized line by line with `tui.safe_text.safe` and put in a
`rich.text.Text` cell of a grid, never parsed as markup. Times are shown in UTC, to the minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from tui.phone_display import readable_phone
from tui.safe_text import safe
from tui.screens.base import KithScreen
from tui.screens.profile import (
    Profile,
    history_table,
    history_title,
    load_profile,
    organizing_table,
    page_count,
    safety_lines,
)
from tui.screens.roster import Roster
from vault.domain.model import Address, Contact
from vault.errors import NotFound

__all__ = ["DetailScreen", "contact_table"]

LABEL_WIDTH = 14


def _when(epoch: int) -> str:
    if not epoch:
        return ""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _lines(*values: str) -> Text:
    """Safe lines of user text, one per value (a value's own line breaks are kept as lines)."""
    out: list[str] = []
    for value in values:
        out.extend(safe(line) for line in value.splitlines() or [""])
    return Text("\n".join(out), end="")


def _labelled(label: str, value: str) -> str:
    return f"{label}: {value}" if label else value


def address_line(address: Address) -> str:
    """One address on one line: street, postcode city, region, country."""
    city = " ".join(p for p in (address.postal_code, address.locality) if p)
    return ", ".join(p for p in (address.street, city, address.region, address.country) if p)


def contact_table(contact: Contact) -> Table:
    """A two-column grid of every field of `contact` (empty fields show a dash)."""
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(width=LABEL_WIDTH, style="bold", no_wrap=True)
    grid.add_column(ratio=1)
    phones = [
        _labelled(p.label, readable_phone(p.value))
        + (f"  ({p.value})" if p.valid else "  (kept as typed: not a valid number)")
        for p in contact.phones
    ]
    rows: list[tuple[str, list[str]]] = [
        ("Name", [contact.name]),
        ("Given name", [contact.given_name]),
        ("Family name", [contact.family_name]),
        ("Organization", [contact.org]),
        ("Role", [contact.role]),
        ("Emails", [_labelled(e.label, e.value) for e in contact.emails]),
        ("Phones", phones),
        ("Addresses", [_labelled(a.label, address_line(a)) for a in contact.addresses]),
        ("Languages", [", ".join(contact.languages)]),
        ("Tags", [", ".join(contact.tags)]),
        ("Segments", [", ".join(contact.segments)]),
        ("Fields", [f"{key} = {value}" for key, value in contact.fields]),
        ("Notes", [contact.notes]),
        ("Created", [_when(contact.created)]),
        ("Updated", [_when(contact.updated)]),
    ]
    for label, values in rows:
        present = [v for v in values if v]
        cell = _lines(*present) if present else Text("-", style="dim", end="")
        grid.add_row(Text(label, end=""), cell)
    return grid


class DetailScreen(KithScreen[tuple[str, str] | None]):
    """One contact. Dismisses with ("edited", id), ("delete", id) or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back"),
        Binding("e", "edit", "Edit"),
        Binding("l", "log", "Log"),
        Binding("right_square_bracket", "page(1)", "Older"),
        Binding("left_square_bracket", "page(-1)", "Newer"),
        Binding("d,delete", "delete", "Delete"),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]

    DEFAULT_CSS = """
    DetailScreen #card { padding: 0 2; height: 1fr; }
    DetailScreen #title { text-style: bold; padding: 0 2; background: $panel; width: 1fr; }
    DetailScreen #safety { padding: 0 2; height: auto; max-height: 6; }
    DetailScreen .section { text-style: bold; margin-top: 1; }
    """

    def __init__(self, roster: Roster, contact_id: str) -> None:
        super().__init__()
        self.roster = roster
        self.contact_id = contact_id
        self.contact: Contact | None = None
        self.profile: Profile | None = None
        self.page = 0
        self.edited = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(""), id="title")
        yield Static(Text(""), id="safety")
        with VerticalScroll(id="card"):
            yield Static(Text(""), id="fields")
            yield Static(Text("Organizing"), classes="section")
            yield Static(Text(""), id="organizing")
            yield Static(Text(""), id="history-title", classes="section")
            yield Static(Text(""), id="history")
        yield Footer()

    def on_mount(self) -> None:
        """Decrypt the contact and what is around it, and show it."""
        if self.load():
            self.query_one("#card").focus()

    def load(self) -> bool:
        """(Re)read the contact and its profile from the vault; False if it is gone."""
        try:
            self.contact = self.roster.get(self.contact_id)
            self.profile = load_profile(self.roster.vault, self.contact)
        except NotFound:
            self.notify("That contact no longer exists.", severity="warning")
            self.dismiss(None)
            return False
        self.page = min(self.page, page_count(self.profile) - 1)
        self.render_contact()
        return True

    def render_contact(self) -> None:
        """(Re)draw everything."""
        if self.contact is None or self.profile is None:
            return
        title = Text(safe(self.contact.display_name(), max_len=200), end="")
        title.append(f"   id {self.profile.short_id}", style="not bold")
        self.query_one("#title", Static).update(title)
        self.query_one("#safety", Static).update(safety_lines(self.profile, int(time.time())))
        self.query_one("#fields", Static).update(contact_table(self.contact))
        self.query_one("#organizing", Static).update(organizing_table(self.profile))
        self.render_history()

    def render_history(self) -> None:
        """Draw the current page of the history."""
        if self.profile is None:
            return
        self.query_one("#history-title", Static).update(
            Text(history_title(self.profile, self.page), end="")
        )
        self.query_one("#history", Static).update(history_table(self.profile, self.page))

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """This screen's keys as palette entries."""
        return [
            ("Log an interaction", "A call, meeting, donation... with this contact (l)",
             self.action_log),
            ("Older history", "The next page of this contact's history (])",
             lambda: self.action_page(1)),
            ("Newer history", "The previous page of this contact's history ([)",
             lambda: self.action_page(-1)),
            ("Edit contact", "Edit this contact (e)", self.action_edit),
            ("Delete contact", "Delete this contact, after confirmation (d)", self.action_delete),
        ]  # fmt: skip

    def action_page(self, step: int) -> None:
        """Show the next older (1) or newer (-1) page of the history."""
        if self.profile is None:
            return
        page = max(0, min(self.page + step, page_count(self.profile) - 1))
        if page != self.page:
            self.page = page
            self.render_history()
            self.query_one("#history-title").scroll_visible(top=True, animate=False)

    def action_scroll(self, step: int) -> None:
        """j / k: scroll the card a line."""
        card = self.query_one("#card", VerticalScroll)
        card.scroll_relative(y=step, animate=False)

    def action_back(self) -> None:
        """Back to the list."""
        self.dismiss(("edited", self.contact_id) if self.edited else None)

    def action_edit(self) -> None:
        """Edit this contact."""
        from tui.screens.edit import EditScreen

        if self.contact is not None:
            self.app.push_screen(EditScreen(self.roster, self.contact), self._after_edit)

    def _after_edit(self, contact: Contact | None) -> None:
        if contact is not None:
            self.contact = contact
            self.edited = True
            self.load()

    def action_log(self) -> None:
        """Log an interaction with this contact."""
        from tui.screens.log_interaction import LogScreen

        if self.contact is not None:
            self.app.push_screen(LogScreen(self.roster.vault, self.contact), self._after_log)

    def _after_log(self, logged: object) -> None:
        if logged is not None:
            self.page = 0
            self.load()

    def action_delete(self) -> None:
        """Delete this contact, after confirmation."""
        from tui.screens.confirm import DeleteScreen

        if self.contact is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.dismiss(("delete", self.contact_id))

        self.app.push_screen(DeleteScreen(self.contact.display_name()), confirmed)
