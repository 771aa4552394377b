"""Who may I contact: for a channel and a kind of message, who may be reached and who may not,
each with the reason. `kith may-contact` lists only the first group; here nobody is dropped
silently.

Rules and reasons:
- The answer is the vault's: `outreach.audience.resolve`, the same call an outreach
  preview makes, so this screen and a send can never disagree. Its reasons, in order:
  no consent recorded (opt-in), do-not-contact, no consent for CHANNEL:KIND, frequency limit
  (shown with the date it lifts, from the activity index's last outbound message), no address
  on that channel.
- The people asked about are the marked contacts, else every contact the list shows (the
  filter and tag), so "who of the press list may I SMS about events?" is a filter away.
- Resolution opens every contact asked about (for addresses): a worker thread, with the
  screen saying so. At most `SHOWN` people per group are drawn; the counts are always whole.
- Names and addresses are user text through `safe`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import Footer, Header, Input, Static

from outreach.audience import Resolution, resolve
from tui.phone_display import readable_phone
from tui.safe_text import safe
from tui.screens.base import KithScreen
from tui.screens.profile import day
from vault.api import Vault
from vault.domain.preferences import (
    CHANNELS,
    FREQUENCIES,
    MESSAGE_KINDS,
    check_channel,
    check_message_kind,
)
from vault.errors import KithError

__all__ = ["WhoMayScreen", "until_note"]

SHOWN = 300
"""People drawn per group (the counts are always complete)."""


def until_note(vault: Vault, contact_id: str, reason: str) -> str:
    """The reason, with the date a frequency limit lifts."""
    if not reason.startswith("frequency limit"):
        return reason
    index = vault.activity_index()
    prefs, last = index.prefs.get(contact_id), index.last_out.get(contact_id)
    if prefs is None or last is None or prefs.max_frequency not in FREQUENCIES:
        return reason
    return f"{reason} reached until {day(last + FREQUENCIES[prefs.max_frequency])}"


def result_tables(vault: Vault, found: Resolution) -> tuple[Table, Table]:
    """(may, may not) as two grids of name and address, or name and reason."""
    may = Table.grid(padding=(0, 2), expand=True)
    may.add_column(ratio=1, no_wrap=True)
    may.add_column(ratio=1, no_wrap=True)
    for recipient in found.recipients[:SHOWN]:
        address = recipient.address.replace("\n", ", ")
        shown = readable_phone(address) if address.startswith("+") else address
        may.add_row(Text(safe(recipient.contact.display_name())), Text(safe(shown)))
    not_ = Table.grid(padding=(0, 2), expand=True)
    not_.add_column(ratio=1, no_wrap=True)
    not_.add_column(ratio=1)
    for excluded in found.excluded[:SHOWN]:
        reason = until_note(vault, excluded.contact.id, excluded.reason)
        style = "bold" if reason == "do-not-contact" else ""
        not_.add_row(Text(safe(excluded.contact.display_name())), Text(reason, style=style))
    return may, not_


class WhoMayScreen(KithScreen[None]):
    """Channel and kind in; who may and who may not, with reasons, out."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]
    AUTO_FOCUS = "#channel"

    DEFAULT_CSS = """
    WhoMayScreen #heading { padding: 0 2; background: $panel; text-style: bold; }
    WhoMayScreen #ask { height: 1; margin: 1 2 0 2; }
    WhoMayScreen #ask Static { width: auto; margin-right: 1; }
    WhoMayScreen #ask Input { width: 18; margin-right: 2; }
    WhoMayScreen #status { padding: 0 2; }
    WhoMayScreen #results { height: 1fr; padding: 0 2; }
    WhoMayScreen .section { text-style: bold; margin-top: 1; }
    """

    def __init__(self, vault: Vault, contact_ids: list[str], what: str) -> None:
        super().__init__()
        self.vault = vault
        self.contact_ids = contact_ids
        self.what = what
        self.result: Resolution | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(f"Who may I contact?   Asking about {self.what}"), id="heading")
        with Horizontal(id="ask"):
            yield Static(Text("Channel"))
            yield Input("email", id="channel", compact=True, select_on_focus=True,
                        suggester=SuggestFromList(CHANNELS))  # fmt: skip
            yield Static(Text("Kind"))
            yield Input("news", id="kind", compact=True, select_on_focus=True,
                        suggester=SuggestFromList(MESSAGE_KINDS))  # fmt: skip
        yield Static(Text(f"Channels: {', '.join(CHANNELS)}. Kinds: {', '.join(MESSAGE_KINDS)}."
                          "  Enter: ask.", style="dim"), id="status")  # fmt: skip
        with VerticalScroll(id="results"):
            yield Static(Text(""), id="may-title", classes="section")
            yield Static(Text(""), id="may")
            yield Static(Text(""), id="maynot-title", classes="section")
            yield Static(Text(""), id="maynot")
        yield Footer()

    def say(self, message: str, *, error: bool = False) -> None:
        """The line under the question."""
        line = self.query_one("#status", Static)
        line.update(Text(message))
        line.set_class(error, "error")

    @on(Input.Submitted)
    def _ask(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "channel":
            self.query_one("#kind", Input).focus()
            return
        self.ask()

    def ask(self) -> None:
        """Resolve in a worker thread."""
        channel = self.query_one("#channel", Input).value
        kind = self.query_one("#kind", Input).value
        self.say("Checking consent, do-not-contact, frequency limits and addresses...")
        self.resolve(channel, kind)

    @work(thread=True, exclusive=True, group="may-contact")
    def resolve(self, channel: str, kind: str) -> None:
        """Worker thread: the vault's answer, and the tables drawn from it."""
        audience = "ids:" + ",".join(self.contact_ids)
        try:
            channel, kind = check_channel(channel), check_message_kind(kind)  # resolve does not
            found = resolve(self.vault, audience, channel, kind, int(time.time()))
            tables = result_tables(self.vault, found)
        except KithError as error:
            self.app.call_from_thread(self.failed, error.message)
            return
        self.app.call_from_thread(self.show, found, tables, f"{channel.strip()}:{kind.strip()}")

    def failed(self, message: str) -> None:
        """Say why the vault refused the question (an unknown channel or kind)."""
        self.say(message, error=True)

    def show(self, found: Resolution, tables: tuple[Table, Table], asked: str) -> None:
        """Put the answer on screen."""
        self.result = found
        may, not_ = len(found.recipients), len(found.excluded)

        def title(text: str, count: int) -> Text:
            more = f" (the first {SHOWN} shown)" if count > SHOWN else ""
            return Text(f"{text} ({count:,}){more}", end="")

        self.query_one("#may-title", Static).update(title(f"May be contacted, {asked}", may))
        self.query_one("#may", Static).update(tables[0] if may else Text("Nobody.", style="dim"))
        self.query_one("#maynot-title", Static).update(title("May NOT be contacted", not_))
        self.query_one("#maynot", Static).update(
            tables[1] if not_ else Text("Nobody.", style="dim")
        )
        self.say(f"{may:,} may, {not_:,} may not, of {may + not_:,} asked about.")

    def action_scroll(self, step: int) -> None:
        """j / k scroll the answer."""
        self.query_one("#results", VerticalScroll).scroll_relative(y=step, animate=False)

    def action_back(self) -> None:
        """Back to the list."""
        self.dismiss(None)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """Palette entries."""
        return [("Ask again", "Who may be contacted on this channel about this kind", self.ask)]
