"""Sync now: with a folder or relay:URL (`kith sync pull` + `push`), by connecting to a peer
(`kith sync connect`), by waiting for one (`kith sync serve`), or through the relays configured
per peer or segment (`kith sync`).

Rules and reasons:
- The work is `tui.sync_work`'s, which calls the CLI's sync functions: every rule of the CLI
  holds unchanged (capture first, sealed bundles, unknown, unverified or halted peers refused).
- It runs in a worker thread: the dialog shows the stage and a progress bar and stays
  responsive; Close works at any time. Waiting for a peer is stopped by Close (or Escape, or a
  lock): the listening socket is woken and the wait ends.
- The result is the CLI's lines; a lasting refusal marks it as an error. The dialog closes
  with those lines, which the sync screen keeps under the status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, ProgressBar, Select, Static

from tui.safe_text import safe
from tui.screens.base import KithModal
from tui.sync_work import (
    MODES,
    Outcome,
    ServeStop,
    sync_connect,
    sync_relays,
    sync_serve,
    sync_target,
)
from vault.api import Vault
from vault.errors import KithError

__all__ = ["SyncNowDialog", "reload_contacts"]

WAYS = (
    ("A folder (USB stick, Syncthing) or relay:URL", "folder"),
    ("Connect to a peer who waits (kith sync serve)", "connect"),
    ("Wait for a peer to connect (serve)", "serve"),
    ("The relays set with `kith sync relay set` (kith sync)", "relays"),
)
PLACEHOLDERS = {
    "folder": "Folder, e.g. /media/usb/kith, or relay:https://relay.example.org",
    "connect": "The peer's address, HOST:PORT (they see it when they wait)",
    "serve": "Listen on HOST:PORT (port 0 picks one; 0.0.0.0 for other machines)",
    "relays": "",
}


def reload_contacts(app: Any) -> None:
    """After a sync that changed records: read the contact list again when it is shown (a sync
    in this process does not move the change marker the main screen watches)."""
    from tui.screens.main import MainScreen

    for screen in app.screen_stack:
        if isinstance(screen, MainScreen):
            screen.changed_elsewhere()


class SyncNowDialog(KithModal[tuple[list[str], bool] | None]):
    """Choose how, run, see the result; dismisses with (lines, ok) of the last run, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]
    AUTO_FOCUS = "#where"
    DEFAULT_CSS = """
    SyncNowDialog { align: center middle; }
    SyncNowDialog #dialog { width: 78; max-width: 100%; height: auto; max-height: 100%;
                            border: thick $primary; background: $surface; padding: 0 1; }
    SyncNowDialog #heading { text-style: bold; }
    SyncNowDialog Input, SyncNowDialog Select { margin: 0 0 1 0; }
    SyncNowDialog #mode, SyncNowDialog #peer { display: none; }
    SyncNowDialog.-folder #mode { display: block; }
    SyncNowDialog.-relays #where { display: none; }
    SyncNowDialog.-connect #peer { display: block; }
    SyncNowDialog #progress { display: none; }
    SyncNowDialog.-running #progress { display: block; }
    SyncNowDialog #result { height: auto; }
    SyncNowDialog #buttons { height: auto; align-horizontal: right; }
    SyncNowDialog Button { margin-left: 2; }
    """

    class Moved(Message):
        """A stage of the run, from the worker thread."""

        def __init__(self, stage: str, done: int, total: int) -> None:
            self.stage, self.done, self.total = stage, done, total
            super().__init__()

    class Finished(Message):
        """The run's outcome (or its one-line error)."""

        def __init__(self, outcome: Outcome) -> None:
            self.outcome = outcome
            super().__init__()

    def __init__(self, vault: Vault) -> None:
        super().__init__()
        self.vault = vault
        self.stop = ServeStop()
        self.result: tuple[list[str], bool] | None = None
        self.stage = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text("Sync now"), id="heading")
            yield Select(WAYS, value="folder", allow_blank=False, id="how")
            yield Input(placeholder=PLACEHOLDERS["folder"], id="where")
            yield Select(MODES, value="both", allow_blank=False, id="mode")
            yield Input(placeholder="The peer you expect there (optional: checks its key)",
                        id="peer", max_length=64)  # fmt: skip
            yield ProgressBar(total=1, show_eta=False, id="progress")
            yield Static(Text(""), id="result")
            with Horizontal(id="buttons"):
                yield Button("Sync", variant="primary", id="run")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        """Show the fields of the first way."""
        self.add_class("-folder")

    @on(Select.Changed, "#how")
    def _how(self, event: Select.Changed) -> None:
        how = str(event.value)
        for way in PLACEHOLDERS:
            self.set_class(way == how, f"-{way}")
        where = self.query_one("#where", Input)
        where.placeholder = PLACEHOLDERS.get(how, "")
        if how == "serve" and not where.value:
            where.value = "127.0.0.1:0"  # the CLI's default

    def say(self, lines: list[str], *, error: bool = False) -> None:
        """The stage or the result (safe text, a line each)."""
        box = self.query_one("#result", Static)
        box.update(Text("\n".join(safe(line) for line in lines)))
        box.set_class(error, "error")

    @on(Input.Submitted)
    @on(Button.Pressed, "#run")
    def action_run(self) -> None:
        """Start the run (Enter in a field, or Sync)."""
        if self.has_class("-running"):
            return
        how = str(self.query_one("#how", Select).value)
        where = self.query_one("#where", Input).value
        mode = str(self.query_one("#mode", Select).value)
        peer = self.query_one("#peer", Input).value
        self.stop = ServeStop()
        self.add_class("-running")
        self.query_one("#run", Button).disabled = True
        self.say(["Working..."])
        self._work(how, where, mode, peer, self.stop)

    @work(thread=True, exclusive=True, group="sync-now")
    def _work(self, how: str, where: str, mode: str, peer: str, stop: ServeStop) -> None:
        vault = self.vault

        def progress(stage: str, done: int, total: int) -> None:
            self.post_message(self.Moved(stage, done, total))

        try:
            if how == "connect":
                outcome = sync_connect(vault, where, peer, progress)
            elif how == "serve":
                outcome = sync_serve(vault, where, progress, stop)
            elif how == "relays":
                outcome = sync_relays(vault, progress)
            else:
                outcome = sync_target(vault, where, mode, progress)
        except KithError as error:
            outcome = Outcome([error.message], ok=False)
        except Exception:
            if self.kith.vault is not vault:
                return  # locked meanwhile: the vault was closed under the run
            raise
        if outcome.changed:
            self.app.call_from_thread(reload_contacts, self.app)
        self.post_message(self.Finished(outcome))

    def on_sync_now_dialog_moved(self, message: Moved) -> None:
        """Say the stage, move the bar."""
        self.stage = message.stage
        self.query_one("#progress", ProgressBar).update(total=max(message.total, 1),
                                                        progress=message.done)  # fmt: skip
        self.say([message.stage])

    def on_sync_now_dialog_finished(self, message: Finished) -> None:
        """Show the outcome."""
        outcome = message.outcome
        self.remove_class("-running")
        self.query_one("#run", Button).disabled = False
        self.result = (outcome.lines, outcome.ok)
        self.say(outcome.lines, error=not outcome.ok)

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        """Close; a wait for a peer is stopped, other work finishes in the background."""
        self.stop.stop()
        self.dismiss(self.result)

    def on_unmount(self) -> None:
        """Closed any way (a lock too): stop waiting for a peer."""
        self.stop.stop()

    @property
    def running(self) -> bool:
        """True while a run is in progress."""
        return self.has_class("-running")

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """This dialog's keys as palette entries."""
        return [("Run this sync", "Sync with what the dialog says (Enter)", self.action_run)]
