"""Preview a message: how many receive it, who is excluded and why, and a rendered sample.

    s       send it (the send screen opens)
    Escape  back

Rules and reasons:
- The answer is `kith outreach preview`'s: `outreach.audience.resolve` for recipients and
  exclusions (no consent recorded, do-not-contact, no consent for CHANNEL:KIND, frequency
  limit reached until DATE, no address), `outreach.compose.Renderer` for the sample (footer
  included) and for the merge fields that would come out empty. The same call the send makes
  when it freezes the audience, so the preview and the send cannot disagree (a change of
  consent in between is caught again at each recipient's turn, see outreach/sender.py).
- The excluded come first: "who will NOT get it, and why" is what an organizer must check.
- Resolution opens every contact of the audience: a worker thread. At most `SHOWN` people per
  group are drawn; the counts are always complete. Names, addresses and the sample are user
  text through `safe`, line by line (a body cannot restyle the screen).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from outreach.audience import Resolution, resolve
from outreach.compose import Renderer
from outreach.config import OutreachConfig
from outreach.outbox import Message
from tui.phone_display import readable_phone
from tui.safe_text import safe
from tui.screens.base import KithScreen
from tui.screens.may_contact import SHOWN, until_note
from tui.screens.posted import ReceivesPosted
from tui.widgets.columns import fit_cell
from vault.api import Vault
from vault.errors import NotFound

__all__ = ["Preview", "PreviewScreen", "build_preview", "describe"]


@dataclass(frozen=True)
class Preview:
    """What the screen shows, computed in the worker thread."""

    found: Resolution
    tables: tuple[Text, Text]
    """(recipients, excluded) as pre-rendered lines: name, then address or reason."""
    sample: Text
    empty: int
    """Recipients for whom some merge field (without a default) would be empty."""


def describe(message: Message) -> str:
    """One line naming a message: channel, kind, audience, subject."""
    subject = f' "{message.subject}"' if message.subject else ""
    audience = message.audience
    if audience.startswith("ids:"):  # the marked contacts: their ids say nothing to a person
        count = len([c for c in audience[4:].split(",") if c])
        audience = f"{count:,} chosen contact" + ("" if count == 1 else "s")
    return f"{message.channel}, {message.kind}, to {audience}{subject}"


def unsubscribe_of(vault: Vault, message: Message) -> str:
    """The configured unsubscribe address (email), or "" (not configured: preview works)."""
    if message.channel != "email":
        return ""
    try:
        return OutreachConfig.of(vault).email().unsubscribe
    except NotFound:
        return ""


NAME_CELLS = 30


def people_lines(vault: Vault, found: Resolution) -> tuple[Text, Text]:
    """(recipients, excluded): one line each, the name in a fixed column, at most `SHOWN`.

    Plain lines built in the worker thread, not a rich `Table`: a 300-row table costs the UI
    thread about 27 ms each time it is laid out (bench/bench_tui_outreach.py), lines about 6.
    """
    may = Text(no_wrap=True, overflow="ellipsis", end="")
    for recipient in found.recipients[:SHOWN]:
        address = recipient.address.replace("\n", ", ")
        shown = readable_phone(address) if address.startswith("+") else address
        may.append(fit_cell(recipient.contact.display_name(), NAME_CELLS) + "  ")
        may.append(safe(shown) + "\n")
    not_ = Text(no_wrap=True, overflow="ellipsis", end="")
    for excluded in found.excluded[:SHOWN]:
        reason = until_note(vault, excluded.contact.id, excluded.reason)
        not_.append(fit_cell(excluded.contact.display_name(), NAME_CELLS) + "  ")
        not_.append(reason + "\n", style="bold" if reason == "do-not-contact" else "")
    may.rstrip()
    not_.rstrip()
    return may, not_


def build_preview(vault: Vault, message: Message, now: int) -> Preview:
    """Resolve and render, as `kith outreach preview` does."""
    found = resolve(vault, message.audience, message.channel, message.kind, now)
    renderer = Renderer(vault, message, unsubscribe_of(vault, message))
    empty = sum(1 for r in found.recipients if renderer.empty_fields(r.contact, r.address))
    sample = Text()
    if found.recipients:
        first = found.recipients[0]
        rendered = renderer.render(first.contact, first.address)
        sample.append(f"To: {safe(first.address)}\n", style="bold")
        if rendered.subject:
            sample.append(f"Subject: {safe(rendered.subject)}\n", style="bold")
        sample.append("\n".join(safe(line) for line in rendered.text.splitlines()))
    else:
        sample.append("Nobody would receive it: nothing to render.", style="dim")
    return Preview(found, people_lines(vault, found), sample, empty)


class PreviewScreen(ReceivesPosted, KithScreen[bool]):
    """Counts, exclusions with reasons, a sample; dismisses True to send."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back"),
        Binding("s", "send", "Send"),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]
    AUTO_FOCUS = "#results"

    DEFAULT_CSS = """
    PreviewScreen #heading { padding: 0 2; background: $panel; text-style: bold; }
    PreviewScreen #status { padding: 0 2; height: auto; }
    PreviewScreen #results { height: 1fr; padding: 0 2; }
    PreviewScreen .section { text-style: bold; margin-top: 1; }
    PreviewScreen #sample { border: round $primary; padding: 0 1; height: auto; }
    """

    def __init__(self, vault: Vault, message: Message) -> None:
        super().__init__()
        self.vault = vault
        self.message = message
        self.preview: Preview | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(safe(f"Preview: {describe(self.message)}", max_len=200)),
                     id="heading")  # fmt: skip
        yield Static(Text("Checking consent, do-not-contact, frequency limits and addresses..."),
                     id="status")  # fmt: skip
        with VerticalScroll(id="results"):
            yield Static(Text(""), id="excluded-title", classes="section")
            yield Static(Text(""), id="excluded")
            yield Static(Text("Sample (the first recipient)"), classes="section")
            yield Static(Text(""), id="sample")
            yield Static(Text(""), id="recipients-title", classes="section")
            yield Static(Text(""), id="recipients")
        yield Footer()

    def on_mount(self) -> None:
        """Resolve in a worker thread."""
        self._build()

    @work(thread=True, exclusive=True, group="preview")
    def _build(self) -> None:
        self.post_result(lambda: build_preview(self.vault, self.message, int(time.time())),
                         self._show, self._failed)

    def _failed(self, message: str) -> None:
        line = self.query_one("#status", Static)
        line.update(Text(safe(message)))
        line.add_class("error")

    def _show(self, preview: Preview) -> None:
        self.preview = preview
        may, not_ = len(preview.found.recipients), len(preview.found.excluded)

        def title(text: str, count: int) -> Text:
            more = f" (the first {SHOWN} shown)" if count > SHOWN else ""
            return Text(f"{text} ({count:,}){more}", end="")

        status = Text(f"{may:,} will receive it, {not_:,} excluded, of {may + not_:,} in the "
                      "audience.", style="bold")  # fmt: skip
        if self.message.frozen:
            status.append("  Already sent once: send works through the list frozen then.")
        if preview.empty:
            status.append(f"  {preview.empty:,} with an empty merge field (give a default: "
                          "{given_name|friend}).")  # fmt: skip
        if not may:
            status.append("  Nobody to send to.", style="bold")
        self.query_one("#status", Static).update(status)
        self.query_one("#excluded-title", Static).update(title("Excluded, and why", not_))
        self.query_one("#excluded", Static).update(
            preview.tables[1] if not_ else Text("Nobody.", style="dim"))
        self.query_one("#sample", Static).update(preview.sample)
        self.query_one("#recipients-title", Static).update(title("Will receive it", may))
        self.query_one("#recipients", Static).update(
            preview.tables[0] if may else Text("Nobody.", style="dim"))

    def action_scroll(self, step: int) -> None:
        """j / k scroll."""
        self.query_one("#results", VerticalScroll).scroll_relative(y=step, animate=False)

    def action_send(self) -> None:
        """Go on to the send screen."""
        self.dismiss(True)

    def action_back(self) -> None:
        """Back to the outbox."""
        self.dismiss(False)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """Palette entries."""
        return [("Send message", "Go on to sending this message (s)", self.action_send)]
