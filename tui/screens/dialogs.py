"""Export and backup as dialogs, with progress; the same vault code as the CLI. (Import has
its own steps: ``tui/screens/import_dialog.py``, opened from here by the palette.)

    export  -> vault.exporter.export_contacts   (as `kith export --format F --out FILE --tag T`)
    backup  -> vault.backup.create              (as `kith backup create --out ...`)

Rules and reasons:
- The work runs in a worker thread; the dialog shows a progress bar and stays responsive. A
  failure is the vault's one-line message; nothing here invents its own rules.
- A plaintext export needs its consent box ticked (the CLI needs --yes-plaintext). After an import
  or an export the dialog says to destroy the plaintext file, as the CLI does.
- A generated backup passphrase is shown once, in the dialog, and nowhere else.
- After an import the contact list is rebuilt from the vault, so merged contacts do not linger.
- The organizing screens (segments, events, who may I contact, outreach, sync, the map) add
  their own palette entries (``screen_commands``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, ProgressBar, Select, Static

from tui.safe_text import safe
from tui.screens.base import KithModal
from tui.screens.import_dialog import open_import
from tui.screens.palette import screen_commands
from tui.widgets.tick_box import TickBox
from vault.backup import create as backup
from vault.backup import diceware
from vault.errors import InvalidInput, KithError
from vault.interchange import exporter

if TYPE_CHECKING:
    from tui.screens.host import KithHost

__all__ = ["BackupDialog", "ExportDialog", "commands"]

MAX_IMPORT_BYTES = 512 * 1024 * 1024
DESTROY = (
    "This file is plaintext: once you have checked it, destroy it and every copy (on Linux: "
    "shred -u FILE; on SSDs and USB sticks an overwrite may not reach old blocks, so keep "
    "full-disk encryption on), and delete copies in Downloads, email and cloud folders."
)


def commands(app: KithHost) -> Iterator[SystemCommand]:
    """The palette entries for the dialogs and the organizing screens."""
    yield SystemCommand(
        "Import contacts", "From a vCard, CSV or JSON file: preset or column map, preview, "
        "dry run (i)", partial(open_import, app),
    )  # fmt: skip
    yield SystemCommand("Export contacts", "To a plaintext vCard, CSV or JSON file",
                        ExportDialog.opener(app))  # fmt: skip
    yield SystemCommand("Back up vault", "An encrypted, signed backup file",
                        BackupDialog.opener(app))  # fmt: skip
    yield from screen_commands(app)


def _path(text: str) -> Path:
    return Path(os.path.expanduser(text.strip()))


def _tags(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


class TaskDialog(KithModal[bool]):
    """A form, a Run button, a progress bar and a result; dismisses True if the vault changed."""

    TITLE_TEXT: ClassVar[str] = ""
    RUN_LABEL: ClassVar[str] = "Run"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]
    DEFAULT_CSS = """
    TaskDialog { align: center middle; }
    TaskDialog #dialog { width: 76; max-width: 100%; height: auto; max-height: 100%;
                         border: thick $primary; background: $surface; padding: 0 1; }
    TaskDialog #heading { text-style: bold; }
    TaskDialog Input, TaskDialog Select { margin: 0 0 1 0; }
    TaskDialog #progress { display: none; }
    TaskDialog.-running #progress { display: block; }
    TaskDialog #result { height: auto; }
    TaskDialog #buttons { height: auto; align-horizontal: right; }
    TaskDialog Button { margin-left: 2; }
    """

    class Moved(Message):
        """Progress from the worker thread."""

        def __init__(self, stage: str, done: int, total: int) -> None:
            self.stage, self.done, self.total = stage, done, total
            super().__init__()

    class Finished(Message):
        """The worker's result lines (or error), and whether the vault changed."""

        def __init__(self, lines: list[str], ok: bool, changed: bool) -> None:
            self.lines, self.ok, self.changed = lines, ok, changed
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.changed = False

    @classmethod
    def opener(cls, app: KithHost) -> Callable[[], None]:
        """A palette callback that opens this dialog (if the vault is open)."""

        def open_dialog() -> None:
            if app.is_unlocked:
                app.push_screen(cls(), app.after_dialog)

        return open_dialog

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.TITLE_TEXT), id="heading")
            yield from self.form()
            yield ProgressBar(total=1, show_eta=False, id="progress")
            yield Static(Text(""), id="result")
            with Horizontal(id="buttons"):
                yield Button(self.RUN_LABEL, variant="primary", id="run")
                yield Button("Close", id="close")

    def form(self) -> ComposeResult:
        """The dialog's own fields."""
        yield from ()

    def perform(self, progress: Callable[[str, int, int], None]) -> tuple[list[str], bool]:
        """Worker thread: do the work; return the result lines and whether the vault changed."""
        raise NotImplementedError

    def say(self, lines: list[str], *, error: bool = False) -> None:
        """Show the result (safe text, one paragraph per line)."""
        result = self.query_one("#result", Static)
        result.update(Text("\n".join(safe(line) for line in lines)))
        result.set_class(error, "error")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        """Close (work already started finishes in the background)."""
        self.dismiss(self.changed)

    @on(Button.Pressed, "#run")
    def _run(self) -> None:
        if self.has_class("-running"):
            return
        self.add_class("-running")
        self.query_one("#run", Button).disabled = True
        self.say(["Working..."])
        self._work()

    @work(thread=True, exclusive=True, group="dialog")
    def _work(self) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            self.post_message(self.Moved(stage, done, total))

        try:
            lines, changed = self.perform(progress)
        except KithError as error:
            self.post_message(self.Finished([error.message], False, False))
            return
        self.post_message(self.Finished(lines, True, changed))

    def on_task_dialog_moved(self, message: Moved) -> None:
        """Move the bar."""
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(message.total, 1), progress=message.done)

    def on_task_dialog_finished(self, message: Finished) -> None:
        """Show the outcome."""
        self.remove_class("-running")
        self.query_one("#run", Button).disabled = False
        self.changed = self.changed or message.changed
        self.say(message.lines, error=not message.ok)


class ExportDialog(TaskDialog):
    """Export contacts to a plaintext file, with consent."""

    TITLE_TEXT = "Export contacts to a plaintext file"
    RUN_LABEL = "Export"

    def form(self) -> ComposeResult:
        yield Select([(f, f) for f in exporter.FORMATS], value="vcard", allow_blank=False,
                     id="format")  # fmt: skip
        yield Input(placeholder="New file to write, e.g. ~/contacts.vcf", id="path")
        yield Input(placeholder="Only contacts with any of these tags (comma-separated)", id="tags")
        yield TickBox("I understand: the file will NOT be encrypted", id="consent")

    def perform(self, progress: Callable[[str, int, int], None]) -> tuple[list[str], bool]:
        vault = self.kith.vault
        if vault is None:
            raise InvalidInput("(the vault is locked)")
        if not self.query_one("#consent", Checkbox).value:
            raise InvalidInput("(tick the box: a plaintext export needs your consent)")
        fmt = str(self.query_one("#format", Select).value)
        path = _path(self.query_one("#path", Input).value)
        tags = _tags(self.query_one("#tags", Input).value)
        progress("export", 0, 1)
        count = exporter.export_contacts(vault, path, fmt, tags, plaintext_ok=True)
        progress("export", 1, 1)
        return [f"Exported {count} contact(s) to {path}.", DESTROY], False


class BackupDialog(TaskDialog):
    """Write an encrypted backup."""

    TITLE_TEXT = "Back up the vault (encrypted with age, signed by this vault)"
    RUN_LABEL = "Back up"
    MODES = (
        ("A new passphrase, generated and shown once", "passphrase"),
        ("The vault's recovery key (`kith recovery-key create` first)", "recovery"),
        ("An age recipient (age1...)", "recipient"),
    )

    def form(self) -> ComposeResult:
        yield Input(placeholder="File, or folder ending in / for numbered backups", id="path")
        yield Select(self.MODES, value="passphrase", allow_blank=False, id="mode")
        yield Input(placeholder="age1... (only for an age recipient)", id="recipient")

    def perform(self, progress: Callable[[str, int, int], None]) -> tuple[list[str], bool]:
        vault = self.kith.vault
        if vault is None:
            raise InvalidInput("(the vault is locked)")
        text = self.query_one("#path", Input).value.strip()
        out = _path(text)
        mode = self.query_one("#mode", Select).value
        recipients: list[str] = []
        passphrase = None
        if mode == "passphrase":
            passphrase = diceware.generate()
        elif mode == "recovery":
            recipients.append(backup.recovery_recipient(vault))
        else:
            recipients.append(self.query_one("#recipient", Input).value.strip())
        into = text.endswith(("/", os.sep)) or out.is_dir()
        made = backup.create(vault, out, into_directory=into, recipients=recipients,
                             passphrase=passphrase, progress=progress)  # fmt: skip
        lines = [f"Backup written: {made.path} ({made.size:,} bytes)."]
        if passphrase is not None:
            lines += ["Its passphrase, shown only now (write it down; Kith cannot recover it):",
                      f"    {passphrase}"]  # fmt: skip
        return lines, False
