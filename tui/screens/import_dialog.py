"""The import dialog: file, preset or column map, preview, dry run, import; as `kith import`.

    `i` on the contact list, or "Import contacts" in the palette.

    file ──> preset (a CSV whose header a preset knows) ──┐
      │                 └── "map the columns myself" ──> columns ──> preview ──> report
      └──> columns (a CSV no preset knows) ───────────────┘             │ (dry run: "Import now")
      └──> preview (vCard, JSON) ─────────────────────────┘

Rules and reasons:
- The same code as the CLI, nothing of its own: `vault.interchange.sheet.inspect` (the checks an
  import makes, in its words), `import_rows.first_rows` (the preview is the first rows exactly
  as the import takes them: after the column map, normalized, or refused with the reason), and
  `importer.import_contacts` with the same `ImportOptions` (`preset`, `column_map`, `tags`,
  `region`, `dry_run`) that `kith import --preset/--map/--tag/--region/--dry-run` builds.
- Dry run is ticked by default: the first run shows what would be created, merged (into which
  contact), skipped and refused, with reasons, and changes nothing; "Import now" then runs it
  for real. The import is all or nothing (one transaction), as in the CLI.
- The file is read once into memory, only if it is a regular file of at most 512 MiB (a FIFO or
  a device would block or never end), in a worker thread like every step that touches it, so
  the screen never freezes. Nothing of it is written anywhere but the vault: no temporary file,
  no cache, no log. Closing the dialog drops it.
- Every refusal is one line (unreadable file, not a contact file, empty sheet, a cell over
  64 KiB, bad encoding: the vault's words, which name a line, never a value).
- Escape closes the dialog at any step (an import already running finishes, as with the CLI
  on a closed terminal: all or nothing).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, ContentSwitcher, Input, OptionList, ProgressBar, Select, Static
from textual.widgets.option_list import Option

from tui.safe_text import safe
from tui.screens.base import KithModal
from tui.screens.import_view import choices_for, preview_table, report_lines, summary
from tui.widgets.tick_box import TickBox
from vault.errors import ImportFailed, InvalidInput, KithError
from vault.interchange.import_report import ImportOptions, ImportReport
from vault.interchange.import_rows import first_rows, why
from vault.interchange.importer import import_contacts
from vault.interchange.sheet import Sheet, check_mappable, guess_target, inspect

if TYPE_CHECKING:
    from tui.screens.host import KithHost

__all__ = ["MAX_IMPORT_BYTES", "PREVIEW_ROWS", "ImportDialog", "open_import"]

MAX_IMPORT_BYTES = 512 * 1024 * 1024
PREVIEW_ROWS = 5
MAP_CHOICE = "map"
DESCRIPTIONS = {"google": "Google Contacts CSV", "outlook": "Outlook CSV",
                "civicrm": "CiviCRM contact export", "generic": "Kith's own CSV"}  # fmt: skip
DESTROY = ("The file you imported is plaintext: once you have checked the result, destroy it "
           "and every copy (docs/import.md).")  # fmt: skip


def read_file(text: str) -> bytes:
    """The bytes of the regular file at `text` (~ expanded); one-line `ImportFailed` if not."""
    path = Path(os.path.expanduser(text.strip()))
    if not text.strip():
        raise ImportFailed("(type the path of a vCard, CSV or JSON file)")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ImportFailed("(not a regular file: choose a vCard, CSV or JSON file)")
        if info.st_size > MAX_IMPORT_BYTES:
            raise ImportFailed("(the file is larger than 512 MiB; split it)")
        with path.open("rb") as handle:
            data = handle.read(MAX_IMPORT_BYTES + 1)
    except OSError as error:
        raise ImportFailed(f"(cannot read the file: {error.strerror or 'error'})") from None
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFailed("(the file is larger than 512 MiB; split it)")
    return data


def open_import(app: KithHost) -> None:
    """Open the dialog (if the vault is open); the list is rebuilt after a real import."""
    if app.is_unlocked:
        app.push_screen(ImportDialog(), app.after_dialog)


class ImportDialog(KithModal[bool]):
    """Import contacts from a file in steps; dismisses True if the vault changed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+s", "next", "Next step"),
    ]
    DEFAULT_CSS = """
    ImportDialog { align: center middle; }
    ImportDialog #dialog { width: 110; max-width: 100%; height: auto; max-height: 100%;
                           border: thick $primary; background: $surface; padding: 0 1; }
    ImportDialog #heading { text-style: bold; }
    ImportDialog ContentSwitcher { height: auto; max-height: 100%; }
    ImportDialog .step { height: auto; max-height: 100%; }
    ImportDialog Input { margin: 0 0 1 0; }
    ImportDialog #presets { height: auto; max-height: 8; border: none; }
    ImportDialog #columns { height: auto; max-height: 12; }
    ImportDialog .maprow { height: 1; }
    ImportDialog .maprow Static { width: 1fr; }
    ImportDialog .maprow Select { width: 36; }
    ImportDialog #preview-table, ImportDialog #report-text { height: auto; }
    ImportDialog #report-scroll { height: auto; max-height: 12; }
    ImportDialog #progress { display: none; }
    ImportDialog.-running #progress { display: block; }
    ImportDialog #message { height: auto; }
    ImportDialog .buttons { height: auto; align-horizontal: right; }
    ImportDialog Button { margin-left: 2; }
    """

    class Step(Message):
        """A worker's outcome: `action` runs on the UI thread with `value`, or `error` shows."""

        def __init__(self, action: Callable[[Any], None], value: Any, error: str = "") -> None:
            self.action, self.value, self.error = action, value, error
            super().__init__()

    class Moved(Message):
        """Import progress from the worker thread."""

        def __init__(self, done: int, total: int) -> None:
            self.done, self.total = done, total
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.changed = False
        self.busy = False
        self.data: bytes | None = None
        self.sheet: Sheet | None = None
        self.options = ImportOptions(dry_run=True)
        self.columns: list[tuple[str, int]] = []  # (column, index) shown in the column map
        self.mapped_rows = 0  # rows of the column map on screen (mounting is asynchronous)
        self.report: ImportReport | None = None

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text("Import contacts: vCard, CSV or JSON"), id="heading")
            with ContentSwitcher(initial="file"):
                with Vertical(id="file", classes="step"):
                    yield Input(placeholder="File to import, e.g. ~/Downloads/contacts.csv",
                                id="path")  # fmt: skip
                    yield Input(placeholder="Tag every imported contact (optional, commas)",
                                id="tags")  # fmt: skip
                    yield Input(placeholder="Region for national phone numbers (default: the "
                                "vault's)", id="region")  # fmt: skip
                    with Horizontal(classes="buttons"):
                        yield Button("Next", variant="primary", id="read")
                with Vertical(id="preset", classes="step"):
                    yield Static(Text(""), id="preset-note")
                    yield OptionList(id="presets")
                with Vertical(id="map", classes="step"):
                    yield Static(Text("Where each column goes (ignored columns are not read):"))
                    yield VerticalScroll(id="columns")
                    with Horizontal(classes="buttons"):
                        yield Button("Preview", variant="primary", id="preview")
                with Vertical(id="check", classes="step"):
                    yield Static(Text(""), id="preview-note")
                    yield Static(Text(""), id="preview-table")
                    yield TickBox("Dry run: show what would happen, change nothing", True,
                                  id="dry-run")  # fmt: skip
                    with Horizontal(classes="buttons"):
                        yield Button("Back", id="back")
                        yield Button("Run", variant="primary", id="run")
                with Vertical(id="report", classes="step"):
                    yield ProgressBar(total=1, show_eta=False, id="progress")
                    with VerticalScroll(id="report-scroll"):
                        yield Static(Text(""), id="report-text")
                    with Horizontal(classes="buttons"):
                        yield Button("Back", id="again")
                        yield Button("Import now", variant="warning", id="real")
            yield Static(Text(""), id="message")

    def on_mount(self) -> None:
        """Start at the path."""
        self.query_one("#path", Input).focus()

    def say(self, text: str, *, error: bool = False) -> None:
        """One line under the dialog."""
        line = self.query_one("#message", Static)
        line.update(Text(safe(text)))
        line.set_class(error, "error")

    def show_step(self, step: str, focus: str) -> None:
        """Switch to `step` and focus the widget `focus` in it."""
        self.query_one(ContentSwitcher).current = step
        self.query_one(focus).focus()

    @property
    def step(self) -> str:
        """The step shown."""
        return self.query_one(ContentSwitcher).current or "file"

    # -- moving between steps ----------------------------------------------------------------

    def action_close(self) -> None:
        """Close (an import already running finishes in the background, all or nothing)."""
        self.data = None
        self.dismiss(self.changed)

    def action_next(self) -> None:
        """Ctrl+S: what the step's main button does."""
        button = {"file": "#read", "map": "#preview", "check": "#run", "report": "#real"}.get(
            self.step
        )
        if button is not None:
            self.query_one(button, Button).press()
        elif self.step == "preset":
            self._choose_preset(self.query_one("#presets", OptionList).highlighted)

    def in_background(
        self, task: Callable[[], Any], then: Callable[[Any], None], note: str
    ) -> None:
        """Run `task` in a worker thread; `then(result)` on the UI thread, or a one-line error."""
        if self.busy:
            return
        self.busy = True
        self.say(note)
        self._work(task, then)

    @work(thread=True, exclusive=True, group="import")
    def _work(self, task: Callable[[], Any], then: Callable[[Any], None]) -> None:
        try:
            self.post_message(self.Step(then, task()))
        except KithError as error:
            self.post_message(self.Step(then, None, error.message))

    def on_import_dialog_step(self, message: Step) -> None:
        """A worker finished: go on, or say why not."""
        self.busy = False
        self.remove_class("-running")
        if message.error:
            self.say(message.error, error=True)
            return
        self.say("")
        message.action(message.value)

    @on(Input.Submitted)
    @on(Button.Pressed, "#read")
    def _read(self) -> None:
        path = self.query_one("#path", Input).value
        tags = tuple(
            t.strip() for t in self.query_one("#tags", Input).value.split(",") if t.strip()
        )
        region = self.query_one("#region", Input).value.strip().upper()
        self.options = ImportOptions(tags=tags, region=region, dry_run=True)

        def task() -> tuple[bytes, Sheet]:
            data = read_file(path)
            try:
                return data, inspect(data)
            except InvalidInput as error:
                raise ImportFailed(error.detail or error.message) from None

        self.in_background(task, self._inspected, "Reading the file...")

    def _inspected(self, value: tuple[bytes, Sheet]) -> None:
        self.data, self.sheet = value
        sheet = self.sheet
        if sheet.fmt != "csv":
            self.options = replace(self.options, preset=None, column_map=None)
            self._preview()
            return
        if sheet.rows == 0:
            self.say("Nothing was imported: the sheet has a header but no rows.", error=True)
            return
        if sheet.preset is None:
            self._open_map("No preset knows this header: map its columns.")
            return
        presets = self.query_one("#presets", OptionList)
        options = [Option(Text(f"{name}: {what}" + ("   (detected from the header)"
                                                    if name == sheet.preset else "")), id=name)
                   for name, what in DESCRIPTIONS.items()]  # fmt: skip
        options.append(Option(Text("Map the columns myself"), id=MAP_CHOICE))
        presets.set_options(options)
        presets.highlighted = list(DESCRIPTIONS).index(sheet.preset)
        note = f"The header looks like a {DESCRIPTIONS[sheet.preset]}. Enter: use it."
        self.query_one("#preset-note", Static).update(Text(note))
        self.show_step("preset", "#presets")

    @on(OptionList.OptionSelected, "#presets")
    def _preset_chosen(self, event: OptionList.OptionSelected) -> None:
        self._choose_preset(event.option_index)

    def _choose_preset(self, index: int | None) -> None:
        if index is None:
            return
        chosen = self.query_one("#presets", OptionList).get_option_at_index(index).id
        if chosen == MAP_CHOICE:
            self._open_map("Map each column to a Kith field, or ignore it.")
            return
        self.options = replace(self.options, preset=chosen, column_map=None)
        self._preview()

    def _open_map(self, note: str) -> None:
        sheet = self.sheet
        assert sheet is not None
        try:
            check_mappable(sheet)
        except InvalidInput as error:
            self.say(f"Nothing was imported: {why(error)}.", error=True)
            return
        seen: set[str] = set()
        self.columns = []
        for index, column in enumerate(sheet.header):
            key = column.strip().casefold()
            if key not in seen:
                seen.add(key)
                self.columns.append((column, index))
        rows = []
        for n, (column, index) in enumerate(self.columns):
            sample = sheet.samples[index]
            label = Text(safe(column or f"(column {index + 1})", max_len=30), style="bold")
            if sample:
                label.append(f"  e.g. {safe(sample, max_len=30)}", style="dim")
            select = Select(choices_for(column, index), value=guess_target(column),
                            allow_blank=False, compact=True, id=f"col-{n}")  # fmt: skip
            rows.append(Horizontal(Static(label, classes="label"), select, classes="maprow"))
        self.mapped_rows = 0
        self.say(f"{note}  Enter: choose; Ctrl+S: preview; Escape: close.")
        self.query_one(ContentSwitcher).current = "map"
        self.call_later(self._mount_map, rows)

    async def _mount_map(self, rows: list[Horizontal]) -> None:
        """Replace the map's rows (old ones removed first: the ids are reused), then focus."""
        if not self.is_attached:
            return  # closed meanwhile
        area = self.query_one("#columns", VerticalScroll)
        await area.remove_children()
        await area.mount_all(rows)
        if self.is_attached:
            self.mapped_rows = len(rows)
            self.query_one("#col-0", Select).focus()

    @on(Button.Pressed, "#preview")
    def _mapped(self) -> None:
        if self.mapped_rows != len(self.columns) or not self.columns:
            return  # the rows are still being put on screen
        mapping = {}
        for n, (column, _) in enumerate(self.columns):
            mapping[column] = str(self.query_one(f"#col-{n}", Select).value)
        if all(target == "skip" for target in mapping.values()):
            self.say("Map at least one column to a Kith field (a name, an email or a phone).",
                     error=True)  # fmt: skip
            return
        self.options = replace(self.options, preset=None, column_map=mapping)
        self._preview()

    def _preview(self) -> None:
        data, options = self.data, self.options
        vault = self.kith.vault
        if data is None or vault is None:
            return
        region = options.region or vault.region
        self.in_background(lambda: first_rows(data, options, region, PREVIEW_ROWS),
                           self._previewed, "Reading the first rows...")  # fmt: skip

    def _previewed(self, batch: Any) -> None:
        if batch.records == 0:
            self.say("Nothing was imported: the file holds no contacts.", error=True)
            return
        how = (f"preset {self.options.preset}" if self.options.preset else
               "your column map" if self.options.column_map else f"a {self.sheet.fmt} file"
               if self.sheet else "")  # fmt: skip
        note = (f"The first {batch.records} record(s) as they will be imported ({how}; phones "
                "in international form):")  # fmt: skip
        self.query_one("#preview-note", Static).update(Text(note))
        table = self.query_one("#preview-table", Static)
        table.update(preview_table(batch))
        self.say("Enter: run (Space on the box: dry run or not); Escape: close.")
        self.show_step("check", "#run")

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        if self.busy:
            return
        if self.options.column_map and self.mapped_rows:
            self.show_step("map", "#col-0")
        elif self.sheet is not None and self.sheet.fmt == "csv":
            self.show_step("preset", "#presets")
        else:
            self.show_step("file", "#path")

    @on(Button.Pressed, "#again")
    def _again(self) -> None:
        if not self.busy:
            self.show_step("check", "#run")

    # -- running -----------------------------------------------------------------------------

    @on(Button.Pressed, "#run")
    def _run(self) -> None:
        self.start(dry_run=self.query_one("#dry-run", TickBox).value)

    @on(Button.Pressed, "#real")
    def _real(self) -> None:
        self.start(dry_run=False)

    def start(self, *, dry_run: bool) -> None:
        """Import (or dry-run) in a worker thread, with progress."""
        data, vault = self.data, self.kith.vault
        if data is None or vault is None or self.busy:
            return
        options = replace(self.options, dry_run=dry_run)
        self.add_class("-running")
        self.query_one("#report-text", Static).update(Text(""))
        self.query_one("#real", Button).display = False
        self.query_one("#again", Button).display = False
        self.query_one(ContentSwitcher).current = "report"

        def progress(_stage: str, done: int, total: int) -> None:
            self.post_message(self.Moved(done, total))

        def task() -> tuple[ImportReport, list[str]]:
            report = import_contacts(vault, data, options, progress)

            def name_of(full_id: str) -> str:
                try:
                    return vault.contacts.get_by_id(bytes.fromhex(full_id)).display_name()
                except KithError:
                    return "?"

            return report, report_lines(report, name_of)

        verb = "Checking" if dry_run else "Importing"
        self.in_background(task, self._reported, f"{verb}... (all or nothing)")

    def on_import_dialog_moved(self, message: Moved) -> None:
        """Move the bar."""
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(message.total, 1), progress=message.done)

    def _reported(self, value: tuple[ImportReport, list[str]]) -> None:
        report, lines = value
        self.report = report
        if not report.dry_run and (report.added or report.merged):
            self.changed = True
        text = [summary(report), *lines]
        if not report.dry_run:
            text.append(DESTROY)
            self.data = None  # imported: nothing more to do with it
        self.query_one("#report-text", Static).update(Text("\n".join(text)))
        real = self.query_one("#real", Button)
        real.display = report.dry_run
        self.query_one("#again", Button).display = report.dry_run
        if report.dry_run:
            real.focus()
            self.say("Import now: the same, for real (all or nothing). Escape: close.")
        else:
            self.say("Done. Escape: close.")
