"""Command palette entries for work that has its own dialog: import, export, backup, and the
organizing screens that are not built yet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

if TYPE_CHECKING:
    from tui.app import KithApp

__all__ = ["commands"]

NOT_YET = (
    ("Import contacts", "vCard, CSV or JSON: not available in the TUI yet; use `kith import`"),
    ("Export contacts", "vCard, CSV or JSON: not available in the TUI yet; use `kith export`"),
    ("Back up vault", "Encrypted backup: not available in the TUI yet; use `kith backup create`"),
    ("Segments", "Shared segments: not available in the TUI yet; use `kith segment`"),
    ("History", "Activity history: not available in the TUI yet; use `kith history`"),
)


def commands(app: KithApp) -> Iterator[SystemCommand]:
    """The palette entries; those not built yet say so when chosen."""
    for title, help_text in NOT_YET:

        def say(title: str = title) -> None:
            app.notify(f"{title}: not available in the TUI yet (see `kith --help`).")

        yield SystemCommand(title, help_text, say)
