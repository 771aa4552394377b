"""The supporter map in the terminal UI (issue 17): the same code as ``kith map``.

A dialog from the command palette ("Supporter map"): a grid (``city`` or ``h3:R``), k, and an
optional filter in the saved-search language; Run draws the cells and counts. Nothing is
stored; the map exists on screen only (write an SVG with ``kith map --svg``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from textual.app import ComposeResult, SystemCommand
from textual.containers import Horizontal
from textual.widgets import Input

from geo.cells import DEFAULT_K, Grid
from geo.gazetteer import load
from geo.render import text_map
from geo.supporter_map import Selection, build, select
from tui.screens.dialogs import TaskDialog
from vault.errors import InvalidInput

if TYPE_CHECKING:
    from tui.screens.host import KithHost

__all__ = ["MapDialog", "commands"]


def commands(app: KithHost) -> Iterator[SystemCommand]:
    """The palette entry."""
    yield SystemCommand("Supporter map", "Where supporters are: counts per area, none under k",
                        MapDialog.opener(app))  # fmt: skip


class MapDialog(TaskDialog):
    """Draw the supporter map for a grid, k and filter."""

    TITLE_TEXT = "Supporter map (offline; no area with fewer than k people is shown)"
    RUN_LABEL = "Draw"
    DEFAULT_CSS = """
    MapDialog #dialog { width: 90; }
    MapDialog #row { height: auto; }
    MapDialog #row Input { width: 1fr; }
    """

    def form(self) -> ComposeResult:
        with Horizontal(id="row"):
            yield Input(value="city", placeholder="Grid: city or h3:0 to h3:9", id="grid")
            yield Input(value=str(DEFAULT_K), placeholder="k (at least 2)", id="k")
        yield Input(placeholder="Filter (optional), e.g. tag:volunteer allows:email:events",
                    id="where")

    def perform(self, progress: Callable[[str, int, int], None]) -> tuple[list[str], bool]:
        vault = self.kith.vault
        if vault is None:
            raise InvalidInput("(the vault is locked)")
        grid = Grid.parse(self.query_one("#grid", Input).value)
        k_text = self.query_one("#k", Input).value.strip()
        if not k_text.isdigit():
            raise InvalidInput("(k is a whole number, at least 2)")
        where = self.query_one("#where", Input).value
        progress("placing", 0, 1)
        found = build(vault, select(vault, Selection(where=where)), load(), grid, int(k_text))
        progress("placing", 1, 1)
        return text_map(found, width=80, height=8), False
