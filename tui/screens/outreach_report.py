"""The report of one message: sent, failed, skipped... as counts and rates, and who was not
reached, with the reason.

    Escape  back

Rules and reasons:
- The counts and rates are `outreach.report.report`, what `kith outreach report` prints
  (rates over *sent*, except the sent rate; see outreach/report.py).
- Below them, every recipient the message did not reach (failed with the server's code,
  uncertain, skipped with the reason, still queued), by name: "who did not get it?" is the
  question after a send. At most `SHOWN` are drawn; the counts are complete.
- Reading deliveries decrypts them: a worker thread. Names are user text through `safe`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from outreach.audience import load_contacts
from outreach.outbox import Message, Outbox
from outreach.report import Report, report
from tui.safe_text import safe
from tui.screens.base import KithScreen
from tui.screens.outreach_preview import NAME_CELLS, describe
from tui.screens.posted import ReceivesPosted
from tui.widgets.columns import fit_cell
from vault.api import Vault

__all__ = ["ReportScreen", "report_table"]

SHOWN = 300
RATED = ("sent", "replied", "opted_out", "acted")
WHY = {"failed": "failed", "uncertain": "uncertain (interrupted mid-send, not resent)",
       "skipped": "skipped", "queued": "not sent yet (queued)",
       "sending": "not sent yet (interrupted)"}


@dataclass(frozen=True)
class ReportView:
    """What the screen shows."""

    found: Report
    missed: list[tuple[str, str]]
    """(name, what happened) of each recipient not reached."""


def report_table(found: Report) -> Table:
    """The counts, one per line, with the rates `kith outreach report` prints."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(justify="right")
    grid.add_column()
    for name, value in found.counts.items():
        rate = f"({found.rate(name):.1%})" if name in RATED else ""
        grid.add_row(Text(name.replace("_", " ")), Text(f"{value:,}"), Text(rate))
    return grid


def build_report(vault: Vault, message: Message) -> ReportView:
    """The report, and who was not reached (worker thread)."""
    raw = bytes.fromhex(message.id)
    found = report(vault, raw)
    missed = [d for d in Outbox.of(vault).deliveries(raw) if d.state != "sent"]
    contacts = load_contacts(vault, [d.contact.hex() for d in missed[:SHOWN]])
    rows: list[tuple[str, str]] = []
    for item in missed[:SHOWN]:
        contact = contacts.get(item.contact.hex())
        name = contact.display_name() if contact is not None else "(deleted contact)"
        why = WHY.get(item.state, item.state)
        detail = item.error if item.state == "failed" else item.reason
        rows.append((name, f"{why}: {detail}" if detail else why))
    rows.sort(key=lambda row: row[0].casefold())
    return ReportView(found, rows)


class ReportScreen(ReceivesPosted, KithScreen[None]):
    """Counts, rates, and who was not reached."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "back", "Back"),
        Binding("j", "scroll(1)", "Down", show=False),
        Binding("k", "scroll(-1)", "Up", show=False),
    ]
    AUTO_FOCUS = "#results"

    DEFAULT_CSS = """
    ReportScreen #heading { padding: 0 2; background: $panel; text-style: bold; }
    ReportScreen #status { padding: 0 2; height: auto; }
    ReportScreen #results { height: 1fr; padding: 0 2; }
    ReportScreen .section { text-style: bold; margin-top: 1; }
    """

    def __init__(self, vault: Vault, message: Message) -> None:
        super().__init__()
        self.vault = vault
        self.message = message
        self.view: ReportView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(safe(f"Report: {describe(self.message)}", max_len=200)),
                     id="heading")  # fmt: skip
        yield Static(Text("Reading the deliveries..."), id="status")
        with VerticalScroll(id="results"):
            yield Static(Text(""), id="counts")
            yield Static(Text(""), id="missed-title", classes="section")
            yield Static(Text(""), id="missed")
        yield Footer()

    def on_mount(self) -> None:
        """Read in a worker thread."""
        self._build()

    @work(thread=True, exclusive=True, group="report")
    def _build(self) -> None:
        self.post_result(lambda: build_report(self.vault, self.message), self._show, self._failed)

    def _failed(self, message: str) -> None:
        line = self.query_one("#status", Static)
        line.update(Text(safe(message)))
        line.add_class("error")

    def _show(self, view: ReportView) -> None:
        self.view = view
        found = view.found
        if not self.message.frozen and not found.recipients:
            status = "Not sent yet: nothing to report."
        else:
            status = f"{found.recipients:,} recipient(s) frozen at the first send."
        self.query_one("#status", Static).update(Text(status))
        self.query_one("#counts", Static).update(report_table(found))
        missed = found.recipients - found.counts["sent"]
        more = f" (the first {SHOWN} shown)" if missed > SHOWN else ""
        self.query_one("#missed-title", Static).update(Text(f"Not reached ({missed:,}){more}"))
        lines = Text(no_wrap=True, overflow="ellipsis", end="")
        for name, why in view.missed:  # plain lines: a 300-row Table is slow to lay out
            lines.append(f"{fit_cell(name, NAME_CELLS)}  {safe(why)}\n")
        lines.rstrip()
        self.query_one("#missed", Static).update(
            lines if view.missed else Text("Nobody.", style="dim"))

    def action_scroll(self, step: int) -> None:
        """j / k scroll."""
        self.query_one("#results", VerticalScroll).scroll_relative(y=step, animate=False)

    def action_back(self) -> None:
        """Back."""
        self.dismiss(None)
