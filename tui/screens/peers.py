"""Peers: every organizer this device syncs with, verified or not, with the safety number and
its QR code; verify one (`v`), add one from an invitation code (`a`), show this device's own
code (`i`).

Rules and reasons:
- The list and the numbers are `kith peer list`'s and `kith peer verify`'s (`tui.sync_view`).
- Verifying asks the CLI's question, word for word, after showing both halves and the whole
  number; "No" has the focus, and only "Yes" (or `y`) marks the peer verified, through
  `sync.runner.verify_peer` with the number shown (as the CLI does). Nothing else in the TUI
  marks a peer verified.
- Adding a peer takes the CLI's checks (`kith peer add NAME CODE`): a strict invitation code,
  a name of 1 to 64 printable characters, never this device's own code; the peer starts
  unverified.
- Peer names are user text: drawn through `safe`, never markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Footer, Header, Input, OptionList, Static

from sync import runner
from sync.replica import Replica
from sync.safety import Invitation, parse_invitation
from tui.safe_text import safe
from tui.screens.base import KithModal, KithScreen
from tui.sync_view import PeerRow, heard, my_code, peer_rows
from tui.sync_work import closed_under, sync_turn
from tui.widgets.columns import fit_cell
from tui.widgets.qr import qr_text
from vault.api import Vault
from vault.errors import InvalidInput, KithError

__all__ = ["AddPeerDialog", "MyCodeDialog", "PeersScreen", "VerifyDialog"]

QUESTION = "Did you compare it with them in person or by voice, and do all digits match?"
"""The CLI's confirmation for `kith peer verify`, word for word."""


def grouped(number: str, per_line: int = 4) -> str:
    """A safety number in lines of `per_line` groups of five digits."""
    groups = number.split()
    return "\n".join(" ".join(groups[i : i + per_line]) for i in range(0, len(groups), per_line))


def digits(number: str) -> str:
    """Only the digits (what the QR code holds)."""
    return "".join(ch for ch in number if ch.isdigit())


class PeersScreen(KithScreen[None]):
    """Peers with their state; the highlighted one's safety number and QR code."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back"),
        Binding("v", "verify", "Verify"),
        Binding("a", "add", "Add peer"),
        Binding("i", "mine", "My number"),
        Binding("j", "cursor(1)", "Down", show=False),
        Binding("k", "cursor(-1)", "Up", show=False),
    ]
    AUTO_FOCUS = "#peers"

    DEFAULT_CSS = """
    PeersScreen #heading { padding: 0 2; background: $panel; text-style: bold; }
    PeersScreen #body { height: 1fr; }
    PeersScreen #peers { width: 34; height: 1fr; border: none; }
    PeersScreen #peers:nocolor > .option-list--option-highlighted { text-style: reverse; }
    PeersScreen #detail { width: 1fr; padding: 0 1; }
    PeersScreen #message { padding: 0 2; height: auto; min-height: 1; }
    """

    class Loaded(Message):
        """The peers, read in a worker thread (or the vault's error)."""

        def __init__(self, rows: list[PeerRow] | None, error: str = "") -> None:
            self.rows, self.error = rows, error
            super().__init__()

    def __init__(self, vault: Vault) -> None:
        super().__init__()
        self.vault = vault
        self.rows: list[PeerRow] | None = None
        self.keep = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Peers   (compare the safety number in person or by voice)"),
                     id="heading")  # fmt: skip
        with Horizontal(id="body"):
            yield OptionList(id="peers")
            with VerticalScroll(id="detail"):
                yield Static(Text("Reading peers..."), id="number")
                yield Static(Text(""), id="qr")
                yield Static(Text(""), id="facts")
        yield Static(Text(""), id="message")
        yield Footer()

    def on_mount(self) -> None:
        """Read the peers."""
        self.reload()

    @work(thread=True, exclusive=True, group="peers")
    def reload(self) -> None:
        """Worker thread: read the peers again."""
        try:
            rows = peer_rows(self.vault)
        except KithError as error:
            self.post_message(self.Loaded(None, error.message))
            return
        except Exception:
            if self.kith.vault is not self.vault:
                return
            raise
        self.post_message(self.Loaded(rows))

    def on_peers_screen_loaded(self, message: Loaded) -> None:
        """List the peers, keeping the highlighted one."""
        if message.rows is None:
            self.say(message.error, error=True)
            return
        self.rows = message.rows
        options = self.query_one("#peers", OptionList)
        if not self.rows:
            options.set_options([Text("No peers yet: press a to add one.", style="dim")])
            self.query_one("#number", Static).update(Text(
                "Ask the other organizer for their invitation code (`kith id invite`, or i "
                "here), add it with a, then compare the safety number with them."))  # fmt: skip
            return
        options.set_options([self._prompt(r) for r in self.rows])
        names = [r.name for r in self.rows]
        options.highlighted = names.index(self.keep) if self.keep in names else 0
        self.show(self.current)

    @staticmethod
    def _prompt(row: PeerRow) -> Text:
        text = Text(fit_cell(row.name, 18), end="")
        text.append(f" {row.state}", style="" if row.verified else "bold")
        return text

    @property
    def current(self) -> PeerRow | None:
        """The highlighted peer."""
        if not self.rows:
            return None
        index = self.query_one("#peers", OptionList).highlighted
        return self.rows[index] if index is not None and index < len(self.rows) else None

    @on(OptionList.OptionHighlighted, "#peers")
    def _highlighted(self) -> None:
        self.show(self.current)

    def show(self, row: PeerRow | None) -> None:
        """The peer's safety number, its QR code, and what is known of them."""
        if row is None:
            return
        head = Text(safe(row.name, max_len=40), style="bold", end="")
        head.append(f"  {row.state}\nSafety number (compare every digit):\n")
        head.append(grouped(row.safety))
        self.query_one("#number", Static).update(head)
        self.query_one("#qr", Static).update(qr_text(digits(row.safety)))
        facts = Text(f"Their half: {row.device}\nLast heard: {heard(row.last_heard)}\n")
        facts.append("Shares: " + (", ".join(safe(s, max_len=40) for s in row.segments)
                                   or "nothing yet"))  # fmt: skip
        self.query_one("#facts", Static).update(facts)

    def say(self, message: str, *, error: bool = False) -> None:
        """One line under the list."""
        line = self.query_one("#message", Static)
        line.update(Text(message))
        line.set_class(error, "error")

    # -- actions -----------------------------------------------------------------------------

    def action_back(self) -> None:
        """Back."""
        self.dismiss(None)

    def action_cursor(self, step: int) -> None:
        """j / k."""
        options = self.query_one("#peers", OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_verify(self) -> None:
        """Compare the safety number, then mark the peer verified (v)."""
        row = self.current
        if row is None:
            return
        mine, _code = my_code(self.vault)

        def answered(yes: bool | None) -> None:
            if yes:
                self.say("Verifying...")
                self._verify(row)

        self.app.push_screen(VerifyDialog(row, mine), answered)

    @work(thread=True, group="peer-verify")
    def _verify(self, row: PeerRow) -> None:
        try:
            with sync_turn():
                runner.verify_peer(Replica(self.vault), row.name, row.safety)
        except KithError as error:
            self.app.call_from_thread(self.say, error.message, error=True)
            return
        except Exception:
            if closed_under(self.app, self.vault):
                return  # locked meanwhile: the vault was closed under the work
            raise
        self.keep = row.name
        self.app.call_from_thread(self.say, f"{safe(row.name)} is verified")
        self.app.call_from_thread(self.reload)

    def action_add(self) -> None:
        """Add a peer from their invitation code (a)."""

        def added(name: str | None) -> None:
            if name:
                self.keep = name
                self.say(f"added {safe(name)} (unverified): compare safety numbers with them, "
                         "then press v")  # fmt: skip
                self.reload()

        self.app.push_screen(AddPeerDialog(self.vault), added)

    def action_mine(self) -> None:
        """This device's half of every safety number, and its invitation code (i)."""
        self.app.push_screen(MyCodeDialog(*my_code(self.vault)))

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """This screen's keys as palette entries."""
        return [
            ("Verify peer", "Compare the highlighted peer's safety number, confirm (v)",
             self.action_verify),
            ("Add peer", "From their invitation code (a)", self.action_add),
            ("My safety number", "This device's half, and its invitation code (i)",
             self.action_mine),
        ]  # fmt: skip


class VerifyDialog(KithModal[bool]):
    """Both halves, the whole number and the CLI's question; No has the focus (the QR code is
    on the peers screen behind it)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "They match"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    AUTO_FOCUS = "#no"
    DEFAULT_CSS = """
    VerifyDialog { align: center middle; }
    VerifyDialog #dialog { width: 72; max-width: 100%; height: auto; max-height: 100%;
                           border: thick $warning; background: $surface; padding: 0 1; }
    VerifyDialog #buttons { height: auto; align-horizontal: right; }
    VerifyDialog Button { margin-left: 2; }
    """

    def __init__(self, row: PeerRow, mine: str) -> None:
        super().__init__()
        self.row = row
        self.mine = mine

    def compose(self) -> ComposeResult:
        row = self.row
        text = Text(f"Verify {safe(row.name, max_len=40)}\n", style="bold", end="")
        text.append(f"you:            {self.mine}\n", style="")
        text.append(f"{safe(row.name, max_len=14) + ':':<15} {row.device}\n", style="")
        text.append("safety number (both read the same digits):\n", style="")
        text.append(grouped(row.safety, per_line=6) + "\n\n", style="bold")
        text.append(QUESTION, style="")
        with Vertical(id="dialog"):
            yield Static(text)
            with Horizontal(id="buttons"):
                yield Button("Yes, all digits match (y)", variant="warning", id="yes")
                yield Button("No (n)", id="no")

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class AddPeerDialog(KithModal[str | None]):
    """A name and an invitation code (`kith peer add NAME CODE`); dismisses with the name."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#name"
    DEFAULT_CSS = """
    AddPeerDialog { align: center middle; }
    AddPeerDialog #dialog { width: 72; max-width: 100%; height: auto; border: round $primary;
                            background: $surface; padding: 0 1; }
    AddPeerDialog #error { height: auto; }
    """

    def __init__(self, vault: Vault) -> None:
        super().__init__()
        self.vault = vault
        self.working = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text("Add a peer (unverified until you compare safety numbers)",
                              style="bold"))  # fmt: skip
            yield Input(placeholder="A name for them, e.g. sam", id="name", max_length=64)
            yield Input(placeholder="Their invitation code, KITH-...", id="code", max_length=600)
            yield Static(Text(""), id="error")
            yield Static(Text("Enter: add    Escape: cancel", style="dim"))

    @on(Input.Submitted, "#name")
    def _next(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#code", Input).focus()

    @on(Input.Submitted, "#code")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.working:
            return
        label = self.query_one("#name", Input).value.strip()
        try:
            invitation = parse_invitation(event.value)
            if not label or len(label) > 64 or any(not c.isprintable() for c in label):
                raise InvalidInput("(a peer name is 1 to 64 printable characters)")
        except KithError as error:
            self.fail(error.message)
            return
        self.working = True
        self._add(label, invitation)

    @work(thread=True, group="peer-add")
    def _add(self, label: str, invitation: Invitation) -> None:
        """Worker thread: record the peer (loading the sync state costs 0.2 ms per op)."""
        try:
            with sync_turn():
                replica = Replica(self.vault)
                if invitation.signing_public == replica.me.signing_public:
                    raise InvalidInput("(that is this device's own code)")
                runner.add_peer(replica, label, invitation.signing_public, invitation.box_public)
        except KithError as error:
            self.app.call_from_thread(self.fail, error.message)
            return
        except Exception:
            if closed_under(self.app, self.vault):
                return  # locked meanwhile: the vault was closed under the work
            raise
        self.app.call_from_thread(self.dismiss, label)

    def fail(self, message: str) -> None:
        """Say why the peer was not added; the dialog stays open."""
        self.working = False
        box = self.query_one("#error", Static)
        box.update(Text(message))
        box.set_class(True, "error")

    def action_cancel(self) -> None:
        """Close without adding."""
        self.dismiss(None)


class MyCodeDialog(KithModal[None]):
    """This device's half of every safety number and its invitation code, with a QR code."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,enter", "close", "Close")]
    DEFAULT_CSS = """
    MyCodeDialog { align: center middle; }
    MyCodeDialog #dialog { width: 72; max-width: 100%; height: auto; max-height: 100%;
                           border: round $primary; background: $surface; padding: 0 1; }
    """

    def __init__(self, number: str, code: str) -> None:
        super().__init__()
        self.number = number
        self.code = code

    def compose(self) -> ComposeResult:
        text = Text("This device\n", style="bold", end="")
        text.append(f"Your half of every safety number: {self.number}\n", style="")
        text.append("Invitation code (not secret; give it to the other organizer, who adds it "
                    "with `kith peer add` or a in Peers):\n", style="")  # fmt: skip
        text.append(self.code, style="")
        with VerticalScroll(id="dialog"):
            yield Static(text)
            yield Static(qr_text(self.code))
            yield Static(Text("Escape: close", style="dim"))

    def action_close(self) -> None:
        """Close."""
        self.dismiss(None)
