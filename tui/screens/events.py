"""Events: the list (soonest first), a new event, signing up or checking in the chosen contacts,
and door mode for live sign-ups (tui/screens/door.py).

Rules and reasons:
- Every change is the vault's call, as `kith event create|signup|checkin` makes it: capacity
  (a full event refuses a sign-up batch whole), check-in logged as an interaction, dates as the
  CLI reads them (`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, UTC).
- The contacts signed up or checked in are fixed when the screen opens: the marked ones, else
  the highlighted one; the heading says how many.
- Event names and places are user text through `safe`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Input, OptionList, Static

from tui.safe_text import safe
from tui.screens.base import KithModal, KithScreen
from tui.screens.profile import minute
from tui.widgets.columns import fit_cell
from vault.api import Vault
from vault.domain.events import Event, make_event
from vault.domain.values import parse_moment
from vault.errors import InvalidInput, KithError

__all__ = ["EventDialog", "EventsScreen"]


class EventsScreen(KithScreen[None]):
    """The events; sign up or check in the chosen contacts; open door mode."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back"),
        Binding("n", "create", "New"),
        Binding("s", "signup", "Sign up"),
        Binding("c", "checkin", "Check in"),
        Binding("o,enter", "door", "Door mode"),
        Binding("j", "cursor(1)", "Down", show=False),
        Binding("k", "cursor(-1)", "Up", show=False),
    ]
    AUTO_FOCUS = "#events"

    DEFAULT_CSS = """
    EventsScreen #heading { padding: 0 2; background: $panel; text-style: bold; }
    EventsScreen #events { height: 1fr; border: none; }
    EventsScreen #events:nocolor > .option-list--option-highlighted { text-style: reverse; }
    EventsScreen #message { padding: 0 2; height: auto; min-height: 1; }
    """

    def __init__(self, vault: Vault, contact_ids: list[str]) -> None:
        super().__init__()
        self.vault = vault
        self.contact_ids = contact_ids
        self.events: list[Event] = []

    def compose(self) -> ComposeResult:
        count = len(self.contact_ids)
        who = f"{count} contact" + ("" if count == 1 else "s")
        yield Header()
        yield Static(Text(f"Events   ({who} chosen: marked with space, or highlighted)"),
                     id="heading")  # fmt: skip
        yield OptionList(id="events")
        yield Static(Text(""), id="message")
        yield Footer()

    def on_mount(self) -> None:
        """List the events."""
        self.reload()

    def reload(self, keep: str | None = None) -> None:
        """Read the events again, keeping `keep` (or the highlighted one) highlighted."""
        current = self.current
        keep = keep if keep is not None else current.id if current is not None else None
        self.events = self.vault.events.all()
        options = self.query_one("#events", OptionList)
        prompts = [self._prompt(e) for e in self.events]
        if not prompts:
            prompts = [Text("No events yet: press n to create one.", style="dim")]
        options.set_options(prompts)
        ids = [e.id for e in self.events]
        options.highlighted = ids.index(keep) if keep in ids else 0

    @staticmethod
    def _prompt(event: Event) -> Text:
        text = Text(minute(event.starts) + "  ", end="")
        text.append(fit_cell(event.name, 24))
        text.append("  " + fit_cell(event.place, 12), style="dim")
        signed = f"{len(event.signups)}" + (f"/{event.capacity}" if event.capacity else "")
        text.append(f"  {signed} signed, {len(event.attended)} came", style="dim")
        return text

    @property
    def current(self) -> Event | None:
        """The highlighted event."""
        if not self.is_mounted or not self.events:
            return None
        index = self.query_one("#events", OptionList).highlighted
        return self.events[index] if index is not None and index < len(self.events) else None

    def say(self, message: str, *, error: bool = False) -> None:
        """One line under the list."""
        line = self.query_one("#message", Static)
        line.update(Text(message))
        line.set_class(error, "error")

    def action_back(self) -> None:
        """Back to the list."""
        self.dismiss(None)

    def action_cursor(self, step: int) -> None:
        """j / k."""
        options = self.query_one("#events", OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    @on(OptionList.OptionSelected, "#events")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_door()

    def _people(self, checkin: bool) -> None:
        event = self.current
        if event is None or not self.contact_ids:
            return
        people = [bytes.fromhex(c) for c in self.contact_ids]
        repo = self.vault.events
        try:
            if checkin:
                fresh = repo.checkin(bytes.fromhex(event.id), people)
            else:
                fresh = repo.signup(bytes.fromhex(event.id), people)
        except KithError as error:
            self.say(error.message, error=True)
            return
        what = "checked in" if checkin else "signed up"
        already = len(people) - len(fresh)
        self.say(f"{len(fresh)} {what}, {already} already, at {safe(event.name)}")
        self.reload(event.id)

    def action_signup(self) -> None:
        """Sign the chosen contacts up for the highlighted event."""
        self._people(checkin=False)

    def action_checkin(self) -> None:
        """Check the chosen contacts in at the highlighted event."""
        self._people(checkin=True)

    def action_create(self) -> None:
        """Ask for the event's details, then create it."""

        def made(event: Event | None) -> None:
            if event is not None:
                self.say(f"created event {safe(event.name)}")
                self.reload(event.id)

        self.app.push_screen(EventDialog(self.vault), made)

    def action_door(self) -> None:
        """Door mode for the highlighted event."""
        from tui.screens.door import DoorScreen

        event = self.current
        if event is not None:
            self.app.push_screen(DoorScreen(self.vault, event), lambda _: self.reload(event.id))

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """This screen's keys as palette entries."""
        return [
            ("New event", "Create an event (n)", self.action_create),
            ("Sign up", "Sign the chosen contacts up for the highlighted event (s)",
             self.action_signup),
            ("Check in", "Check the chosen contacts in at the highlighted event (c)",
             self.action_checkin),
            ("Door mode", "Live sign-ups at the door of the highlighted event (o)",
             self.action_door),
        ]  # fmt: skip


class EventDialog(KithModal[Event | None]):
    """Name, start, place, capacity; Enter creates (the vault validates), Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Create", priority=True),
    ]
    AUTO_FOCUS = "#name"
    DEFAULT_CSS = """
    EventDialog { align: center middle; }
    EventDialog #dialog { width: 70; max-width: 100%; height: auto; border: round $primary;
                          background: $surface; padding: 0 1; }
    EventDialog .row { height: 1; }
    EventDialog .row Static { width: 11; }
    EventDialog .row Input { width: 1fr; }
    EventDialog #message { height: auto; min-height: 1; }
    """

    def __init__(self, vault: Vault) -> None:
        super().__init__()
        self.vault = vault

    def _row(self, label: str, field: str, placeholder: str) -> Horizontal:
        return Horizontal(Static(Text(label)),
                          Input(placeholder=placeholder, id=field, compact=True, max_length=500),
                          classes="row")  # fmt: skip

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text("New event", style="bold"))
            yield self._row("Name", "name", "Spring assembly")
            yield self._row("Starts", "starts", "YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC")
            yield self._row("Place", "place", "optional")
            yield self._row("Capacity", "capacity", "optional: how many may sign up")
            yield Static(Text("Enter or Ctrl+S: create    Escape: cancel"), id="message",
                         classes="muted")  # fmt: skip

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in any field creates."""
        event.stop()
        self.action_save()

    def value(self, field: str) -> str:
        """What is typed in `field`."""
        return self.query_one(f"#{field}", Input).value.strip()

    def action_save(self) -> None:
        """Validate with the vault's rules, then create."""
        try:
            raw = self.value("capacity")
            if raw and not raw.isdigit():
                raise InvalidInput("(a capacity is a whole number)")
            draft = make_event(self.value("name"), parse_moment(self.value("starts")),
                               place=self.value("place"),
                               capacity=int(raw) if raw else None)  # fmt: skip
            made = self.vault.events.create(draft)
        except KithError as error:
            line = self.query_one("#message", Static)
            line.update(Text(error.message))
            line.add_class("error")
            return
        self.dismiss(made)

    def action_cancel(self) -> None:
        """Close without creating."""
        self.dismiss(None)
