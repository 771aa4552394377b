"""The sync screen: per shared segment and member, what they lack, when last heard, the key
epoch and what stops sync; `s` syncs now, `p` opens the peers.

Rules and reasons:
- The numbers are `kith sync status`'s (`tui.sync_view`), read in a worker thread (loading the
  sync state costs about 0.2 ms per op held), as the CLI reads them: local edits are captured
  first, so "lacks" counts them.
- The result of the last sync run from this screen stays under the status until the screen is
  closed (refusals included): a sync that took nothing is told apart from one that was refused.
  It is never written anywhere, and locking forgets it with the screen.
- After a sync that changed records, the contact list is read again once it is shown
  (`MainScreen.changed_elsewhere`: a sync in this process does not move the change marker).
- Names are user text (peers, segments from peers): drawn through `safe`, never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Static

from tui.safe_text import safe
from tui.screens.base import KithScreen
from tui.sync_view import SegmentRow, heard, sync_status
from vault.api import Vault
from vault.errors import KithError

__all__ = ["SyncScreen", "commands"]

NOTHING_SHARED = (
    "Nothing is shared yet. Add a peer (p, then a), compare safety numbers (v), then share a "
    "segment with them from the Segments panel (g, then s)."
)


def status_view(rows: list[SegmentRow]) -> Group:
    """Every shared segment: a title line, its members (one row each), its problems."""
    parts: list[RenderableType] = []
    for index, seg in enumerate(rows):
        title = Text(("\n" if index else "") + safe(seg.name, max_len=40), style="bold")
        title.append(f"   you: {seg.role or 'removed'} · key epoch {seg.epoch} · "
                     f"{seg.ops} change(s) in its log", style="")  # fmt: skip
        parts.append(title)
        if not seg.members:
            parts.append(Text("  no other member yet", style="dim"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, max_width=24)
        for _ in range(4):
            grid.add_column(no_wrap=True)
        for m in seg.members:
            grid.add_row(Text("  " + safe(m.name, max_len=22)), Text(m.role),
                         Text(m.state, style="bold" if m.state != "verified" else ""),
                         Text(f"lacks {m.pending} change(s)"),
                         Text(f"last heard {heard(m.last_heard)}"))  # fmt: skip
        if seg.members:
            parts.append(grid)
        parts += [Text("  ! " + safe(problem), style="bold") for problem in seg.problems]
    return Group(*parts)


class SyncScreen(KithScreen[None]):
    """Sync status; `s` sync now, `p` peers, `r` read again."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back"),
        Binding("s", "sync_now", "Sync now"),
        Binding("p", "peers", "Peers"),
        Binding("r", "refresh", "Refresh"),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]

    DEFAULT_CSS = """
    SyncScreen #heading { padding: 0 2; background: $panel; text-style: bold; }
    SyncScreen #body { height: 1fr; padding: 0 1; }
    SyncScreen #result { padding: 0 2; height: auto; max-height: 8; }
    """

    class Loaded(Message):
        """The status, read in a worker thread (or the vault's error)."""

        def __init__(self, rows: list[SegmentRow] | None, error: str = "") -> None:
            self.rows, self.error = rows, error
            super().__init__()

    def __init__(self, vault: Vault, then: str = "") -> None:
        super().__init__()
        self.vault = vault
        self.then = then
        """"sync_now" or "peers": open that at once (the palette's "Sync now", "Peers")."""
        self.rows: list[SegmentRow] | None = None
        self.last_result: list[str] = []
        self.last_ok = True

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Sync   (shared segments, their members, what each lacks)"),
                     id="heading")  # fmt: skip
        with VerticalScroll(id="body"):
            yield Static(Text("Reading the sync state..."), id="status")
        yield Static(Text(""), id="result")
        yield Footer()

    def on_mount(self) -> None:
        """Read the status; open what the palette asked for."""
        self.action_refresh()
        if self.then in ("sync_now", "peers"):
            self.call_after_refresh(getattr(self, f"action_{self.then}"))

    def action_refresh(self) -> None:
        """Read the status again (r)."""
        self._load()

    @work(thread=True, exclusive=True, group="sync-status")
    def _load(self) -> None:
        try:
            rows = sync_status(self.vault)
        except KithError as error:
            self.post_message(self.Loaded(None, error.message))
            return
        except Exception:
            if self.kith.vault is not self.vault:
                return  # locked meanwhile
            raise
        self.post_message(self.Loaded(rows))

    def on_sync_screen_loaded(self, message: Loaded) -> None:
        """Show the status."""
        body = self.query_one("#status", Static)
        if message.rows is None:
            body.update(Text(message.error, style="bold"))
            return
        self.rows = message.rows
        body.update(status_view(message.rows) if message.rows else Text(NOTHING_SHARED))

    def show_result(self, lines: list[str], ok: bool) -> None:
        """The last sync's result lines, under the status."""
        self.last_result, self.last_ok = lines, ok
        box = self.query_one("#result", Static)
        box.update(Text("\n".join(["Last sync: " + (lines[0] if lines else ""), *lines[1:]])))
        box.set_class(not ok, "error")

    # -- actions -----------------------------------------------------------------------------

    def action_back(self) -> None:
        """Back to where you were."""
        self.dismiss(None)

    def action_scroll(self, step: int) -> None:
        """j / k."""
        self.query_one("#body", VerticalScroll).scroll_relative(y=step)

    def action_sync_now(self) -> None:
        """Sync now: a folder, relay:URL, or a peer (s)."""
        from tui.screens.sync_now import SyncNowDialog

        def done(result: tuple[list[str], bool] | None) -> None:
            if result is not None and result[0]:
                self.show_result(*result)
            self.action_refresh()

        self.app.push_screen(SyncNowDialog(self.vault), done)

    def action_peers(self) -> None:
        """The peers, their safety numbers; verify one (p)."""
        from tui.screens.peers import PeersScreen

        self.app.push_screen(PeersScreen(self.vault), lambda _: self.action_refresh())

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """This screen's keys as palette entries."""
        return [
            ("Sync now", "With a folder, relay:URL, or a peer directly (s)", self.action_sync_now),
            ("Peers", "Peers, safety numbers with QR codes; verify, add (p)", self.action_peers),
            ("Refresh sync status", "Read the status again (r)", self.action_refresh),
        ]


def commands(app: Any) -> Iterator[SystemCommand]:
    """The app's palette entries for sync (while the vault is open); `app` is the KithApp."""

    def open_sync(then: str = "") -> Callable[[], None]:
        def run() -> None:
            if app.vault is None:
                return
            app.push_screen(SyncScreen(app.vault, then))

        return run

    yield SystemCommand("Sync", "Status per shared segment and peer; sync now (y)", open_sync())
    yield SystemCommand("Sync now", "With a folder, relay:URL, or a peer directly",
                        open_sync("sync_now"))  # fmt: skip
    yield SystemCommand("Peers", "Peers, safety numbers with QR codes; verify a peer, add one",
                        open_sync("peers"))  # fmt: skip
