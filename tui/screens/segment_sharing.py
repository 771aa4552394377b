"""Sharing from the segments panel: share a segment with a verified peer (`s`), remove a peer
from it (`u`), and show, per segment, with whom it is shared.

Rules and reasons:
- Every change is the CLI's call (`kith segment share NAME PEER --role R` is
  `sync.runner.share`, `kith segment unshare NAME PEER` is `sync.runner.unshare`), so its rules
  hold unchanged: an unknown, unverified or halted peer is refused with the CLI's message
  (`UnverifiedPeer`: compare safety numbers, then verify); a removal rotates the key.
- The CLI asks nothing before either; here the dialog is the confirmation: choosing the peer
  (and role) and pressing the button (or `y`) is the one step, and Escape leaves everything as
  it was. The messages after are the CLI's.
- The work and the reading of who shares what run in worker threads (loading the sync state
  costs about 0.2 ms per op); a vault that shares nothing never loads it.
- Peer and segment names are user text: drawn through `safe`, never markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, OptionList, Select, Static

from sync import runner
from sync.bodies import Role
from sync.replica import Replica
from tui.safe_text import safe
from tui.screens.base import KithModal
from tui.sync_view import PeerRow, peer_rows, shares, shares_anything
from tui.sync_work import closed_under, sync_turn
from tui.widgets.columns import fit_cell
from vault.api import Vault
from vault.domain.segments import Segment
from vault.errors import KithError

__all__ = ["ShareDialog", "Sharing", "SharingDialog", "UnshareDialog", "shared_note"]

ROLES = (("writer: reads and changes its contacts", "writer"),
         ("reader: reads only", "reader"),
         ("admin: may also share it (verified peers only)", "admin"))  # fmt: skip


def shared_note(members: list[tuple[str, str]] | None) -> Text:
    """The sharing part of a segment's prompt: with whom (and their roles), or not shared."""
    if not members:
        return Text("   not shared", style="dim", end="")
    who = ", ".join(f"{safe(name, max_len=24)} ({role})" for name, role in members)
    return Text(f"\n   shared with {who}", style="dim", end="")


class Sharing:
    """The segments panel's part: who shares what, and the share and unshare keys.

    Mixed into `SegmentsScreen` (before `KithScreen`), whose members it names below.
    """

    vault: Vault
    busy: bool
    shared: dict[bytes, list[tuple[str, str]]] | None = None
    app: Any

    if TYPE_CHECKING:  # provided by SegmentsScreen and Textual; declared for the type checker

        @property
        def current(self) -> Segment | None: ...
        def reload(self, keep: bytes | None = None) -> None: ...
        def say(self, message: str, *, error: bool = False) -> None: ...

    def load_shares(self) -> None:
        """Read with whom each segment is shared (in a worker thread if anything is), then
        list the segments again."""
        try:
            anything = shares_anything(self.vault)
        except KithError as error:
            self.say(error.message, error=True)
            return
        if anything:
            self._load_shares()
        else:
            self._shares_loaded({})

    @work(thread=True, exclusive=True, group="segment-shares")
    def _load_shares(self) -> None:
        try:
            found = shares(self.vault)
        except KithError as error:
            self.app.call_from_thread(self.say, error.message, error=True)
            return
        except Exception:
            if getattr(self.app, "vault", None) is not self.vault:
                return  # locked meanwhile
            raise
        self.app.call_from_thread(self._shares_loaded, found)

    def _shares_loaded(self, found: dict[bytes, list[tuple[str, str]]]) -> None:
        self.shared = found
        self.reload()

    def share_note(self, segment: Segment) -> Text:
        """The prompt's sharing part (nothing until it is read)."""
        if self.shared is None:
            return Text("", end="")
        return shared_note(self.shared.get(segment.id))

    def action_share(self) -> None:
        """Share the highlighted segment with a verified peer (s)."""
        segment = self.current
        if segment is None or self.busy:
            return
        self.app.push_screen(ShareDialog(self.vault, segment), self._after_sharing)

    def action_unshare(self) -> None:
        """Remove a peer from the highlighted segment; its key is rotated (u)."""
        segment = self.current
        if segment is None or self.busy:
            return
        members = (self.shared or {}).get(segment.id, [])
        if not members:
            self.say(f"{safe(segment.name)} is not shared with anyone")
            return
        self.app.push_screen(UnshareDialog(self.vault, segment, members), self._after_sharing)

    def _after_sharing(self, said: str | None) -> None:
        if said:
            self.say(said)
            self.load_shares()

    def sharing_commands(self) -> list[tuple[str, str, Any]]:
        """Palette entries for sharing."""
        return [
            ("Share segment", "Share the highlighted segment with a verified peer (s)",
             self.action_share),
            ("Unshare segment", "Remove a peer from it; its key is rotated (u)",
             self.action_unshare),
        ]  # fmt: skip


class SharingDialog(KithModal[str | None]):
    """A list to choose from, a button, an error line; the work runs in a worker thread."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("y", "go", "Do it", show=False),
    ]
    AUTO_FOCUS = "#choices"
    DEFAULT_CSS = """
    SharingDialog { align: center middle; }
    SharingDialog #dialog { width: 72; max-width: 100%; height: auto; max-height: 100%;
                             border: thick $primary; background: $surface; padding: 0 1; }
    SharingDialog #choices { height: auto; max-height: 8; border: none; }
    SharingDialog #choices:nocolor > .option-list--option-highlighted { text-style: reverse; }
    SharingDialog Select { margin: 1 0 0 0; }
    SharingDialog #error { height: auto; }
    SharingDialog #buttons { height: auto; align-horizontal: right; }
    SharingDialog Button { margin-left: 2; }
    """

    def __init__(self, vault: Vault, segment: Segment) -> None:
        super().__init__()
        self.vault = vault
        self.segment = segment
        self.names: list[str] = []
        self.working = False

    def chosen(self) -> str | None:
        """The highlighted name."""
        index = self.query_one("#choices", OptionList).highlighted
        return self.names[index] if index is not None and index < len(self.names) else None

    def fail(self, message: str) -> None:
        """Show why it was refused; the dialog stays open."""
        self.working = False
        box = self.query_one("#error", Static)
        box.update(Text(message))
        box.set_class(True, "error")

    def action_cancel(self) -> None:
        """Close; nothing changes."""
        if not self.working:
            self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#go")
    @on(OptionList.OptionSelected, "#choices")
    def action_go(self) -> None:
        """Do it (the button, Enter on a name, or y)."""
        name = self.chosen()
        if name is None or self.working:
            return
        self.working = True
        self.query_one("#error", Static).update(Text("Working..."))
        self.work_on(name)

    def work_on(self, name: str) -> None:
        """Start the worker for `name`."""
        raise NotImplementedError


class ShareDialog(SharingDialog):
    """Choose a peer and a role; `kith segment share`."""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(f"Share {safe(self.segment.name, max_len=40)} with a peer",
                              style="bold"))  # fmt: skip
            yield Static(Text("They receive its key and its contacts at the next sync. An "
                              "unverified peer is refused: compare safety numbers first.",
                              style="dim"))  # fmt: skip
            yield OptionList(Text("Reading peers...", style="dim"), id="choices")
            yield Select(ROLES, value="writer", allow_blank=False, id="role")
            yield Static(Text(""), id="error")
            with Horizontal(id="buttons"):
                yield Button("Share (y)", variant="primary", id="go")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        """Read the peers."""
        self._peers()

    @work(thread=True, group="share-peers")
    def _peers(self) -> None:
        try:
            rows = peer_rows(self.vault)
        except KithError as error:
            self.app.call_from_thread(self.fail, error.message)
            return
        except Exception:
            if closed_under(self.app, self.vault):
                return  # locked meanwhile: the vault was closed under the work
            raise
        self.app.call_from_thread(self._listed, rows)

    def _listed(self, rows: list[PeerRow]) -> None:
        options = self.query_one("#choices", OptionList)
        self.names = [r.name for r in rows]
        if not rows:
            options.set_options([Text("No peers yet: add one in Sync, Peers (y, p, a).",
                                      style="dim")])  # fmt: skip
            return
        prompts = []
        for row in rows:
            text = Text(fit_cell(row.name, 24), end="")
            text.append(f"  {row.state}", style="" if row.verified else "bold")
            prompts.append(text)
        options.set_options(prompts)
        options.highlighted = 0

    def work_on(self, name: str) -> None:
        self._share(name, str(self.query_one("#role", Select).value))

    @work(thread=True, group="share")
    def _share(self, peer: str, role: str) -> None:
        try:
            with sync_turn():
                runner.share(Replica(self.vault), self.segment.name, peer, Role(role),
                             runner.now_ms())  # fmt: skip
        except KithError as error:
            self.app.call_from_thread(self.fail, error.message)
            return
        except Exception:
            if closed_under(self.app, self.vault):
                return  # locked meanwhile: the vault was closed under the work
            raise
        self.app.call_from_thread(self.dismiss, f"shared {safe(self.segment.name)} with "
                                  f"{safe(peer)} as {role}; sync to deliver it")  # fmt: skip


class UnshareDialog(SharingDialog):
    """Choose a member to remove; `kith segment unshare`."""

    def __init__(self, vault: Vault, segment: Segment, members: list[tuple[str, str]]) -> None:
        super().__init__(vault, segment)
        self.members = members

    def compose(self) -> ComposeResult:
        self.names = [name for name, _ in self.members]
        with Vertical(id="dialog"):
            yield Static(Text(f"Remove a peer from {safe(self.segment.name, max_len=40)}",
                              style="bold"))  # fmt: skip
            yield Static(Text("The segment key is rotated: they cannot read later writes. What "
                              "they already received stays with them.", style="dim"))  # fmt: skip
            yield OptionList(*[Text(f"{fit_cell(n, 24)}  {r}", end="") for n, r in self.members],
                             id="choices")  # fmt: skip
            yield Static(Text(""), id="error")
            with Horizontal(id="buttons"):
                yield Button("Remove (y)", variant="error", id="go")
                yield Button("Cancel", id="cancel")

    def work_on(self, name: str) -> None:
        self._unshare(name)

    @work(thread=True, group="unshare")
    def _unshare(self, peer: str) -> None:
        try:
            with sync_turn():
                runner.unshare(Replica(self.vault), self.segment.name, peer, runner.now_ms())
        except KithError as error:
            self.app.call_from_thread(self.fail, error.message)
            return
        except Exception:
            if closed_under(self.app, self.vault):
                return  # locked meanwhile: the vault was closed under the work
            raise
        said = f"removed {safe(peer)} from {safe(self.segment.name)}; the segment key was rotated"
        self.app.call_from_thread(self.dismiss, said)
