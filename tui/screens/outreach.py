"""Outreach: the organizer's messages (the outbox), newest first, and the way into composing,
previewing, sending and the report.

    n        compose a message (tui/screens/outreach_compose.py)
    p Enter  preview: who receives it, who is excluded and why, a rendered sample
    s        send, with a progress bar, Stop and Resume (tui/screens/outreach_send.py)
    r        report: sent, failed, skipped... (tui/screens/outreach_report.py)

Rules and reasons:
- Everything is the outreach package's, as `kith outreach list|preview|send|report` does it:
  the TUI adds screens, never rules. Reading the outbox decrypts every delivery record, so
  the list is read in a worker thread.
- The "current selection" audience is the contacts marked with space on the main screen when
  this screen opened (fixed for its life); the heading says how many.
- Subjects and audiences are user text through `safe`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, OptionList, Static

from outreach.outbox import Message, Outbox
from tui.safe_text import safe
from tui.screens.base import KithScreen
from tui.screens.posted import ReceivesPosted
from tui.screens.profile import day
from tui.widgets.columns import fit_cell
from vault.api import Vault

if TYPE_CHECKING:
    from tui.screens.host import KithHost

__all__ = ["OutreachScreen", "commands", "progress_note"]

Counts = dict[str, Counter[str]]


def read_outbox(vault: Vault) -> tuple[list[Message], Counts]:
    """Every message, newest first, and the delivery states of each (by message id)."""
    outbox = Outbox.of(vault)
    messages = outbox.messages()
    counts: Counts = {}
    for item in outbox.deliveries():
        counts.setdefault(item.message.hex(), Counter())[item.state] += 1
    return messages, counts


def progress_note(message: Message, states: Counter[str] | None) -> str:
    """Where a message stands: a draft, or how many of its frozen recipients got it."""
    if not message.frozen:
        return "draft"
    states = states or Counter()
    parts = [f"sent {states['sent']:,}/{sum(states.values()):,}"]
    parts += [f"{states[s]:,} {s}" for s in ("failed", "uncertain", "skipped") if states[s]]
    left = states["queued"] + states["sending"]
    if left:
        parts.append(f"{left:,} left")
    return ", ".join(parts)


@runtime_checkable
class HasMarks(Protocol):
    """A screen with marked contacts (the main screen; named by shape, not imported: the main
    screen opens this one, so importing it here would make an import circle)."""

    marked: set[str]


def chosen_on_main(app: KithHost) -> list[str]:
    """The contacts marked on the main screen (the "current selection"), if it is open."""
    for screen in getattr(app, "screen_stack", []):
        if isinstance(screen, HasMarks) and isinstance(screen.marked, set):
            return sorted(screen.marked)
    return []


def open_outreach(app: KithHost) -> None:
    """Open the outreach screen (palette, or `o` on the main screen)."""
    if app.vault is not None:
        app.push_screen(OutreachScreen(app.vault, chosen_on_main(app)))


def commands(app: KithHost) -> Iterator[SystemCommand]:
    """The palette entry (replaces the old "not available in the TUI yet")."""
    yield SystemCommand("Outreach", "Email and SMS: compose, preview, send with stop and resume, "
                        "report (o on the list)", lambda: open_outreach(app))  # fmt: skip


class OutreachScreen(ReceivesPosted, KithScreen[None]):
    """The outbox; compose, preview, send, report."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back"),
        Binding("n", "compose", "Compose"),
        Binding("p", "preview", "Preview"),
        Binding("s", "send", "Send"),
        Binding("r", "report", "Report"),
        Binding("j", "cursor(1)", "Down", show=False),
        Binding("k", "cursor(-1)", "Up", show=False),
    ]
    AUTO_FOCUS = "#messages"

    DEFAULT_CSS = """
    OutreachScreen #heading { padding: 0 2; background: $panel; text-style: bold; }
    OutreachScreen #messages { height: 1fr; border: none; }
    OutreachScreen #messages:nocolor > .option-list--option-highlighted { text-style: reverse; }
    OutreachScreen #message { padding: 0 2; height: auto; min-height: 1; }
    """

    def __init__(self, vault: Vault, selection: list[str]) -> None:
        super().__init__()
        self.vault = vault
        self.selection = selection
        self.messages: list[Message] | None = None
        self.counts: Counts = {}

    def compose(self) -> ComposeResult:
        marked = len(self.selection)
        note = (f"{marked:,} contact{'' if marked == 1 else 's'} marked: a possible audience"
                if marked else "no contacts marked")
        yield Header()
        yield Static(Text(f"Outreach   ({note})"), id="heading")
        yield OptionList(id="messages")
        yield Static(Text("Reading the outbox..."), id="message")
        yield Footer()

    def on_mount(self) -> None:
        """Read the outbox."""
        self.reload()

    def reload(self, keep: str | None = None) -> None:
        """Read the outbox again (worker thread), keeping `keep` or the highlight."""
        current = self.current
        self._read(keep or (current.id if current is not None else None))

    @work(thread=True, exclusive=True, group="outbox")
    def _read(self, keep: str | None) -> None:
        self.post_result(lambda: read_outbox(self.vault),
                         lambda found: self._show(found[0], found[1], keep),
                         partial(self.say, error=True))

    def _show(self, messages: list[Message], counts: Counts, keep: str | None) -> None:
        self.messages, self.counts = messages, counts
        options = self.query_one("#messages", OptionList)
        prompts = [self._prompt(m) for m in messages]
        if not prompts:
            prompts = [Text("No messages yet: press n to compose one.", style="dim")]
        options.set_options(prompts)
        found = [m.id for m in messages]
        options.highlighted = found.index(keep) if keep in found else 0
        self.say(f"{len(messages):,} message(s).  n compose  p preview  s send  r report")

    def _prompt(self, message: Message) -> Text:
        text = Text(day(message.created) + "  ", end="", no_wrap=True, overflow="ellipsis")
        text.append(f"{message.channel:<5} {message.kind:<11.11} ")
        text.append(fit_cell(message.subject or message.body.split("\n", 1)[0], 24))
        text.append("  " + progress_note(message, self.counts.get(message.id)), style="dim")
        return text

    @property
    def current(self) -> Message | None:
        """The highlighted message."""
        if not self.is_mounted or not self.messages:
            return None
        index = self.query_one("#messages", OptionList).highlighted
        return self.messages[index] if index is not None and index < len(self.messages) else None

    def say(self, message: str, *, error: bool = False) -> None:
        """One line under the list."""
        line = self.query_one("#message", Static)
        line.update(Text(safe(message)))
        line.set_class(error, "error")

    def action_back(self) -> None:
        """Back to the contact list."""
        self.dismiss(None)

    def action_cursor(self, step: int) -> None:
        """j / k."""
        options = self.query_one("#messages", OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    @on(OptionList.OptionSelected, "#messages")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_preview()

    def _need_message(self) -> Message | None:
        message = self.current
        if message is None:
            self.say("No message yet: press n to compose one.", error=True)
        return message

    def action_compose(self) -> None:
        """Compose a message, then preview it."""
        from tui.screens.outreach_compose import ComposeDialog

        def composed(message: Message | None) -> None:
            if message is not None:
                self.reload(message.id)
                self._open_preview(message)

        self.app.push_screen(ComposeDialog(self.vault, self.selection), composed)

    def _open_preview(self, message: Message) -> None:
        from tui.screens.outreach_preview import PreviewScreen

        def after(send: bool | None) -> None:
            self.reload(message.id)
            if send:
                self._open_send(message)

        self.app.push_screen(PreviewScreen(self.vault, message), after)

    def _open_send(self, message: Message) -> None:
        from tui.screens.outreach_send import SendScreen

        self.app.push_screen(SendScreen(self.vault, message), lambda _: self.reload(message.id))

    def action_preview(self) -> None:
        """Preview the highlighted message."""
        message = self._need_message()
        if message is not None:
            self._open_preview(message)

    def action_send(self) -> None:
        """Send (or resume sending) the highlighted message."""
        message = self._need_message()
        if message is not None:
            self._open_send(message)

    def action_report(self) -> None:
        """The report of the highlighted message."""
        from tui.screens.outreach_report import ReportScreen

        message = self._need_message()
        if message is not None:
            self.app.push_screen(ReportScreen(self.vault, message))

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """This screen's keys as palette entries."""
        return [
            ("Compose message", "A new email or SMS to a segment, saved search or the marked (n)",
             self.action_compose),
            ("Preview message", "Who receives the highlighted message, who not and why (p)",
             self.action_preview),
            ("Send message", "Send or resume the highlighted message; x stops (s)",
             self.action_send),
            ("Message report", "Sent, failed, skipped of the highlighted message (r)",
             self.action_report),
        ]  # fmt: skip
