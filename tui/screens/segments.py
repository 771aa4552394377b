"""The segments panel: every segment with its count; add or remove the marked contacts; create,
rename and delete segments; Enter shows a segment's contacts in the list.

Rules and reasons:
- Every change is the vault's own call, as `kith segment add|remove|create|rename|delete`
  makes it (`vault.domain.segments`), with its errors shown in one line.
- Delete asks first, with the CLI's words and numbers (`plan_delete`): how many records stay in
  another segment and how many, only in this one, are shredded; Cancel has the focus. The delete
  (which compacts the file) runs in a worker thread.
- The contacts to add or remove are fixed when the panel opens (the marked ones, or the
  highlighted one), and the heading says how many.
- Segment names are user text (they come from peers too): drawn through `safe`, never markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Header, Input, OptionList, Static

from tui.safe_text import safe
from tui.screens.base import KithModal, KithScreen
from tui.screens.segment_sharing import Sharing
from tui.sync_work import capture_unless_syncing
from tui.widgets.columns import fit_cell
from vault.api import Vault
from vault.domain.dates import iso, last_kept_day
from vault.domain.segments import Segment
from vault.errors import KithError

__all__ = ["NameDialog", "SegmentDeleteDialog", "SegmentsScreen"]


def delete_question(segment: Segment, kept: int, shredded: int) -> str:
    """The CLI's confirmation for `kith segment delete`, word for word."""
    return (
        f"Delete segment {safe(segment.name)!r}? Its key is destroyed; {kept} record(s) stay in "
        f"another segment, {shredded} only in it are shredded"
    )


class SegmentsScreen(Sharing, KithScreen[str | None]):
    """Segments; dismisses with a filter query to show one segment, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back"),
        Binding("a", "add", "Add"),
        Binding("r", "remove", "Remove"),
        Binding("n", "create", "New"),
        Binding("e,f2", "rename", "Rename"),
        Binding("d,delete", "delete", "Delete"),
        Binding("s", "share", "Share"),
        Binding("u", "unshare", "Unshare"),
        Binding("j", "cursor(1)", "Down", show=False),
        Binding("k", "cursor(-1)", "Up", show=False),
    ]
    AUTO_FOCUS = "#segments"

    DEFAULT_CSS = """
    SegmentsScreen #heading { padding: 0 2; background: $panel; text-style: bold; }
    SegmentsScreen #hint { padding: 0 2; }
    SegmentsScreen #segments { height: 1fr; border: none; }
    SegmentsScreen #segments:nocolor > .option-list--option-highlighted { text-style: reverse; }
    SegmentsScreen #message { padding: 0 2; height: auto; min-height: 1; }
    """

    def __init__(self, vault: Vault, contact_ids: list[str]) -> None:
        super().__init__()
        self.vault = vault
        self.contact_ids = contact_ids
        self.segments: list[Segment] = []
        self.busy = False

    def compose(self) -> ComposeResult:
        count = len(self.contact_ids)
        who = f"{count} contact" + ("" if count == 1 else "s")
        yield Header()
        yield Static(Text(f"Segments   ({who} chosen: marked with space, or highlighted)"),
                     id="heading")  # fmt: skip
        yield Static(
            Text("Enter show  a/r add/remove the chosen  n new  e rename  d del  "
                 "s share  u unshare", style="dim"), id="hint")  # fmt: skip
        yield OptionList(id="segments")
        yield Static(Text(""), id="message")
        yield Footer()

    def on_mount(self) -> None:
        """List the segments, then read with whom each is shared."""
        self.reload()
        self.load_shares()

    def reload(self, keep: bytes | None = None) -> None:
        """Read the segments again, keeping `keep` (or the highlighted one) highlighted."""
        options = self.query_one("#segments", OptionList)
        current = self.current
        keep = keep if keep is not None else current.id if current is not None else None
        self.segments = self.vault.segments.all()
        prompts = [self._prompt(s) for s in self.segments]
        if not prompts:
            prompts = [Text("No segments yet: press n to create one.", style="dim")]
        options.set_options(prompts)
        ids = [s.id for s in self.segments]
        options.highlighted = ids.index(keep) if keep in ids else 0

    def _prompt(self, segment: Segment) -> Text:
        text = Text(fit_cell(segment.name, 40), end="")
        noun = "contact" if segment.contacts == 1 else "contacts"
        text.append(f"{segment.contacts:>8,} {noun}", style="dim")
        if segment.expires is not None:
            text.append(f"   kept until {iso(last_kept_day(segment.expires))}", style="dim")
        text.append_text(self.share_note(segment))
        return text

    @property
    def current(self) -> Segment | None:
        """The highlighted segment."""
        if not self.is_mounted or not self.segments:
            return None
        index = self.query_one("#segments", OptionList).highlighted
        return self.segments[index] if index is not None and index < len(self.segments) else None

    def say(self, message: str, *, error: bool = False) -> None:
        """One line under the list."""
        line = self.query_one("#message", Static)
        line.update(Text(message))
        line.set_class(error, "error")

    # -- actions -----------------------------------------------------------------------------

    def action_back(self) -> None:
        """Back to the list."""
        if not self.busy:
            self.dismiss(None)

    def action_cursor(self, step: int) -> None:
        """j / k."""
        options = self.query_one("#segments", OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    @on(OptionList.OptionSelected, "#segments")
    def _show(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        segment = self.current
        if segment is not None and not self.busy:
            self.dismiss(f'segment:"{segment.name}"')

    def _membership(self, adding: bool) -> None:
        segment = self.current
        if segment is None or self.busy or not self.contact_ids:
            return
        repo = self.vault.segments
        try:
            ids = [bytes.fromhex(c) for c in self.contact_ids]
            changed = repo.add(segment, ids) if adding else repo.remove(segment, ids)
        except KithError as error:
            self.say(error.message, error=True)
            return
        verb = "added to" if adding else "removed from"
        # the CLI's after-write policy: shared membership becomes signed ops now
        why_not = capture_unless_syncing(self.vault)
        queued = f" (not yet queued for sync: {why_not})" if why_not else ""
        self.say(f"{changed} contact(s) {verb} {safe(segment.name)}{queued}")
        self.reload(segment.id)

    def action_add(self) -> None:
        """Add the chosen contacts to the highlighted segment."""
        self._membership(True)

    def action_remove(self) -> None:
        """Remove the chosen contacts from the highlighted segment."""
        self._membership(False)

    def action_create(self) -> None:
        """Ask for a name, create the segment."""
        if self.busy:
            return

        def named(name: str | None) -> None:
            if name is None:
                return
            try:
                made = self.vault.segments.create(name)
            except KithError as error:
                self.say(error.message, error=True)
                return
            self.say(f"created segment {safe(made.name)}")
            self.reload(made.id)

        self.app.push_screen(NameDialog("New segment", ""), named)

    def action_rename(self) -> None:
        """Ask for a new name for the highlighted segment."""
        segment = self.current
        if segment is None or self.busy:
            return

        def named(name: str | None) -> None:
            if name is None:
                return
            try:
                renamed = self.vault.segments.rename(segment, name)
            except KithError as error:
                self.say(error.message, error=True)
                return
            self.say(f"renamed to {safe(renamed.name)}")
            self.reload(renamed.id)

        self.app.push_screen(NameDialog("Rename segment", segment.name), named)

    def action_delete(self) -> None:
        """Delete the highlighted segment, after the CLI's confirmation."""
        segment = self.current
        if segment is None or self.busy:
            return
        kept, shredded = self.vault.segments.plan_delete(segment)
        question = delete_question(segment, len(kept), len(shredded))

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.busy = True
                self.say("Deleting: destroying the segment's key and compacting the vault...")
                self._delete(segment)

        self.app.push_screen(SegmentDeleteDialog(question), confirmed)

    @work(thread=True, group="segment-delete")
    def _delete(self, segment: Segment) -> None:
        try:
            done = self.vault.segments.delete(segment)
        except KithError as error:
            self.app.call_from_thread(self._deleted, segment, None, error.message)
            return
        self.app.call_from_thread(
            self._deleted, segment, f"({done.kept} kept, {done.shredded} shredded)", ""
        )

    def _deleted(self, segment: Segment, counts: str | None, error: str) -> None:
        self.busy = False
        if counts is None:
            self.say(error, error=True)
        else:
            self.say(f"deleted segment {safe(segment.name)} {counts}")
        self.reload()

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """This screen's keys as palette entries."""
        return [
            ("Add to segment", "Add the chosen contacts to the highlighted segment (a)",
             self.action_add),
            ("Remove from segment", "Remove the chosen contacts from it (r)", self.action_remove),
            ("New segment", "Create a segment (n)", self.action_create),
            ("Rename segment", "Rename the highlighted segment (e)", self.action_rename),
            ("Delete segment", "Delete the highlighted segment, after confirmation (d)",
             self.action_delete),
            *self.sharing_commands(),
        ]  # fmt: skip


class NameDialog(KithModal[str | None]):
    """Ask for a segment name; dismisses with it, or None (Escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    AUTO_FOCUS = "#name"
    DEFAULT_CSS = """
    NameDialog { align: center middle; }
    NameDialog #dialog { width: 60; max-width: 100%; height: auto; border: round $primary;
                         background: $surface; padding: 0 1; }
    """

    def __init__(self, title: str, value: str) -> None:
        super().__init__()
        self.title_text = title
        self.initial = value

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.title_text, style="bold"))
            yield Input(self.initial, placeholder="Segment name", id="name", max_length=200)
            yield Static(Text("Enter: save    Escape: cancel", style="dim"))

    @on(Input.Submitted, "#name")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        """Close without a name."""
        self.dismiss(None)


class SegmentDeleteDialog(KithModal[bool]):
    """The CLI's delete question; Y deletes, N or Escape keeps (Cancel has the focus)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Delete"),
        Binding("n,escape", "answer(False)", "Cancel"),
    ]
    AUTO_FOCUS = "#cancel"
    DEFAULT_CSS = """
    SegmentDeleteDialog { align: center middle; }
    SegmentDeleteDialog #dialog { width: 68; max-width: 100%; height: auto;
                                  border: thick $error; background: $surface; padding: 1 2; }
    SegmentDeleteDialog #buttons { height: auto; margin-top: 1; align-horizontal: right; }
    SegmentDeleteDialog Button { margin-left: 2; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.question + ".", style="bold"))
            with Horizontal(id="buttons"):
                yield Button("Delete (y)", variant="error", id="delete")
                yield Button("Cancel (n)", id="cancel")

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "delete")
