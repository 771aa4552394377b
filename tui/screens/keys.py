"""The keys panel: `?` on any screen lists every key that works there, Escape closes it.

Rules and reasons:
- The list is read from the screen underneath (`Screen.active_bindings`: the focused widget,
  the screen and the app), so it is always the truth, including keys the footer has no room
  for (j/k, Home/End). Textual's own "Keys" side panel is replaced by this one because it
  did not close with Escape and took the width of the contact list.
- A dialog like every other: Escape, `?` or `q` close it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

__all__ = ["KeysScreen", "keys_of"]


def keys_of(screen: Screen[Any]) -> list[tuple[str, str]]:
    """(keys, what they do) for every described binding active on `screen`, merged by action,
    the screen's own first."""
    app = screen.app
    merged: dict[str, tuple[list[str], str]] = {}
    found = list(screen.active_bindings.values())
    found.sort(key=lambda a: 0 if a.node is screen else 2 if a.node is app else 1)
    for active in found:
        binding = active.binding
        if not binding.description or binding.action in ("keys", "app.keys"):
            continue
        shown = app.get_key_display(binding)
        keys, _ = merged.setdefault(binding.action, ([], binding.description))
        if shown not in keys:
            keys.append(shown)
    return [(" ".join(keys), what) for keys, what in merged.values()]


class KeysScreen(ModalScreen[None]):
    """Every key of the screen underneath.

    A plain modal, not a ``KithModal``: ``tui.screens.base`` opens this panel, so this module
    must not import it (no import circles)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]

    DEFAULT_CSS = """
    KeysScreen { align: center middle; }
    KeysScreen #box {
        width: 60; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; padding: 0 1; background: $surface;
    }
    KeysScreen #keys { height: auto; max-height: 20; }
    """

    def __init__(self, under: Screen[Any]) -> None:
        super().__init__()
        self.rows = keys_of(under)

    def compose(self) -> ComposeResult:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for keys, what in self.rows:
            grid.add_row(Text(keys), Text(what))
        grid.add_row(Text("Ctrl+P"), Text("Command palette: every command by name"))
        with Vertical(id="box"):
            yield Static(Text("Keys here  (Escape closes)", style="bold"))
            with VerticalScroll(id="keys"):
                yield Static(grid)

    def action_close(self) -> None:
        """Close the panel."""
        self.dismiss(None)
